package store

import (
	"context"
	"github.com/meetingminutes/minutes/shared/audit"
	"time"

	"github.com/google/uuid"

	"github.com/meetingminutes/minutes/shared/tenancy"
)

// Page sizes of the List methods.
const (
	// DefaultLimit is the page size when a params struct leaves Limit at 0.
	DefaultLimit = 50
	// MaxLimit is the largest page size; larger limits are clamped to it.
	MaxLimit = 200
)

// Store is the tenant data of one tenant. It is a wide interface on purpose: it is the seam
// between callers and where a tenant's data lives, and it has two implementations, Managed
// (our shared PostgreSQL, tenants isolated by row-level security) and a BYOI one (the tenant's
// own database). Callers get a Store from a Resolver and never know which they hold.
//
// The tenant is implicit: a Store is bound to one tenant, every row it reads or writes is that
// tenant's, and an ID of another tenant's row behaves exactly like an ID that does not exist
// (ErrNotFound). Every method is atomic. Errors wrap ErrNotFound, ErrConflict, ErrInvalid or
// ErrExpired for the conditions callers branch on; anything else is an internal failure.
type Store interface {
	// UpsertMeeting stores the meeting identified by (Source, ExternalID), creating it or
	// replacing its descriptive fields; created reports a new row. Status is left alone.
	UpsertMeeting(ctx context.Context, in MeetingInput) (m Meeting, created bool, err error)
	// Meeting returns one meeting.
	Meeting(ctx context.Context, id MeetingID) (Meeting, error)
	// ListMeetings returns a page of meetings, newest first; continue with the last one's
	// Cursor. The page is stable: rows are ordered by (starts_at DESC NULLS LAST, id).
	ListMeetings(ctx context.Context, p ListMeetingsParams) ([]Meeting, error)
	// SetMeetingStatus records a meeting's pipeline progress and its explanation.
	SetMeetingStatus(ctx context.Context, id MeetingID, status MeetingStatus, detail string) (Meeting, error)

	// AddTranscript stores a transcript of an existing meeting, idempotent on ExternalID:
	// adding it again returns the stored row with created false (the first write wins), and
	// ErrConflict if that ExternalID belongs to another meeting.
	AddTranscript(ctx context.Context, in TranscriptInput) (t Transcript, created bool, err error)
	// Transcript returns one transcript.
	Transcript(ctx context.Context, id TranscriptID) (Transcript, error)
	// TranscriptsForMeeting returns a meeting's transcripts, oldest first; ErrNotFound when
	// the meeting does not exist.
	TranscriptsForMeeting(ctx context.Context, meetingID MeetingID) ([]Transcript, error)

	// AddMinutesVersion adds the next version (the meeting's latest + 1, starting at 1) of a
	// meeting's minutes. Concurrent adds for one meeting get distinct versions.
	AddMinutesVersion(ctx context.Context, in MinutesInput) (Minutes, error)
	// Minutes returns one minutes version.
	Minutes(ctx context.Context, id MinutesID) (Minutes, error)
	// LatestMinutes returns the highest version of a meeting's minutes; ErrNotFound when the
	// meeting has none.
	LatestMinutes(ctx context.Context, meetingID MeetingID) (Minutes, error)
	// MinutesHistory returns every version of a meeting's minutes, newest first; ErrNotFound
	// when the meeting does not exist.
	MinutesHistory(ctx context.Context, meetingID MeetingID) ([]Minutes, error)
	// DecideMinutes moves a minutes version to p.Status. It is ErrConflict unless
	// CanTransition(current, p.Status) holds and the version is its meeting's latest.
	DecideMinutes(ctx context.Context, id MinutesID, p DecideParams) (Minutes, error)

	// ReplaceActionItems replaces a minutes version's action items with items (in that
	// order); ErrConflict unless the version is draft or pending_approval.
	ReplaceActionItems(ctx context.Context, minutesID MinutesID, items []ActionItemInput) ([]ActionItem, error)
	// ActionItems returns the action items f selects.
	ActionItems(ctx context.Context, f ActionItemFilter) ([]ActionItem, error)
	// ActionItem returns one action item.
	ActionItem(ctx context.Context, id ActionItemID) (ActionItem, error)
	// SetActionItemStatus changes an item's status; done sets CompletedAt, others clear it.
	SetActionItemStatus(ctx context.Context, id ActionItemID, status ActionItemStatus) (ActionItem, error)

	// CreateUser adds a user; ErrConflict when the email (in any case) or Entra object id is
	// taken.
	CreateUser(ctx context.Context, in UserInput) (User, error)
	// UpsertUserByEmail returns the user with that email (in any case), filling in a missing
	// display name or Entra object id, or creates it; created reports a new row. It never
	// changes a role, and an Entra object id that differs from the stored one is ErrConflict.
	UpsertUserByEmail(ctx context.Context, in UserInput) (u User, created bool, err error)
	// User returns one user.
	User(ctx context.Context, id UserID) (User, error)
	// UserByEntraID returns the user with that Entra object id.
	UserByEntraID(ctx context.Context, entraObjectID uuid.UUID) (User, error)
	// UserByEmail returns the user with that email, compared case-insensitively.
	UserByEmail(ctx context.Context, email string) (User, error)
	// ListUsers returns a page of users ordered by lower-case email.
	ListUsers(ctx context.Context, p ListUsersParams) ([]User, error)
	// SetUserRole changes a user's role; ErrConflict when it would leave the tenant without an
	// active admin.
	SetUserRole(ctx context.Context, id UserID, role Role) (User, error)
	// TouchUser records that the user signed in at at (users.last_seen_at).
	TouchUser(ctx context.Context, id UserID, at time.Time) error

	// CreateInvitation stores an invitation; ErrConflict when the token hash is taken.
	CreateInvitation(ctx context.Context, in InvitationInput) (Invitation, error)
	// InvitationByToken returns the invitation whose token has that SHA-256, in any state.
	InvitationByToken(ctx context.Context, tokenSHA256 [32]byte) (Invitation, error)
	// AcceptInvitation marks an invitation accepted by userID at time at. It is single-use:
	// ErrConflict when already accepted or revoked, ErrExpired at or after ExpiresAt.
	AcceptInvitation(ctx context.Context, id InvitationID, userID UserID, at time.Time) (Invitation, error)
	// RevokeInvitation withdraws an invitation at time at; revoking again changes nothing, and
	// an accepted invitation is ErrConflict.
	RevokeInvitation(ctx context.Context, id InvitationID, at time.Time) (Invitation, error)
	// ListInvitations returns invitations, newest first.
	ListInvitations(ctx context.Context, p ListInvitationsParams) ([]Invitation, error)

	// CreateTemplate adds a template (not the default); ErrConflict when the name is taken.
	CreateTemplate(ctx context.Context, in TemplateInput) (Template, error)
	// Template returns one template.
	Template(ctx context.Context, id TemplateID) (Template, error)
	// ListTemplates returns every template ordered by name.
	ListTemplates(ctx context.Context) ([]Template, error)
	// SetDefaultTemplate makes a template the only default and records it in the settings.
	SetDefaultTemplate(ctx context.Context, id TemplateID) (Template, error)
	// DefaultTemplate returns the default template; ErrNotFound when there is none.
	DefaultTemplate(ctx context.Context) (Template, error)

	// Settings returns the tenant's settings, DefaultSettings when never saved.
	Settings(ctx context.Context) (Settings, error)
	// SaveSettings stores every field of s (read, change, save) and returns what was stored.
	// A non-zero DefaultTemplateID also becomes the default template; zero clears it.
	SaveSettings(ctx context.Context, s Settings) (Settings, error)

	// Tx runs fn with a Store whose operations all share one transaction of this tenant: it
	// commits when fn returns nil and rolls back otherwise, returning fn's error unchanged.
	// Each operation inside is atomic on its own too, so fn may handle an error (ErrConflict)
	// and go on. The Store given to fn must not be used after fn returns or by another
	// goroutine.
	Tx(ctx context.Context, fn func(Store) error) error

	// MeetingByExternalID returns the meeting of that source and external id.
	MeetingByExternalID(ctx context.Context, source MeetingSource, externalID string) (Meeting, error)
	// AddMeetingEvent appends an entry to a meeting's pipeline timeline; ErrNotFound when the
	// meeting does not exist. Detail longer than its bound is cut, never refused.
	AddMeetingEvent(ctx context.Context, in MeetingEventInput) error
	// MeetingEvents returns a meeting's timeline, oldest first (its latest 200 entries).
	MeetingEvents(ctx context.Context, meetingID MeetingID) ([]MeetingEvent, error)
	// NoteTranscriptFetch records an attempt at, or the outcome of, fetching a Graph
	// transcript, and returns the fetch as stored.
	NoteTranscriptFetch(ctx context.Context, in TranscriptFetchInput) (TranscriptFetch, error)
	// TranscriptFetch returns what is recorded about fetching a Graph transcript.
	TranscriptFetch(ctx context.Context, externalID string) (TranscriptFetch, error)
	// TranscriptByExternalID returns the stored transcript with that external id.
	TranscriptByExternalID(ctx context.Context, externalID string) (Transcript, error)
	// RaiseAlert opens the alert of in.Kind, or counts one more occurrence of the open one.
	// notify is true for exactly one caller per opening: the one that must tell the admins
	// (it calls AlertNoticeFailed if it could not, so a later raise tries again).
	RaiseAlert(ctx context.Context, in AlertInput) (a Alert, notify bool, err error)
	// AlertNoticeFailed forgets that the admins were told about the open alert of kind.
	AlertNoticeFailed(ctx context.Context, kind string) error
	// ResolveAlert closes the open alert of kind; resolved is false when none was open.
	ResolveAlert(ctx context.Context, kind string) (resolved bool, err error)
	// OpenAlerts returns the open alerts, oldest first.
	OpenAlerts(ctx context.Context) ([]Alert, error)

	// Audit appends e to the tenant's hash-chained audit log (shared/audit). Inside Tx the
	// entry commits or rolls back with the change it records.
	Audit(ctx context.Context, e audit.Entry) (audit.Record, error)
}

// Resolver finds where a tenant's data lives and returns the Store bound to it. It is the
// only way callers get a Store.
type Resolver interface {
	// For returns the Store of tenant id.
	For(ctx context.Context, id tenancy.ID) (Store, error)
}

// limit applies the page-size rules of the List methods.
func limit(n int) (int, error) {
	switch {
	case n < 0:
		return 0, invalid("negative limit %d", n)
	case n == 0:
		return DefaultLimit, nil
	case n > MaxLimit:
		return MaxLimit, nil
	default:
		return n, nil
	}
}
