package portal

import (
	"github.com/meetingminutes/minutes/shared/store"
)

// badge is a status as the pages show it: human text and a tone for its colour.
type badge struct {
	// Text is what the user reads.
	Text string
	// Tone is one of neutral, info, progress, ok, warn, error (a CSS class).
	Tone string
	// Hint says what to do about it, "" when nothing.
	Hint string
}

// meetingBadge describes a meeting's pipeline status; detail is the meeting's StatusDetail.
func meetingBadge(s store.MeetingStatus, detail string) badge {
	switch s {
	case store.MeetingEnded:
		return badge{Text: "Ended", Tone: "neutral", Hint: detail}
	case store.MeetingAwaitingTranscript:
		return badge{Text: "Waiting for the transcript", Tone: "progress", Hint: detail}
	case store.MeetingNoTranscript:
		return badge{Text: "Ended without a transcript — turn on transcription or upload one", Tone: "warn", Hint: detail}
	case store.MeetingTranscriptReceived:
		return badge{Text: "Transcript received", Tone: "progress", Hint: detail}
	case store.MeetingOverQuota:
		return badge{Text: "Over the monthly meeting quota", Tone: "warn",
			Hint: orDefault(detail, "Minutes were not generated: your plan's meetings for this month are used up. An administrator can upgrade the plan.")}
	case store.MeetingGenerating:
		return badge{Text: "Generating minutes", Tone: "progress", Hint: detail}
	case store.MeetingDraft:
		return badge{Text: "Draft ready for review", Tone: "info", Hint: detail}
	case store.MeetingPendingApproval:
		return badge{Text: "Waiting for approval", Tone: "info", Hint: detail}
	case store.MeetingApproved:
		return badge{Text: "Approved", Tone: "ok", Hint: detail}
	case store.MeetingRejected:
		return badge{Text: "Rejected", Tone: "error", Hint: detail}
	case store.MeetingPublished:
		return badge{Text: "Published", Tone: "ok", Hint: detail}
	case store.MeetingFailed:
		return badge{Text: "Failed", Tone: "error", Hint: orDefault(detail, "Something went wrong while processing this meeting.")}
	}
	return badge{Text: string(s), Tone: "neutral", Hint: detail}
}

// minutesBadge describes a minutes version's review status.
func minutesBadge(s store.MinutesStatus) badge {
	switch s {
	case store.MinutesDraft:
		return badge{Text: "Draft", Tone: "info"}
	case store.MinutesPendingApproval:
		return badge{Text: "Waiting for approval", Tone: "info"}
	case store.MinutesApproved:
		return badge{Text: "Approved", Tone: "ok"}
	case store.MinutesRejected:
		return badge{Text: "Rejected", Tone: "error"}
	case store.MinutesPublished:
		return badge{Text: "Published", Tone: "ok"}
	case store.MinutesFailed:
		return badge{Text: "Generation failed", Tone: "error"}
	}
	return badge{Text: string(s), Tone: "neutral"}
}

// actionBadge describes an action item's status.
func actionBadge(s store.ActionItemStatus) badge {
	switch s {
	case store.ActionOpen:
		return badge{Text: "Open", Tone: "info"}
	case store.ActionDone:
		return badge{Text: "Done", Tone: "ok"}
	case store.ActionCancelled:
		return badge{Text: "Cancelled", Tone: "neutral"}
	}
	return badge{Text: string(s), Tone: "neutral"}
}

// roleLabel is a role's display name.
func roleLabel(r store.Role) string {
	switch r {
	case store.RoleAdmin:
		return "Administrator"
	case store.RoleApprover:
		return "Approver"
	case store.RoleMember:
		return "Member"
	}
	return string(r)
}

// roles are the roles in the order the pages offer them.
func roles() []store.Role { return []store.Role{store.RoleMember, store.RoleApprover, store.RoleAdmin} }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// clipText shortens s to at most n runes for messages and logs.
func clipText(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
