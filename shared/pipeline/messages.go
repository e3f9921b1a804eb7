package pipeline

import (
	"errors"
	"fmt"
	"strings"

	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// IngestKind says what a transcript-ingest message asks for.
type IngestKind string

// Ingest kinds.
const (
	// IngestTranscript: a transcript exists; fetch, store, parse it. The zero value means it
	// too (messages sent before kinds existed).
	IngestTranscript IngestKind = "transcript"
	// IngestCallEnded: a call record says a Teams meeting ended; record the occurrence and
	// wait for its transcript.
	IngestCallEnded IngestKind = "call_ended"
	// IngestTranscriptCheck: the wait for an ended meeting's transcript is over; look for it
	// once more, then tell the tenant there is none.
	IngestTranscriptCheck IngestKind = "transcript_check"
)

// IngestMessage is the body of a transcript-ingest message.
type IngestMessage struct {
	// Kind is what to do; "" is IngestTranscript.
	Kind IngestKind `json:"kind,omitempty"`
	// TenantID is our tenant.
	TenantID tenancy.ID `json:"tenant_id"`
	// SubscriptionID is Graph's subscription id, when a notification caused the message.
	SubscriptionID string `json:"subscription_id,omitempty"`
	// Resource is the notification's resource, as Graph sent it (never a fetch path).
	Resource string `json:"resource,omitempty"`
	// UserID is the meeting organizer's object id when known; TranscriptIngest otherwise
	// reads it out of the meeting id.
	UserID string `json:"user_id,omitempty"`
	// MeetingID is the onlineMeeting id (IngestTranscript, IngestTranscriptCheck).
	MeetingID string `json:"meeting_id,omitempty"`
	// TranscriptID is the callTranscript id (IngestTranscript).
	TranscriptID string `json:"transcript_id,omitempty"`
	// ChangeType is created, updated or deleted.
	ChangeType string `json:"change_type,omitempty"`
	// CallID is the call occurrence: from decrypted content or the call record.
	CallID string `json:"call_id,omitempty"`
}

// Validate checks that m names what its kind needs.
func (m IngestMessage) Validate() error {
	if m.TenantID.IsZero() {
		return errors.New("ingest message: no tenant_id")
	}
	switch m.Kind {
	case "", IngestTranscript:
		if m.MeetingID == "" || m.TranscriptID == "" {
			return errors.New("ingest message: meeting_id and transcript_id are required")
		}
	case IngestCallEnded:
		if m.CallID == "" {
			return errors.New("ingest message: call_ended needs call_id")
		}
	case IngestTranscriptCheck:
		if m.MeetingID == "" || m.CallID == "" {
			return errors.New("ingest message: transcript_check needs meeting_id and call_id")
		}
	default:
		return fmt.Errorf("ingest message: unknown kind %q", m.Kind)
	}
	for name, v := range map[string]string{"meeting_id": m.MeetingID, "transcript_id": m.TranscriptID, "call_id": m.CallID, "user_id": m.UserID} {
		if len(v) > 1000 {
			return fmt.Errorf("ingest message: %s has %d bytes", name, len(v))
		}
	}
	return nil
}

// TranscriptKey is the dedupe key of a transcript, the same one GraphNotifications' receipts
// use ("{entraTenant}:transcript:{id}"), so every path to a transcript sends one message.
func TranscriptKey(entraTenant, transcriptID string) string {
	return entraTenant + ":transcript:" + transcriptID
}

// CheckKey is the dedupe key of the "is there a transcript yet" check of a call.
func CheckKey(tenant tenancy.ID, callID string) string {
	return "check:" + tenant.String() + ":" + callID
}

// OccurrenceKey is the external id of a Teams meeting occurrence in the meetings table:
// recurring occurrences share one onlineMeeting id and differ by call id, so minutes are keyed
// by call (reference §2.9). Without a call id the meeting id alone is the key.
func OccurrenceKey(meetingID, callID string) string {
	if callID == "" {
		return meetingID
	}
	return meetingID + "|" + callID
}

// SplitOccurrenceKey is OccurrenceKey's inverse.
func SplitOccurrenceKey(key string) (meetingID, callID string) {
	meetingID, callID, _ = strings.Cut(key, "|")
	return meetingID, callID
}

// GenerateMessage is the body of a minutes-generate message.
type GenerateMessage struct {
	// TenantID is our tenant.
	TenantID tenancy.ID `json:"tenant_id"`
	// MeetingID is the meeting whose transcripts to turn into minutes.
	MeetingID store.MeetingID `json:"meeting_id"`
	// Transcripts is how many transcripts the meeting had when this was sent. Several
	// transcripts of one call each send a message after a short delay; only the one whose
	// count is still current generates, from all of them (the debounce).
	Transcripts int `json:"transcripts"`
}

// Validate checks the message.
func (m GenerateMessage) Validate() error {
	switch {
	case m.TenantID.IsZero():
		return errors.New("generate message: no tenant_id")
	case m.MeetingID.IsZero():
		return errors.New("generate message: no meeting_id")
	case m.Transcripts < 1:
		return errors.New("generate message: transcripts must be at least 1")
	}
	return nil
}

// GenerateKey is the dedupe key of a minutes-generate message.
func GenerateKey(m GenerateMessage) string {
	return fmt.Sprintf("generate:%s:%s:%d", m.TenantID, m.MeetingID, m.Transcripts)
}

// PublishMessage is the body of a minutes-publish message: publish this approved version.
type PublishMessage struct {
	TenantID  tenancy.ID      `json:"tenant_id"`
	MinutesID store.MinutesID `json:"minutes_id"`
}

// PublishKey is its dedupe id: one publication per minutes version.
func PublishKey(m PublishMessage) string {
	return "publish:" + m.TenantID.String() + ":" + m.MinutesID.String()
}
