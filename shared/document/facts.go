package document

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Facts are what the document says about the meeting and the approval, besides the content.
type Facts struct {
	// Subject is the meeting's subject.
	Subject string
	// Start is when the meeting started, in the zone the document should show; zero when
	// unknown.
	Start time.Time
	// Organizer is the organizer's display name (or address).
	Organizer string
	// Attendees are the meeting's participants; when empty, the content's attendees are shown.
	Attendees []Attendee
	// Version is the minutes version, from 1.
	Version int
	// ApprovedBy is the approver's display name; "" when approval was not required.
	ApprovedBy string
	// ApprovedAt is when the minutes were approved (or published, without approval); it also
	// dates the document's properties. Zero when unknown.
	ApprovedAt time.Time
	// Link is where the minutes can be read online (the portal page); shown only when it is
	// an absolute http or https URL.
	Link string
	// DocumentName is where the Word document was filed ("Meeting Minutes/2026-03-10 ...docx"),
	// shown in the HTML; "" for none.
	DocumentName string
}

// Input is everything a rendering needs.
type Input struct {
	Minutes Minutes
	Facts   Facts
}

// view is an Input cleaned for rendering: every text passed through clean, empty rows
// dropped, the attendees chosen.
type view struct {
	Title, Subject, Date, Organizer, Version, Approval string
	Summary                                            []string
	Decisions                                          []Decision
	ActionItems                                        []ActionItem
	Attendees                                          []Attendee
	Link, DocumentName, Generator, Language            string
	Created                                            time.Time
}

func newView(in Input) view {
	m, f := in.Minutes, in.Facts
	v := view{
		Title:        oneLine(m.Title),
		Subject:      oneLine(f.Subject),
		Organizer:    oneLine(f.Organizer),
		Summary:      paragraphs(clean(m.Summary)),
		Generator:    oneLine(m.Generator),
		Language:     oneLine(m.Language),
		DocumentName: oneLine(f.DocumentName),
	}
	if v.Title == "" {
		v.Title = v.Subject
	}
	if v.Title == "" {
		v.Title = "Meeting minutes"
	}
	if !f.Start.IsZero() {
		v.Date = f.Start.Format("Monday 2 January 2006, 15:04 MST")
	}
	if f.Version > 0 {
		v.Version = fmt.Sprintf("Version %d", f.Version)
	}
	switch by := oneLine(f.ApprovedBy); {
	case by != "" && !f.ApprovedAt.IsZero():
		v.Approval = "Approved by " + by + " on " + f.ApprovedAt.UTC().Format("2 January 2006 15:04 UTC")
	case by != "":
		v.Approval = "Approved by " + by
	case !f.ApprovedAt.IsZero():
		v.Approval = "Published without review on " + f.ApprovedAt.UTC().Format("2 January 2006 15:04 UTC")
	}
	v.Created = f.ApprovedAt.UTC()
	if v.Created.IsZero() && !f.Start.IsZero() {
		v.Created = f.Start.UTC()
	}
	if v.Created.IsZero() {
		v.Created = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	v.Created = v.Created.Truncate(time.Second)
	for _, d := range m.Decisions {
		if d = (Decision{Text: clean(d.Text), Quote: oneLine(d.Quote), At: oneLine(d.At)}); d.Text != "" {
			v.Decisions = append(v.Decisions, d)
		}
	}
	for _, it := range m.ActionItems {
		it = ActionItem{Task: clean(it.Task), Owner: oneLine(it.Owner), OwnerEmail: oneLine(it.OwnerEmail),
			Due: oneLine(it.Due), Quote: oneLine(it.Quote), At: oneLine(it.At)}
		if it.Task != "" {
			v.ActionItems = append(v.ActionItems, it)
		}
	}
	attendees := f.Attendees
	if len(attendees) == 0 {
		attendees = m.Attendees
	}
	for _, a := range attendees {
		if a = (Attendee{Name: oneLine(a.Name), Email: oneLine(a.Email)}); a.Label() != "" {
			v.Attendees = append(v.Attendees, a)
		}
	}
	if u, err := url.Parse(strings.TrimSpace(f.Link)); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
		v.Link = u.String()
	}
	return v
}

// owner is how an action item's owner is shown.
func (it ActionItem) owner() string {
	switch {
	case it.Owner != "":
		return it.Owner
	case it.OwnerEmail != "":
		return it.OwnerEmail
	}
	return "Unassigned"
}

// due is how an action item's due date is shown.
func (it ActionItem) due() string {
	if it.Due == "" {
		return "—"
	}
	return it.Due
}

// source is "at HH:MM:SS" or "".
func source(at string) string {
	if at == "" {
		return ""
	}
	return "at " + at
}

// Largest file name FileName returns, in characters, extension included. SharePoint allows
// 400 characters for the whole decoded path; the folder takes its share.
const maxFileName = 120

// FileName returns the document's file name, "{yyyy-mm-dd} {subject} (v{n}).docx", safe for
// SharePoint, OneDrive, Windows and POSIX file systems: the characters " * : < > ? / \ | # %
// and control characters become spaces, runs of spaces and dots are folded, leading and
// trailing spaces, dots and tildes are dropped, "_vti_" is defused, the subject is cut so the
// name stays within 120 characters, and an empty subject becomes "Meeting". The date is
// omitted when Start is zero.
func FileName(f Facts, ext string) string {
	subject := SafeName(f.Subject)
	if subject == "" {
		subject = "Meeting"
	}
	prefix := ""
	if !f.Start.IsZero() {
		prefix = f.Start.Format(time.DateOnly) + " "
	}
	suffix := ""
	if f.Version > 0 {
		suffix = fmt.Sprintf(" (v%d)", f.Version)
	}
	suffix += ext
	room := maxFileName - utf8.RuneCountInString(prefix) - utf8.RuneCountInString(suffix)
	if utf8.RuneCountInString(subject) > room {
		r := []rune(subject)
		subject = strings.TrimRight(string(r[:room]), " .")
	}
	return prefix + subject + suffix
}

// SafeName makes s usable as one segment of a SharePoint path (see FileName), without
// shortening it.
func SafeName(s string) string {
	var b strings.Builder
	for _, r := range clean(s) {
		switch {
		case strings.ContainsRune("\"*:<>?/\\|#%", r), r < 0x20, r == '\u2028', r == '\u2029':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	out := strings.Join(strings.Fields(b.String()), " ")
	for strings.Contains(out, "..") {
		out = strings.ReplaceAll(out, "..", ".")
	}
	out = strings.ReplaceAll(out, "_vti_", "vti")
	return strings.Trim(out, " .~")
}
