package portal

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/meetingminutes/minutes/shared/store"
)

// minutesContent is the minutes model stored in store.Minutes.Content, read for display.
type minutesContent struct {
	Title       string            `json:"title"`
	Summary     string            `json:"summary"`
	Decisions   []decision        `json:"decisions"`
	ActionItems []contentItem     `json:"action_items"`
	Attendees   []json.RawMessage `json:"attendees"`
	Generator   string            `json:"generator"`
	Language    string            `json:"language"`
}

// decision is one decision with the transcript quote and offset it came from.
type decision struct {
	Text  string   `json:"text"`
	Quote string   `json:"quote"`
	At    flexText `json:"at"`
}

// UnmarshalJSON also accepts a bare string as a decision without evidence.
func (d *decision) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*d = decision{Text: s}
		return nil
	}
	type plain decision
	return json.Unmarshal(b, (*plain)(d))
}

// contentItem is one action item as the minutes text gives it.
type contentItem struct {
	Task       string   `json:"task"`
	Owner      string   `json:"owner"`
	OwnerEmail string   `json:"owner_email"`
	Due        flexText `json:"due"`
	Quote      string   `json:"quote"`
	At         flexText `json:"at"`
}

// flexText reads a JSON string, null (""), or a number of seconds (as "HH:MM:SS[.fff]", the
// other spelling of a transcript offset the model allows).
type flexText string

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexText) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexText(s)
		return nil
	}
	var secs *float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("want a string or a number: %w", err)
	}
	*f = ""
	if secs != nil && *secs >= 0 && *secs < 86400 {
		d := time.Duration(*secs * float64(time.Second)).Truncate(time.Millisecond)
		*f = flexText(clock(d))
	}
	return nil
}

// clock formats an offset as HH:MM:SS, with milliseconds when it has any.
func clock(d time.Duration) string {
	s := int64(d / time.Second)
	out := fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
	if ms := int64(d % time.Second / time.Millisecond); ms != 0 {
		out += fmt.Sprintf(".%03d", ms)
	}
	return out
}

// parseContent reads the minutes model; ok is false when the stored JSON does not have its
// shape (the page then says so instead of failing).
func parseContent(raw json.RawMessage) (c minutesContent, ok bool) {
	if err := json.Unmarshal(raw, &c); err != nil {
		return minutesContent{}, false
	}
	return c, true
}

// attendeeNames reads the attendees, which are names or objects with a name or email.
func attendeeNames(list []json.RawMessage) []string {
	var out []string
	for _, raw := range list {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if s != "" {
				out = append(out, s)
			}
			continue
		}
		var o struct{ Name, Email string }
		if json.Unmarshal(raw, &o) == nil {
			if n := orDefault(o.Name, o.Email); n != "" {
				out = append(out, n)
			}
		}
	}
	return out
}

// Limits of the edit form (the review service checks them again).
const (
	maxTitle   = 1000
	maxSummary = 50000
	maxText    = 2000
	maxOwner   = 200
	maxRows    = 200
	blankRows  = 2 // empty rows offered for adding decisions and action items
)

// source is the version being edited: its members and its decisions and action items as
// JSON objects, so an edit changes only what the form shows and keeps everything else (the
// quote and offset, owner ids and addresses, members this package does not know).
type source struct {
	obj       map[string]json.RawMessage
	decisions []map[string]json.RawMessage
	items     []map[string]json.RawMessage
	shown     minutesContent
}

// newSource reads the version's content, completed by its stored action items; what does not
// parse is treated as absent.
func newSource(raw json.RawMessage, stored []store.ActionItem) *source {
	src := &source{obj: map[string]json.RawMessage{}}
	if json.Unmarshal(raw, &src.obj) != nil || src.obj == nil {
		src.obj = map[string]json.RawMessage{}
	}
	src.decisions = objects(src.obj["decisions"], "text")
	src.items = objects(src.obj["action_items"], "task")
	src.shown, _ = parseContent(raw)
	if len(src.shown.Decisions) != len(src.decisions) || len(src.shown.ActionItems) != len(src.items) {
		// Not the model's shape: edit from scratch rather than mis-align rows and evidence.
		src.decisions, src.items, src.shown.Decisions, src.shown.ActionItems = nil, nil, nil, nil
	}
	src.enrich(stored)
	return src
}

