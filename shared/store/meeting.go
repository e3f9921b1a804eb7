package store

import (
	"encoding/base64"
	"encoding/binary"
	"time"
)

// MeetingSource says where a meeting came from (meetings.source).
type MeetingSource string

// Meeting sources.
const (
	// SourceGraph is a Teams meeting found through Microsoft Graph.
	SourceGraph MeetingSource = "graph"
	// SourceUpload is a transcript a member uploaded.
	SourceUpload MeetingSource = "upload"
)

// Valid reports whether s is one of the defined sources.
func (s MeetingSource) Valid() bool {
	switch s {
	case SourceGraph, SourceUpload:
		return true
	}
	return false
}

// MeetingStatus is a meeting's progress through the pipeline, shown in the portal
// (meetings.status).
type MeetingStatus string

// Meeting statuses.
const (
	MeetingEnded              MeetingStatus = "ended" // the default for a new meeting
	MeetingAwaitingTranscript MeetingStatus = "awaiting_transcript"
	MeetingNoTranscript       MeetingStatus = "no_transcript"
	MeetingTranscriptReceived MeetingStatus = "transcript_received"
	MeetingOverQuota          MeetingStatus = "over_quota"
	MeetingGenerating         MeetingStatus = "generating"
	MeetingDraft              MeetingStatus = "draft"
	MeetingPendingApproval    MeetingStatus = "pending_approval"
	MeetingApproved           MeetingStatus = "approved"
	MeetingRejected           MeetingStatus = "rejected"
	MeetingPublished          MeetingStatus = "published"
	MeetingFailed             MeetingStatus = "failed"
)

// Valid reports whether s is one of the defined statuses.
func (s MeetingStatus) Valid() bool {
	switch s {
	case MeetingEnded, MeetingAwaitingTranscript, MeetingNoTranscript, MeetingTranscriptReceived,
		MeetingOverQuota, MeetingGenerating, MeetingDraft, MeetingPendingApproval, MeetingApproved,
		MeetingRejected, MeetingPublished, MeetingFailed:
		return true
	}
	return false
}

// Participant is one attendee of a meeting, as Graph or the uploader reported them.
type Participant struct {
	// ExternalID is the attendee's Entra object id, "" when unknown (guests, uploads).
	ExternalID string `json:"id,omitempty"`
	// Name is the display name.
	Name string `json:"name,omitempty"`
	// Email is the attendee's address, "" when unknown.
	Email string `json:"email,omitempty"`
}

// Meeting is one meeting occurrence of the tenant.
type Meeting struct {
	// ID is the store's id for the meeting.
	ID MeetingID
	// Source says where the meeting came from.
	Source MeetingSource
	// ExternalID is the Graph onlineMeeting id, or the upload's own id; unique per tenant and
	// source.
	ExternalID string
	// CallID is the Graph call id, "" when unknown.
	CallID string
	// Subject is the meeting's title.
	Subject string
	// OrganizerID is the organizer's Entra object id, "" when unknown.
	OrganizerID string
	// OrganizerName is the organizer's display name.
	OrganizerName string
	// OrganizerEmail is the organizer's address.
	OrganizerEmail string
	// StartsAt is the scheduled or actual start, nil when unknown.
	StartsAt *time.Time
	// EndsAt is the end, nil when unknown.
	EndsAt *time.Time
	// Participants are the attendees; never nil.
	Participants []Participant
	// Status is the pipeline progress.
	Status MeetingStatus
	// StatusDetail explains Status (a failure reason, a quota message), "" when none.
	StatusDetail string
	// CreatedAt is when the store first saw the meeting.
	CreatedAt time.Time
	// UpdatedAt is the last change of the row.
	UpdatedAt time.Time
}

// MeetingInput describes a meeting for UpsertMeeting. Source and ExternalID identify it; the
// other fields replace what is stored. Status is not part of it: a new meeting starts as
// MeetingEnded and SetMeetingStatus moves it on.
type MeetingInput struct {
	// Source is required.
	Source MeetingSource
	// ExternalID is required: 1 to 1024 bytes.
	ExternalID string
	// CallID is optional.
	CallID string
	// Subject is at most 1000 characters.
	Subject string
	// OrganizerID is optional.
	OrganizerID string
	// OrganizerName is optional.
	OrganizerName string
	// OrganizerEmail is optional.
	OrganizerEmail string
	// StartsAt is optional.
	StartsAt *time.Time
	// EndsAt is optional.
	EndsAt *time.Time
	// Participants are optional; nil is stored as an empty list.
	Participants []Participant
}

// MeetingCursor marks a position in the ListMeetings order (starts_at DESC NULLS LAST, id).
// Take it from the last meeting of a page with Meeting.Cursor; the zero value is the start.
type MeetingCursor struct {
	startsAt *time.Time
	id       MeetingID
}

// Cursor returns the position just after m in the ListMeetings order.
func (m Meeting) Cursor() MeetingCursor {
	c := MeetingCursor{id: m.ID}
	if m.StartsAt != nil {
		t := m.StartsAt.Truncate(time.Microsecond) // the database's precision
		c.startsAt = &t
	}
	return c
}

// IsZero reports whether c is the start of the list.
func (c MeetingCursor) IsZero() bool { return c.id.IsZero() }

// String encodes c as an opaque URL-safe token for page links; "" for the zero cursor.
func (c MeetingCursor) String() string {
	if c.IsZero() {
		return ""
	}
	b := make([]byte, 0, 1+8+16)
	if c.startsAt != nil {
		b = append(b, 1)
		b = binary.BigEndian.AppendUint64(b, uint64(c.startsAt.UnixMicro()))
	} else {
		b = append(b, 0)
	}
	u := c.id.UUID()
	b = append(b, u[:]...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ParseMeetingCursor decodes a token made by MeetingCursor.String; "" is the zero cursor and
// anything malformed is ErrInvalid.
func ParseMeetingCursor(s string) (MeetingCursor, error) {
	if s == "" {
		return MeetingCursor{}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 17 {
		return MeetingCursor{}, invalid("meeting cursor %q", clip(s))
	}
	var c MeetingCursor
	switch {
	case b[0] == 1 && len(b) == 1+8+16:
		t := time.UnixMicro(int64(binary.BigEndian.Uint64(b[1:9]))).UTC()
		c.startsAt = &t
		b = b[9:]
	case b[0] == 0 && len(b) == 1+16:
		b = b[1:]
	default:
		return MeetingCursor{}, invalid("meeting cursor %q", clip(s))
	}
	copy(c.id.u[:], b)
	if c.id.IsZero() {
		return MeetingCursor{}, invalid("meeting cursor %q", clip(s))
	}
	return c, nil
}

// ListMeetingsParams selects a page of meetings, newest first (starts_at DESC NULLS LAST,
// then id).
type ListMeetingsParams struct {
	// Limit is the page size: 0 means DefaultLimit, above MaxLimit is clamped to MaxLimit,
	// negative is ErrInvalid.
	Limit int
	// Before continues after the meeting the cursor was taken from; zero starts at the top.
	Before MeetingCursor
	// Status keeps only meetings in that status; "" keeps all.
	Status MeetingStatus
}
