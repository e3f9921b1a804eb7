package document

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// ErrInvalidContent is wrapped by ParseContent's errors: the content is not a JSON object.
var ErrInvalidContent = errors.New("invalid minutes content")

// Minutes is the minutes content to render: the members of the minutes model
// (shared/generate.Minutes) a document shows.
type Minutes struct {
	// Title is the minutes' title; the meeting subject stands in when empty.
	Title string
	// Summary is the prose summary; paragraphs are separated by blank lines.
	Summary string
	// Decisions are the decisions, in order.
	Decisions []Decision
	// ActionItems are the action items, in order.
	ActionItems []ActionItem
	// Attendees are the attendees the generator saw; Facts.Attendees take precedence.
	Attendees []Attendee
	// Generator names what produced the content ("offline", "llm", "edit", ...).
	Generator string
	// Language is a BCP 47 tag, "" when unknown.
	Language string
}

// Decision is one decision with the transcript quote that supports it.
type Decision struct {
	Text  string
	Quote string
	// At is the quote's offset in the meeting, "HH:MM:SS", "" when unknown.
	At string
}

// ActionItem is one action item.
type ActionItem struct {
	Task       string
	Owner      string
	OwnerEmail string
	// Due is a date, "YYYY-MM-DD" as stored, "" when none.
	Due   string
	Quote string
	// At is the quote's offset in the meeting, "HH:MM:SS", "" when unknown.
	At string
}

// Attendee is a meeting participant.
type Attendee struct {
	Name  string
	Email string
}

// Label returns the name, else the e-mail address.
func (a Attendee) Label() string {
	if a.Name != "" {
		return a.Name
	}
	return a.Email
}

// ParseContent reads a minutes content object. It is tolerant, as the content may come from
// an old generator or a hand edit: unknown members are ignored, a member of an unexpected
// type is treated as absent, "at" may be "[hh:]mm:ss[.fff]" or a number of seconds, "due" may
// be null, attendees may be objects ({"name","email"}) or strings. Only content that is not a
// JSON object is an error (wrapping ErrInvalidContent).
func ParseContent(raw []byte) (Minutes, error) {
	raw = bytes.TrimSpace(raw)
	var fields map[string]json.RawMessage
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &fields) != nil {
		return Minutes{}, fmt.Errorf("%w: not a JSON object", ErrInvalidContent)
	}
	m := Minutes{
		Title:     str(fields["title"]),
		Summary:   str(fields["summary"]),
		Generator: str(fields["generator"]),
		Language:  str(fields["language"]),
	}
	for _, o := range objects(fields["decisions"]) {
		d := Decision{Text: str(o["text"]), Quote: str(o["quote"]), At: offset(o["at"])}
		if d.Text == "" {
			continue
		}
		m.Decisions = append(m.Decisions, d)
	}
	for _, o := range objects(fields["action_items"]) {
		it := ActionItem{Task: str(o["task"]), Owner: str(o["owner"]), OwnerEmail: str(o["owner_email"]),
			Due: str(o["due"]), Quote: str(o["quote"]), At: offset(o["at"])}
		if it.Task == "" {
			continue
		}
		m.ActionItems = append(m.ActionItems, it)
	}
	var elems []json.RawMessage
	if json.Unmarshal(fields["attendees"], &elems) == nil {
		for _, e := range elems {
			var a Attendee
			if s := str(e); s != "" {
				a.Name = s
			} else if o := object(e); o != nil {
				a = Attendee{Name: str(o["name"]), Email: str(o["email"])}
			}
			if a.Label() != "" {
				m.Attendees = append(m.Attendees, a)
			}
		}
	}
	return m, nil
}

// str returns a JSON string's value, trimmed; "" for anything else.
func str(v json.RawMessage) string {
	var s string
	if len(v) == 0 || json.Unmarshal(v, &s) != nil {
		return ""
	}
	return strings.TrimSpace(s)
}

func object(v json.RawMessage) map[string]json.RawMessage {
	var o map[string]json.RawMessage
	if len(v) == 0 || json.Unmarshal(v, &o) != nil {
		return nil
	}
	return o
}

// objects returns the object elements of a JSON array, skipping other elements.
func objects(v json.RawMessage) []map[string]json.RawMessage {
	var elems []json.RawMessage
	if len(v) == 0 || json.Unmarshal(v, &elems) != nil {
		return nil
	}
	out := make([]map[string]json.RawMessage, 0, len(elems))
	for _, e := range elems {
		if o := object(e); o != nil {
			out = append(out, o)
		}
	}
	return out
}

// offset reads "at": a string is kept as written (trimmed, at most 16 characters); a number
// of seconds is formatted HH:MM:SS.
func offset(v json.RawMessage) string {
	if s := str(v); s != "" {
		if len(s) > 16 {
			return ""
		}
		return s
	}
	var secs float64
	if len(v) == 0 || json.Unmarshal(v, &secs) != nil || math.IsNaN(secs) || secs < 0 || secs > 7*24*3600 {
		return ""
	}
	d := time.Duration(secs) * time.Second
	return fmt.Sprintf("%02d:%02d:%02d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
}
