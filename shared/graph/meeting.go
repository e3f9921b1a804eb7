package graph

import (
	"context"
	"errors"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

// Meeting is an online meeting as Graph describes it (GET /users/{organizer}/onlineMeetings/{id}).
type Meeting struct {
	// ID is the onlineMeeting ID.
	ID MeetingID
	// Subject is the meeting title.
	Subject string
	// Start and End are the scheduled times (UTC); zero when Graph omits them.
	Start, End time.Time
	// Organizer is the meeting's organizer.
	Organizer Person
	// Participants are the invited attendees (not who actually attended).
	Participants []Person
	// JoinURL is the Teams join link (joinWebUrl).
	JoinURL string
	// ThreadID is the meeting chat's thread ID (chatInfo.threadId).
	ThreadID string
}

// Person is a meeting participant.
type Person struct {
	// ID is the Entra user object ID; empty for guests and phone participants.
	ID UserID
	// Name is the display name, when Graph gives one.
	Name string
	// Email is the user principal name, which is the sign-in address.
	Email string
}

// Meeting fetches the meeting meetingID organized by organizerID. Needs
// OnlineMeetings.Read.All and an application access policy covering the organizer.
func (c *Client) Meeting(ctx context.Context, organizerID UserID, meetingID MeetingID) (Meeting, error) {
	if organizerID == "" || meetingID == "" {
		return Meeting{}, errors.New("get meeting: organizer and meeting IDs are required")
	}
	m, err := c.sdk.Users().ByUserId(string(organizerID)).OnlineMeetings().ByOnlineMeetingId(string(meetingID)).Get(ctx, nil)
	if err != nil {
		return Meeting{}, wrap(err, "get meeting %s of organizer %s", meetingID, organizerID)
	}
	return meeting(m, organizerID), nil
}

func meeting(m models.OnlineMeetingable, organizerID UserID) Meeting {
	out := Meeting{
		ID:      MeetingID(deref(m.GetId())),
		Subject: deref(m.GetSubject()),
		JoinURL: deref(m.GetJoinWebUrl()),
	}
	if p := m.GetStartDateTime(); p != nil {
		out.Start = p.UTC()
	}
	if p := m.GetEndDateTime(); p != nil {
		out.End = p.UTC()
	}
	if ci := m.GetChatInfo(); ci != nil {
		out.ThreadID = deref(ci.GetThreadId())
	}
	if p := m.GetParticipants(); p != nil {
		if o := p.GetOrganizer(); o != nil {
			out.Organizer = person(o)
		}
		for _, a := range p.GetAttendees() {
			if a != nil {
				out.Participants = append(out.Participants, person(a))
			}
		}
	}
	if out.Organizer.ID == "" {
		out.Organizer.ID = organizerID
	}
	return out
}

func person(p models.MeetingParticipantInfoable) Person {
	out := Person{Email: deref(p.GetUpn())}
	if is := p.GetIdentity(); is != nil {
		if u := is.GetUser(); u != nil {
			out.ID = UserID(deref(u.GetId()))
			out.Name = deref(u.GetDisplayName())
		}
	}
	return out
}
