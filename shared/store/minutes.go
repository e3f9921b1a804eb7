package store

import (
	"encoding/json"
	"time"
)

// MinutesStatus is the review state of one minutes version (meeting_minutes.status).
type MinutesStatus string

// Minutes statuses. A version starts as MinutesDraft (or MinutesPendingApproval, or
// MinutesFailed when generation failed) and moves only along CanTransition's edges.
const (
	MinutesDraft           MinutesStatus = "draft"
	MinutesPendingApproval MinutesStatus = "pending_approval"
	MinutesApproved        MinutesStatus = "approved"
	MinutesRejected        MinutesStatus = "rejected"
	MinutesPublished       MinutesStatus = "published"
	MinutesFailed          MinutesStatus = "failed"
)

// Valid reports whether s is one of the defined statuses.
func (s MinutesStatus) Valid() bool {
	switch s {
	case MinutesDraft, MinutesPendingApproval, MinutesApproved, MinutesRejected, MinutesPublished,
		MinutesFailed:
		return true
	}
	return false
}

// CanTransition reports whether a minutes version in status from may move to status to:
//
//	draft            → pending_approval, approved, rejected, published (no approval required), failed
//	pending_approval → approved, rejected
//	approved         → published
//	rejected, published, failed: final (an edit adds a new version instead)
//
// Staying in the same status is not a transition: approving approved minutes is refused.
func CanTransition(from, to MinutesStatus) bool {
	switch from {
	case MinutesDraft:
		switch to {
		case MinutesPendingApproval, MinutesApproved, MinutesRejected, MinutesPublished, MinutesFailed:
			return true
		}
	case MinutesPendingApproval:
		return to == MinutesApproved || to == MinutesRejected
	case MinutesApproved:
		return to == MinutesPublished
	case MinutesRejected, MinutesPublished, MinutesFailed:
		return false
	}
	return false
}

// Minutes is one version of a meeting's minutes.
type Minutes struct {
	// ID is the store's id for this version.
	ID MinutesID
	// MeetingID is the meeting the minutes are of.
	MeetingID MeetingID
	// TranscriptID is the transcript they were generated from; zero when none (a manual edit
	// of a deleted transcript's minutes).
	TranscriptID TranscriptID
	// Version counts from 1 per meeting: generation writes 1, each edit adds one.
	Version int
	// Status is the review state.
	Status MinutesStatus
	// Content is the minutes model as a JSON object (title, summary, decisions, action_items,
	// attendees, generator, language); shared/minutes defines it.
	Content json.RawMessage
	// Generator names what produced the content ("offline", a model name, "edit").
	Generator string
	// TemplateID is the template used; zero when none.
	TemplateID TemplateID
	// CreatedBy is the user who edited this version; zero for generated ones.
	CreatedBy UserID
	// CreatedAt is when the version was added.
	CreatedAt time.Time
	// DecidedBy is who approved or rejected it; zero when undecided or decided by the system.
	DecidedBy UserID
	// DecidedAt is when it was approved or rejected, nil before.
	DecidedAt *time.Time
	// DecisionReason is the reviewer's reason for a rejection, or why it failed.
	DecisionReason string
	// PublishedAt is when it was published, nil before.
	PublishedAt *time.Time
}

// MinutesInput describes a new minutes version for AddMinutesVersion. The version number is
// assigned by the store.
type MinutesInput struct {
	// MeetingID is the meeting; required.
	MeetingID MeetingID
	// TranscriptID is optional.
	TranscriptID TranscriptID
	// Status is the initial status: "" means MinutesDraft; only draft, pending_approval and
	// failed are accepted.
	Status MinutesStatus
	// Content must be a JSON object.
	Content json.RawMessage
	// Generator is optional.
	Generator string
	// TemplateID is optional.
	TemplateID TemplateID
	// CreatedBy is optional (zero for generated minutes).
	CreatedBy UserID
}

// DecideParams is a review decision for DecideMinutes.
type DecideParams struct {
	// Status is the new status; CanTransition from the current one must hold.
	Status MinutesStatus
	// By is the deciding user for approved and rejected; zero for the system (approval not
	// required). Ignored for other statuses.
	By UserID
	// Reason is kept for rejected and failed (decision_reason); ignored otherwise.
	Reason string
	// At is when the decision was made, from the caller's clock; required. It becomes
	// DecidedAt (approved, rejected) or PublishedAt (published).
	At time.Time
}
