package generate

import (
	"context"
	"time"

	"github.com/meetingminutes/minutes/shared/minutes"
)

// Generator names written to Minutes.Generator.
const (
	GeneratorOffline  = "offline"
	GeneratorLLM      = "llm"
	GeneratorFallback = "offline-fallback"
)

// Reasons written to Minutes.FallbackReason when [LLM] falls back to the offline draft.
const (
	ReasonContentFilter = "content_filter"   // the provider's content filter refused
	ReasonUnavailable   = "llm_unavailable"  // retries exhausted (429, 5xx, timeouts)
	ReasonBudget        = "budget_exhausted" // the time or call budget ran out
	ReasonMalformed     = "malformed_output" // the model's output did not parse, twice
	ReasonNotConfigured = "llm_not_configured"
)

// Minutes is the minutes model: the JSON the review service, the portal and the API accept
// as minutes content (see shared/review), and what `handler minutes --format json` prints.
type Minutes struct {
	Title       string       `json:"title"`
	Summary     string       `json:"summary"`
	Decisions   []Decision   `json:"decisions"`
	ActionItems []ActionItem `json:"action_items"`
	Attendees   []Attendee   `json:"attendees"`
	// Generator is GeneratorOffline, GeneratorLLM or GeneratorFallback.
	Generator string `json:"generator"`
	// Language is a BCP 47 tag ("en-US"), "" when unknown.
	Language string `json:"language"`
	// FallbackReason says why an offline draft stands in for the model's (one of the
	// Reason constants); set only when Generator is GeneratorFallback. Such minutes
	// deserve a "regenerate" action.
	FallbackReason string `json:"fallback_reason,omitempty"`
}

// Decision is one decision with the transcript quote that supports it.
type Decision struct {
	Text string `json:"text"`
	// Quote is a verbatim span of the transcript.
	Quote string `json:"quote"`
	// At is the offset of the quote in the meeting, "HH:MM:SS".
	At string `json:"at"`
}

// ActionItem is one commitment made in the meeting.
type ActionItem struct {
	Task string `json:"task"`
	// Owner is the display name of who committed or was asked, "" when nobody was.
	Owner string `json:"owner"`
	// OwnerEmail is set when Owner matched exactly one attendee.
	OwnerEmail string `json:"owner_email,omitempty"`
	// Due is a date "YYYY-MM-DD", "" when none was said.
	Due string `json:"due"`
	// Quote is a verbatim span of the transcript, "" when the item could not be verified.
	Quote string `json:"quote"`
	// At is the offset of the quote, "HH:MM:SS", "" with an empty Quote.
	At string `json:"at"`
	// Verified reports whether Quote was found in the transcript.
	Verified bool `json:"verified"`
}

// Attendee is a meeting participant.
type Attendee struct {
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
}

// Template is the tenant's shape for the minutes.
type Template struct {
	// Sections to produce, in order, from "summary", "decisions", "action_items",
	// "attendees". Empty means all four.
	Sections []string
	// Tone is a short instruction for the model ("formal", "concise"); "" means neutral.
	Tone string
	// Language is the BCP 47 tag to write the minutes in; "" means the transcript's.
	Language string
}

// has reports whether the template asks for section s.
func (t Template) has(s string) bool {
	if len(t.Sections) == 0 {
		return true
	}
	for _, x := range t.Sections {
		if x == s {
			return true
		}
	}
	return false
}

// Input is what a generator works from.
type Input struct {
	// Transcript is the parsed transcript; required.
	Transcript *minutes.Transcript
	// Subject is the meeting subject, used as the title when set.
	Subject string
	// Start is when the meeting started, in the meeting's time zone: relative due dates
	// ("by Friday") are resolved against its date. Zero means the due dates stay empty
	// unless they are absolute ("on 2026-03-20" still needs a year: see ResolveDue).
	Start time.Time
	// Attendees are the invited people; owners are matched to them.
	Attendees []Attendee
	// Template shapes the output.
	Template Template
}

// Generator drafts minutes from a transcript.
type Generator interface {
	Generate(ctx context.Context, in Input) (Minutes, error)
}
