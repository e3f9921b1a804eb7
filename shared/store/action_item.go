package store

import "time"

// ActionItemStatus is an action item's state (action_items.status).
type ActionItemStatus string

// Action item statuses.
const (
	ActionOpen      ActionItemStatus = "open" // the default
	ActionDone      ActionItemStatus = "done"
	ActionCancelled ActionItemStatus = "cancelled"
)

// Valid reports whether s is one of the defined statuses.
func (s ActionItemStatus) Valid() bool {
	switch s {
	case ActionOpen, ActionDone, ActionCancelled:
		return true
	}
	return false
}

// ActionItem is a task recorded in one minutes version, with the transcript span it came
// from.
type ActionItem struct {
	// ID is the store's id for the item.
	ID ActionItemID
	// MinutesID is the minutes version the item belongs to.
	MinutesID MinutesID
	// MeetingID is that version's meeting.
	MeetingID MeetingID
	// Task says what is to be done.
	Task string
	// OwnerUserID is the owner when they are a user of the tenant; zero otherwise.
	OwnerUserID UserID
	// OwnerName is the owner's name as the minutes give it.
	OwnerName string
	// OwnerEmail is the owner's address, "" when unknown.
	OwnerEmail string
	// DueDate is the due day (midnight UTC, date only), nil when none.
	DueDate *time.Time
	// Status is the item's state.
	Status ActionItemStatus
	// SourceQuote is the verbatim transcript span the item came from.
	SourceQuote string
	// SourceOffset is that span's offset from the meeting start (millisecond precision), nil
	// when unknown.
	SourceOffset *time.Duration
	// Verified reports that SourceQuote was found verbatim in the transcript.
	Verified bool
	// CreatedAt is when the item was stored.
	CreatedAt time.Time
	// UpdatedAt is the item's last change.
	UpdatedAt time.Time
	// CompletedAt is when it was marked done, nil otherwise.
	CompletedAt *time.Time
}

// ActionItemInput describes one item for ReplaceActionItems. New items are ActionOpen.
type ActionItemInput struct {
	// Task is required: 1 to 2000 characters.
	Task string
	// OwnerUserID is optional; it must be a user of the tenant.
	OwnerUserID UserID
	// OwnerName is optional.
	OwnerName string
	// OwnerEmail is optional.
	OwnerEmail string
	// DueDate is optional; only its date (in its own location) is kept.
	DueDate *time.Time
	// SourceQuote is optional.
	SourceQuote string
	// SourceOffset is optional; it must not be negative.
	SourceOffset *time.Duration
	// Verified is optional.
	Verified bool
}

// ActionItemFilter selects action items for ActionItems. Items of a superseded minutes version
// (one for which the meeting has a later version) are left out unless MinutesID names that
// version. Results are ordered by due date (none last), then creation, then id.
type ActionItemFilter struct {
	// OwnerUserID keeps only that user's items; zero keeps all.
	OwnerUserID UserID
	// Status keeps only items in that state; "" keeps all.
	Status ActionItemStatus
	// MeetingID keeps only that meeting's items; zero keeps all.
	MeetingID MeetingID
	// MinutesID keeps only that version's items; zero keeps all.
	MinutesID MinutesID
	// Limit is the maximum number of items: 0 means DefaultLimit, above MaxLimit is clamped,
	// negative is ErrInvalid.
	Limit int
}