// enrich fills in, from the version's stored action items, what the content's items leave
// out (the owner's user id and address, the quote and offset): the stored items are the same
// items, resolved, so an edit keeps them (and the review service can carry each item's status
// over). Items are matched by task, then owner name; an item without a match is left alone.
func (src *source) enrich(stored []store.ActionItem) {
	used := make([]bool, len(stored))
	match := func(task, owner string) int {
		best := -1
		for j, it := range stored {
			if used[j] || it.Task != task {
				continue
			}
			if it.OwnerName == owner {
				return j
			}
			if best < 0 {
				best = j
			}
		}
		return best
	}
	fill := func(o map[string]json.RawMessage, key, val string) bool {
		if cur, ok := o[key]; val == "" || ok && string(cur) != `""` && string(cur) != "null" {
			return false
		}
		b, _ := json.Marshal(val) // strings always marshal
		o[key] = b
		return true
	}
	for i := range src.items {
		shown := &src.shown.ActionItems[i]
		j := match(strings.TrimSpace(shown.Task), strings.TrimSpace(shown.Owner))
		if j < 0 {
			continue
		}
		used[j] = true
		it, o := stored[j], src.items[i]
		fill(o, "owner_user_id", it.OwnerUserID.String())
		if fill(o, "owner_email", it.OwnerEmail) {
			shown.OwnerEmail = it.OwnerEmail
		}
		if fill(o, "quote", it.SourceQuote) {
			shown.Quote = it.SourceQuote
		}
		if it.SourceOffset != nil && fill(o, "at", clock(*it.SourceOffset)) {
			shown.At = flexText(clock(*it.SourceOffset))
		}
	}
}

// objects decodes a JSON array into objects; a bare string element becomes {key: string}.
func objects(raw json.RawMessage, key string) []map[string]json.RawMessage {
	var elems []json.RawMessage
	if json.Unmarshal(raw, &elems) != nil {
		return nil
	}
	out := make([]map[string]json.RawMessage, 0, len(elems))
	for _, e := range elems {
		var o map[string]json.RawMessage
		if json.Unmarshal(e, &o) == nil && o != nil {
			out = append(out, o)
			continue
		}
		var s string
		if json.Unmarshal(e, &s) != nil {
			return nil
		}
		out = append(out, map[string]json.RawMessage{key: e})
	}
	return out
}

// editForm is the minutes edit form: its values and the problems found in them.
type editForm struct {
	Title, Summary string
	Decisions      []decisionRow
	Items          []itemRow
	// Errors are the form-level problems (title, summary, rows); rows carry their own.
	Errors map[string]string
}

// decisionRow is one decision row of the form. Src is the index of the decision it edits in
// the version (-1 for a new one); its quote and offset are shown, never edited.
type decisionRow struct {
	Index, Src int
	Text       string
	Quote, At  string
	Err        string
}

// itemRow is one action item row of the form, like decisionRow.
type itemRow struct {
	Index, Src       int
	Task, Owner, Due string
	Quote, At        string
	Err              string
}

// formFromContent fills the form with the version's content plus blank rows to add.
func formFromContent(src *source) *editForm {
	c := src.shown
	f := &editForm{Title: c.Title, Summary: c.Summary, Errors: map[string]string{}}
	for i, d := range c.Decisions {
		f.Decisions = append(f.Decisions, decisionRow{Src: i, Text: d.Text, Quote: d.Quote, At: string(d.At)})
	}
	for i, it := range c.ActionItems {
		f.Items = append(f.Items, itemRow{Src: i, Task: it.Task, Owner: orDefault(it.Owner, it.OwnerEmail), Due: dateOnly(string(it.Due)),
			Quote: it.Quote, At: string(it.At)})
	}
	f.addBlankRows()
	return f
}

// dateOnly keeps the date of a due value ("2026-03-20" or an RFC 3339 time).
func dateOnly(s string) string {
	if len(s) >= 10 && validDate(s[:10]) {
		return s[:10]
	}
	return s
}

// addBlankRows appends the empty rows and numbers every row.
func (f *editForm) addBlankRows() {
	for range blankRows {
		f.Decisions = append(f.Decisions, decisionRow{Src: -1})
		f.Items = append(f.Items, itemRow{Src: -1})
	}
	for i := range f.Decisions {
		f.Decisions[i].Index = i
	}
	for i := range f.Items {
		f.Items[i].Index = i
	}
}

