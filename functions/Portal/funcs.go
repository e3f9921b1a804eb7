package portal

import (
	"html/template"
	"strings"
	"time"

	"github.com/meetingminutes/minutes/shared/store"
)

// funcs are the template functions. None returns template.HTML: every value a template
// prints is escaped by html/template.
func funcs(a *assets) template.FuncMap {
	return template.FuncMap{
		"asset":        a.url,
		"when":         when,
		"whenPtr":      whenPtr,
		"iso":          iso,
		"stageLabel":   stageLabel,
		"outcomeLabel": outcomeLabel,
		"minutesBadge": minutesBadge,
		"actionBadge":  actionBadge,
		"roleLabel":    roleLabel,
		"roles":        roles,
		"add":          func(a, b int) int { return a + b },
		"sectionLabel": sectionLabel,
		"toneLabel":    toneLabel,
		"docView":      newDocView,
		"inviteView":   newInviteView,
	}
}

// when formats an instant for people: "Mon 2 Jan 2006, 15:04 UTC".
func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("Mon 2 Jan 2006, 15:04 UTC")
}

func whenPtr(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return when(*t)
}

// iso is the machine-readable form for <time datetime>.
func iso(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// offset formats a transcript offset as HH:MM:SS; "" when unknown.
func offset(d *time.Duration) string {
	if d == nil {
		return ""
	}
	return clock(*d)
}

// docView is what the minutes-doc template needs: the version, and what its action items'
// status buttons need (the CSRF token, the page to come back to).
type docView struct {
	Doc  minutesDoc
	CSRF string
	Back string
}

func newDocView(d minutesDoc, csrf, back string) docView {
	return docView{Doc: d, CSRF: csrf, Back: back}
}

func newInviteView(f *inviteForm, csrf, back string, readOnly bool) inviteView {
	return inviteView{Form: f, CSRF: csrf, Back: back, ReadOnly: readOnly}
}

// stageLabel names a pipeline step for people; an unknown step shows as written.
func stageLabel(stage string) string {
	switch stage {
	case "meeting_ended":
		return "Meeting ended"
	case "transcript_fetch":
		return "Transcript download"
	case "transcript_stored":
		return "Transcript received"
	case "generate_queued":
		return "Minutes queued"
	case "generation":
		return "Minutes drafted"
	case "approval":
		return "Approval"
	case "publish":
		return "Published"
	}
	return strings.ReplaceAll(stage, "_", " ")
}

// outcomeLabel says how a step ended.
func outcomeLabel(o store.EventOutcome) string {
	switch o {
	case store.OutcomeOK:
		return "done"
	case store.OutcomeWaiting:
		return "waiting"
	case store.OutcomeRetry:
		return "will retry"
	case store.OutcomeFailed:
		return "failed"
	}
	return string(o)
}
