package graph

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// CallRecord is what a Teams call record tells us about a call that ended.
type CallRecord struct {
	// ID is the call record id, which is the call's id (a transcript's callId).
	ID string
	// Type is "groupCall" (meetings), "peerToPeer" or "unknown".
	Type string
	// JoinURL is the meeting's join link; empty for calls that are not online meetings.
	JoinURL string
	// OrganizerID is the organizer's Entra object id, "" when the organizer is not a user.
	OrganizerID UserID
	// Start and End are when the call actually began and ended (UTC).
	Start, End time.Time
}

// CallRecord fetches the call record id (GET /communications/callRecords/{id}). Needs
// CallRecords.Read.All. Records are kept 30 days.
func (c *Client) CallRecord(ctx context.Context, id string) (CallRecord, error) {
	if id == "" {
		return CallRecord{}, errors.New("get call record: id is required")
	}
	r, err := c.sdk.Communications().CallRecords().ByCallRecordId(id).Get(ctx, nil)
	if err != nil {
		return CallRecord{}, wrap(err, "get call record %s", id)
	}
	out := CallRecord{ID: deref(r.GetId()), JoinURL: deref(r.GetJoinWebUrl())}
	if t := r.GetTypeEscaped(); t != nil {
		out.Type = t.String()
	}
	if p := r.GetStartDateTime(); p != nil {
		out.Start = p.UTC()
	}
	if p := r.GetEndDateTime(); p != nil {
		out.End = p.UTC()
	}
	if o := r.GetOrganizer(); o != nil {
		if u := o.GetUser(); u != nil {
			out.OrganizerID = UserID(deref(u.GetId()))
		}
	}
	return out, nil
}

// MeetingByJoinURL finds the online meeting of organizerID whose join link is joinURL
// (GET /users/{id}/onlineMeetings?$filter=JoinWebUrl eq '...', which returns a collection).
// A link that matches no meeting is a *ResponseError with status 404, like a missing meeting.
func (c *Client) MeetingByJoinURL(ctx context.Context, organizerID UserID, joinURL string) (Meeting, error) {
	if organizerID == "" || joinURL == "" {
		return Meeting{}, errors.New("find meeting by join link: organizer and link are required")
	}
	// OData string literals escape a quote by doubling it.
	filter := "JoinWebUrl eq '" + strings.ReplaceAll(joinURL, "'", "''") + "'"
	resp, err := c.sdk.Users().ByUserId(string(organizerID)).OnlineMeetings().Get(ctx,
		&users.ItemOnlineMeetingsRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.ItemOnlineMeetingsRequestBuilderGetQueryParameters{Filter: &filter},
		})
	if err != nil {
		return Meeting{}, wrap(err, "find meeting of organizer %s by join link", organizerID)
	}
	for _, m := range resp.GetValue() {
		if m != nil && m.GetId() != nil {
			return meeting(m, organizerID), nil
		}
	}
	return Meeting{}, &ResponseError{Status: 404, Code: "NotFound", Message: "no online meeting has that join link"}
}
