package store

import "time"

// EventOutcome says how a pipeline step ended (meeting_events.outcome).
type EventOutcome string

// Event outcomes.
const (
	// OutcomeOK is a step that succeeded.
	OutcomeOK EventOutcome = "ok"
	// OutcomeWaiting is a step waiting on something outside us (a transcript, an admin).
	OutcomeWaiting EventOutcome = "waiting"
	// OutcomeRetry is a step that failed and will be tried again.
	OutcomeRetry EventOutcome = "retry"
	// OutcomeFailed is a step that failed for good; the detail says what to do.
	OutcomeFailed EventOutcome = "failed"
)

// Valid reports whether o is one of the defined outcomes.
func (o EventOutcome) Valid() bool {
	switch o {
	case OutcomeOK, OutcomeWaiting, OutcomeRetry, OutcomeFailed:
		return true
	}
	return false
}

// MeetingEvent is one entry of a meeting's pipeline timeline, shown in the portal.
type MeetingEvent struct {
	// At is when the step happened.
	At time.Time
	// Stage names the step: lower-case letters and underscores, 1 to 40 characters.
	Stage string
	// Outcome says how it ended.
	Outcome EventOutcome
	// Detail is safe to show to the tenant: reasons and counts, never transcript text.
	Detail string
}

// MeetingEventInput is a timeline entry for AddMeetingEvent.
type MeetingEventInput struct {
	// MeetingID is the meeting; required.
	MeetingID MeetingID
	// Stage is required (see MeetingEvent.Stage).
	Stage string
	// Outcome is required.
	Outcome EventOutcome
	// Detail is at most 2000 characters; longer is cut.
	Detail string
}

// FetchStatus is the state of a transcript fetch (transcript_fetches.status).
type FetchStatus string

// Fetch statuses.
const (
	// FetchRetrying: not available yet, or throttled; tried again later.
	FetchRetrying FetchStatus = "retrying"
	// FetchBlocked: a tenant gate (access policy, Transcript API access) or metering refused
	// it; tried again later, so it resumes once the gate opens.
	FetchBlocked FetchStatus = "blocked"
	// FetchStored: the transcript is stored.
	FetchStored FetchStatus = "stored"
	// FetchGaveUp: retried past the limit; LastError says why.
	FetchGaveUp FetchStatus = "gave_up"
)

// Valid reports whether f is one of the defined statuses.
func (f FetchStatus) Valid() bool {
	switch f {
	case FetchRetrying, FetchBlocked, FetchStored, FetchGaveUp:
		return true
	}
	return false
}

// TranscriptFetch is what the pipeline knows about fetching one Graph transcript.
type TranscriptFetch struct {
	// ExternalID is the Graph transcript id.
	ExternalID string
	// MeetingID is the meeting it belongs to, zero when not known yet.
	MeetingID MeetingID
	// Status is the fetch's state.
	Status FetchStatus
	// Attempts counts the attempts recorded with CountAttempt.
	Attempts int
	// FirstAttemptAt and LastAttemptAt bound the attempts.
	FirstAttemptAt, LastAttemptAt time.Time
	// LastError is the latest failure's reason, "" after success.
	LastError string
}

// TranscriptFetchInput records an attempt (or its outcome) for NoteTranscriptFetch.
type TranscriptFetchInput struct {
	// ExternalID is the Graph transcript id; required.
	ExternalID string
	// MeetingID, when not zero, is recorded.
	MeetingID MeetingID
	// Status is required.
	Status FetchStatus
	// CountAttempt adds one to Attempts.
	CountAttempt bool
	// Error is the reason (stored cut to 2000 characters); "" clears it.
	Error string
}

// Alert is an open problem of the tenant that an admin must act on (a Teams setting to switch
// on), shown in the portal until resolved.
type Alert struct {
	// Kind identifies it: lower-case letters and underscores; one open alert per kind.
	Kind string
	// Title is a one-line summary.
	Title string
	// Detail says what to do, commands included.
	Detail string
	// Occurrences counts the raises since it opened.
	Occurrences int
	// FirstSeenAt and LastSeenAt bound the raises.
	FirstSeenAt, LastSeenAt time.Time
	// NotifiedAt is when the admins were mailed, nil if not (yet).
	NotifiedAt *time.Time
}

// AlertInput raises an alert with RaiseAlert.
type AlertInput struct {
	// Kind is required (see Alert.Kind).
	Kind string
	// Title is required, at most 200 characters.
	Title string
	// Detail is at most 4000 characters.
	Detail string
}