// srcIndex reads a row's src field: an index into n source rows not used before, else -1 (a
// new row: a tampered or repeated index never copies evidence onto another row).
func srcIndex(v string, n int, used map[int]bool) int {
	i, err := strconv.Atoi(v)
	if err != nil || i < 0 || i >= n || used[i] {
		return -1
	}
	used[i] = true
	return i
}

// parseEditForm reads a submitted form against the version being edited, dropping removed
// and blank rows, and validates it. ok is false when something must be fixed; the form then
// holds the input and the messages.
func parseEditForm(v url.Values, src *source) (f *editForm, ok bool) {
	f = &editForm{Title: strings.TrimSpace(v.Get("title")), Summary: strings.TrimSpace(v.Get("summary")), Errors: map[string]string{}}
	switch n := utf8.RuneCountInString(f.Title); {
	case n == 0:
		f.Errors["title"] = "Give the minutes a title."
	case n > maxTitle:
		f.Errors["title"] = fmt.Sprintf("The title is too long (at most %d characters).", maxTitle)
	}
	if utf8.RuneCountInString(f.Summary) > maxSummary {
		f.Errors["summary"] = fmt.Sprintf("The summary is too long (at most %d characters).", maxSummary)
	}
	ok = len(f.Errors) == 0
	used := map[int]bool{}
	for i := 0; i <= len(src.decisions)+maxRows; i++ {
		key := fmt.Sprintf("decision-%d-", i)
		if _, present := v[key+"text"]; !present {
			break
		}
		d := decisionRow{Src: srcIndex(v.Get(key+"src"), len(src.decisions), used), Text: strings.TrimSpace(v.Get(key + "text"))}
		if d.Src >= 0 {
			d.Quote, d.At = src.shown.Decisions[d.Src].Quote, string(src.shown.Decisions[d.Src].At)
		}
		if v.Get(key+"remove") != "" || d.Text == "" && d.Src < 0 {
			continue
		}
		switch {
		case d.Text == "":
			d.Err = "Write the decision, or tick Remove."
		case utf8.RuneCountInString(d.Text) > maxText:
			d.Err = fmt.Sprintf("At most %d characters.", maxText)
		}
		ok = ok && d.Err == ""
		f.Decisions = append(f.Decisions, d)
	}
	used = map[int]bool{}
	for i := 0; i <= len(src.items)+maxRows; i++ {
		key := fmt.Sprintf("item-%d-", i)
		if _, present := v[key+"task"]; !present {
			break
		}
		it := itemRow{Src: srcIndex(v.Get(key+"src"), len(src.items), used), Task: strings.TrimSpace(v.Get(key + "task")),
			Owner: strings.TrimSpace(v.Get(key + "owner")), Due: strings.TrimSpace(v.Get(key + "due"))}
		if it.Src >= 0 {
			it.Quote, it.At = src.shown.ActionItems[it.Src].Quote, string(src.shown.ActionItems[it.Src].At)
		}
		if v.Get(key+"remove") != "" || it.Task == "" && it.Owner == "" && it.Due == "" && it.Src < 0 {
			continue
		}
		switch {
		case it.Task == "":
			it.Err = "Say what is to be done, or tick Remove."
		case utf8.RuneCountInString(it.Task) > maxText:
			it.Err = fmt.Sprintf("The task is too long (at most %d characters).", maxText)
		case utf8.RuneCountInString(it.Owner) > maxOwner:
			it.Err = fmt.Sprintf("The owner is too long (at most %d characters).", maxOwner)
		case it.Due != "" && !validDate(it.Due):
			it.Err = "The due date must be a date like 2026-03-31."
		}
		ok = ok && it.Err == ""
		f.Items = append(f.Items, it)
	}
	if len(f.Decisions) > maxRows || len(f.Items) > maxRows {
		f.Errors["rows"] = fmt.Sprintf("At most %d decisions and %d action items.", maxRows, maxRows)
		ok = false
	}
	f.addBlankRows()
	return f, ok
}

func validDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// content builds the new version's JSON: the source object with title, summary, decisions
// and action items replaced. Each edited row starts from the object it came from, so its
// quote, offset and any other member stay; an action item whose owner was renamed loses the
// owner's user id and address (they named the previous owner).
func (f *editForm) content(src *source) (json.RawMessage, error) {
	obj := maps.Clone(src.obj)
	set := func(o map[string]json.RawMessage, key string, val any) {
		b, _ := json.Marshal(val) // strings always marshal
		o[key] = b
	}
	decisions := make([]map[string]json.RawMessage, 0, len(f.Decisions))
	for _, d := range f.Decisions {
		if d.Text == "" {
			continue
		}
		o := map[string]json.RawMessage{}
		if d.Src >= 0 {
			o = maps.Clone(src.decisions[d.Src])
		}
		set(o, "text", d.Text)
		decisions = append(decisions, o)
	}
	items := make([]map[string]json.RawMessage, 0, len(f.Items))
	for _, it := range f.Items {
		if it.Task == "" {
			continue
		}
		o := map[string]json.RawMessage{}
		if it.Src >= 0 {
			o = maps.Clone(src.items[it.Src])
			was := src.shown.ActionItems[it.Src]
			if it.Owner != orDefault(was.Owner, was.OwnerEmail) {
				delete(o, "owner_user_id")
				delete(o, "owner_email")
			}
		}
		set(o, "task", it.Task)
		set(o, "owner", it.Owner)
		if it.Due == "" {
			delete(o, "due")
		} else {
			set(o, "due", it.Due)
		}
		items = append(items, o)
	}
	set(obj, "title", f.Title)
	set(obj, "summary", f.Summary)
	set(obj, "decisions", decisions)
	set(obj, "action_items", items)
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encode minutes: %w", err)
	}
	return b, nil
}

// docDecision is a decision as the minutes page shows it.
type docDecision struct {
	Text, Quote, At string
}

// docItem is an action item as the minutes page shows it: the stored item when the version
// has them (with its status), else the item of the minutes text.
type docItem struct {
	ID                          store.ActionItemID
	Task, Owner, Due, Quote, At string
	Status                      store.ActionItemStatus
	// CanChange shows the Mark done / Reopen button (the caller may change this item).
	CanChange bool
	// Unverified says why the item's evidence is missing or unconfirmed; "" when verified.
	Unverified string
}

// minutesDoc is one minutes version ready to render.
type minutesDoc struct {
	Minutes   store.Minutes
	Title     string
	Summary   string
	Decisions []docDecision
	Items     []docItem
	Attendees []string
	Language  string
	// Unreadable says the stored content did not have the minutes shape.
	Unreadable bool
	// Tracked says Items are stored action items (with status buttons).
	Tracked bool
}

// newDoc prepares m for rendering with its stored action items (nil when it has none);
// canChange says which items the caller may mark done or reopen.
func newDoc(m store.Minutes, items []store.ActionItem, canChange func(store.ActionItem) bool) minutesDoc {
	c, ok := parseContent(m.Content)
	d := minutesDoc{Minutes: m, Title: c.Title, Summary: c.Summary, Attendees: attendeeNames(c.Attendees),
		Language: c.Language, Unreadable: !ok}
	for _, x := range c.Decisions {
		d.Decisions = append(d.Decisions, docDecision{Text: x.Text, Quote: x.Quote, At: string(x.At)})
	}
	if len(items) > 0 {
		d.Tracked = true
		for _, it := range items {
			di := docItem{ID: it.ID, Task: it.Task, Owner: orDefault(it.OwnerName, it.OwnerEmail), Quote: it.SourceQuote,
				At: offset(it.SourceOffset), Status: it.Status, CanChange: canChange(it)}
			if it.DueDate != nil {
				di.Due = it.DueDate.Format(time.DateOnly)
			}
			switch {
			case it.SourceQuote == "":
				di.Unverified = "No transcript quote supports this item."
			case !it.Verified:
				di.Unverified = "The quote was not found verbatim in the transcript."
			}
			d.Items = append(d.Items, di)
		}
		return d
	}
	for _, it := range c.ActionItems {
		di := docItem{Task: it.Task, Owner: orDefault(it.Owner, it.OwnerEmail), Due: dateOnly(string(it.Due)), Quote: it.Quote, At: string(it.At)}
		if it.Quote == "" {
			di.Unverified = "No transcript quote supports this item."
		}
		d.Items = append(d.Items, di)
	}
	return d
}
