package graph

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// Transcript is a meeting transcript's metadata (a Graph callTranscript), not its content.
type Transcript struct {
	// ID is the transcript ID.
	ID TranscriptID
	// MeetingID is the meeting it belongs to.
	MeetingID MeetingID
	// CallID identifies the call (one occurrence of a recurring meeting).
	CallID string
	// ContentCorrelationID links the transcript to the recording of the same call.
	ContentCorrelationID string
	// CreatedAt is when transcription started; EndAt when it ended. Zero when absent.
	CreatedAt, EndAt time.Time
}

// maxTranscriptPages bounds nextLink following in Transcripts.
const maxTranscriptPages = 100

// Transcripts lists the transcripts of meetingID organized by organizerID, following
// @odata.nextLink. Needs OnlineMeetingTranscript.Read.All, the access policy and the tenant's
// Transcript API access switch.
func (c *Client) Transcripts(ctx context.Context, organizerID UserID, meetingID MeetingID) ([]Transcript, error) {
	if organizerID == "" || meetingID == "" {
		return nil, errors.New("list transcripts: organizer and meeting IDs are required")
	}
	b := c.sdk.Users().ByUserId(string(organizerID)).OnlineMeetings().ByOnlineMeetingId(string(meetingID)).Transcripts()
	return listTranscripts(ctx, b, fmt.Sprintf("list transcripts of meeting %s of organizer %s", meetingID, organizerID))
}

// listTranscripts gets b's callTranscript collection, following @odata.nextLink up to
// maxTranscriptPages pages; what names the listing in errors.
func listTranscripts(ctx context.Context, b *users.ItemOnlineMeetingsItemTranscriptsRequestBuilder, what string) ([]Transcript, error) {
	var out []Transcript
	for page := 0; ; page++ {
		if page == maxTranscriptPages {
			return nil, fmt.Errorf("%s: too many pages", what)
		}
		resp, err := b.Get(ctx, nil)
		if err != nil {
			return nil, wrap(err, "%s", what)
		}
		for _, t := range resp.GetValue() {
			if t != nil {
				out = append(out, transcript(t))
			}
		}
		next := deref(resp.GetOdataNextLink())
		if next == "" {
			return out, nil
		}
		b = b.WithUrl(next)
	}
}

func transcript(t models.CallTranscriptable) Transcript {
	out := Transcript{
		ID:                   TranscriptID(deref(t.GetId())),
		MeetingID:            MeetingID(deref(t.GetMeetingId())),
		CallID:               deref(t.GetCallId()),
		ContentCorrelationID: deref(t.GetContentCorrelationId()),
	}
	if p := t.GetCreatedDateTime(); p != nil {
		out.CreatedAt = p.UTC()
	}
	if p := t.GetEndDateTime(); p != nil {
		out.EndAt = p.UTC()
	}
	return out
}

// TranscriptContent downloads a transcript as WebVTT (GET .../transcripts/{id}/content?$format=text/vtt).
// It is metered: IsPaymentRequired reports an exhausted evaluation quota, IsNotFound a
// transcript not available yet. The content is personal data: never log it.
func (c *Client) TranscriptContent(ctx context.Context, organizerID UserID, meetingID MeetingID, transcriptID TranscriptID) ([]byte, error) {
	if organizerID == "" || meetingID == "" || transcriptID == "" {
		return nil, errors.New("get transcript content: organizer, meeting and transcript IDs are required")
	}
	raw := c.pathURL("users", string(organizerID), "onlineMeetings", string(meetingID), "transcripts", string(transcriptID), "content") + "?$format=text/vtt"
	headers := abs.NewRequestHeaders()
	headers.Add("Accept", "text/vtt")
	body, err := c.sdk.Users().ByUserId(string(organizerID)).OnlineMeetings().ByOnlineMeetingId(string(meetingID)).
		Transcripts().ByCallTranscriptId(string(transcriptID)).Content().WithUrl(raw).
		Get(ctx, &users.ItemOnlineMeetingsItemTranscriptsItemContentRequestBuilderGetRequestConfiguration{Headers: headers})
	if err != nil {
		return nil, wrap(err, "get transcript %s content of meeting %s", transcriptID, meetingID)
	}
	return body, nil
}

// TranscriptsSince lists the transcripts of every meeting organizerID organized that were
// created at or after since (GET /users/{id}/onlineMeetings/getAllTranscripts(
// meetingOrganizerUserId='{id}',startDateTime={since})), following @odata.nextLink: the
// reconciliation after notifications may have been lost. The SDK has no builder for this
// function, so the documented URL is sent through the transcripts builder, whose response
// shape (a callTranscript collection) it shares.
func (c *Client) TranscriptsSince(ctx context.Context, organizerID UserID, since time.Time) ([]Transcript, error) {
	if organizerID == "" {
		return nil, errors.New("list transcripts since: organizer ID is required")
	}
	org := string(organizerID)
	raw := c.pathURL("users", org, "onlineMeetings") + "/getAllTranscripts(meetingOrganizerUserId='" +
		url.PathEscape(strings.ReplaceAll(org, "'", "''")) + "',startDateTime=" + since.UTC().Format(time.RFC3339) + ")"
	b := c.sdk.Users().ByUserId(org).OnlineMeetings().ByOnlineMeetingId("getAllTranscripts").Transcripts().WithUrl(raw)
	return listTranscripts(ctx, b, fmt.Sprintf("list transcripts of organizer %s since %s", organizerID, since.UTC().Format(time.RFC3339)))
}
