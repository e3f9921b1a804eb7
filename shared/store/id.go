package store

import (
	"database/sql/driver"
	"fmt"

	"github.com/google/uuid"
)

// uid is the UUID inside every typed ID. The typed IDs embed it, so each is a distinct type
// (a MeetingID cannot be passed where a UserID is expected) sharing one implementation.
// The zero value means "none": it is stored as NULL and NULL reads back as zero.
type uid struct{ u uuid.UUID }

// String is the canonical lower-case UUID form, or "" for the zero ID.
func (i uid) String() string {
	if i.IsZero() {
		return ""
	}
	return i.u.String()
}

// IsZero reports whether the ID is the zero value (no row).
func (i uid) IsZero() bool { return i.u == uuid.Nil }

// UUID returns the ID as a uuid.UUID (uuid.Nil for the zero ID).
func (i uid) UUID() uuid.UUID { return i.u }

// Value stores the ID as a uuid column value; the zero ID is NULL.
func (i uid) Value() (driver.Value, error) {
	if i.IsZero() {
		return nil, nil
	}
	return i.u.String(), nil
}

// Scan reads the ID from a uuid column; NULL reads as the zero ID.
func (i *uid) Scan(src any) error {
	if src == nil {
		i.u = uuid.Nil
		return nil
	}
	var u uuid.UUID
	if err := u.Scan(src); err != nil {
		return fmt.Errorf("scan id: %w", err)
	}
	i.u = u
	return nil
}

// MarshalText writes the canonical form ("" for the zero ID), for JSON and logs.
func (i uid) MarshalText() ([]byte, error) { return []byte(i.String()), nil }

// UnmarshalText parses the canonical form; "" is the zero ID.
func (i *uid) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		i.u = uuid.Nil
		return nil
	}
	p, err := parseUID("id", string(b))
	if err != nil {
		return err
	}
	*i = p
	return nil
}

// parseUID accepts only the canonical 36-character form of a non-nil UUID: IDs come from
// URLs and request bodies, and one spelling per ID keeps them comparable as strings.
func parseUID(kind, s string) (uid, error) {
	if len(s) != 36 {
		return uid{}, invalid("%s %q is not a UUID", kind, clip(s))
	}
	u, err := uuid.Parse(s)
	if err != nil || u == uuid.Nil {
		return uid{}, invalid("%s %q is not a UUID", kind, clip(s))
	}
	return uid{u}, nil
}

// clip shortens untrusted input quoted in an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// MeetingID identifies a meeting (meetings.id) within its tenant.
type MeetingID struct{ uid }

// ParseMeetingID parses the canonical UUID form; anything else is ErrInvalid.
func ParseMeetingID(s string) (MeetingID, error) {
	u, err := parseUID("meeting id", s)
	return MeetingID{u}, err
}

// TranscriptID identifies a stored transcript (transcripts.id).
type TranscriptID struct{ uid }

// ParseTranscriptID parses the canonical UUID form; anything else is ErrInvalid.
func ParseTranscriptID(s string) (TranscriptID, error) {
	u, err := parseUID("transcript id", s)
	return TranscriptID{u}, err
}

// MinutesID identifies one version of a meeting's minutes (meeting_minutes.id).
type MinutesID struct{ uid }

// ParseMinutesID parses the canonical UUID form; anything else is ErrInvalid.
func ParseMinutesID(s string) (MinutesID, error) {
	u, err := parseUID("minutes id", s)
	return MinutesID{u}, err
}

// ActionItemID identifies an action item (action_items.id).
type ActionItemID struct{ uid }

// ParseActionItemID parses the canonical UUID form; anything else is ErrInvalid.
func ParseActionItemID(s string) (ActionItemID, error) {
	u, err := parseUID("action item id", s)
	return ActionItemID{u}, err
}

// UserID identifies a user of the tenant (users.id), not their Entra object id.
type UserID struct{ uid }

// ParseUserID parses the canonical UUID form; anything else is ErrInvalid.
func ParseUserID(s string) (UserID, error) {
	u, err := parseUID("user id", s)
	return UserID{u}, err
}

// InvitationID identifies an invitation (invitations.id).
type InvitationID struct{ uid }

// ParseInvitationID parses the canonical UUID form; anything else is ErrInvalid.
func ParseInvitationID(s string) (InvitationID, error) {
	u, err := parseUID("invitation id", s)
	return InvitationID{u}, err
}

// TemplateID identifies a minutes template (templates.id).
type TemplateID struct{ uid }

// ParseTemplateID parses the canonical UUID form; anything else is ErrInvalid.
func ParseTemplateID(s string) (TemplateID, error) {
	u, err := parseUID("template id", s)
	return TemplateID{u}, err
}
