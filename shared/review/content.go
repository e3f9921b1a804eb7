package review

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/meetingminutes/minutes/shared/store"
)

// Top-level members of the minutes model whose names an audit entry may record. Other names
// are chosen by whoever sent the content and could carry text, so they are only counted.
var knownFields = []string{"action_items", "attendees", "decisions", "generator", "language", "summary", "title"}

// content is a minutes content object checked by parseContent.
type content struct {
	// fields are the object's members, as sent.
	fields map[string]json.RawMessage
	// items are the action items, in order.
	items []contentItem
}

// contentItem is one element of "action_items" (see the package documentation). Members not
// listed are allowed and ignored.
type contentItem struct {
	Task        string          `json:"task"`
	Owner       string          `json:"owner"`
	OwnerEmail  string          `json:"owner_email"`
	OwnerUserID string          `json:"owner_user_id"`
	Due         *string         `json:"due"`
	Quote       string          `json:"quote"`
	At          json.RawMessage `json:"at"`
}

// parseContent checks the shape of a minutes content object and reads its action items; a
// bad shape is a 400 naming the member at fault.
func parseContent(raw json.RawMessage) (content, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' || !json.Valid(raw) {
		return content{}, invalidf("content must be a JSON object")
	}
	var c content
	if err := json.Unmarshal(raw, &c.fields); err != nil {
		return content{}, invalidf("content must be a JSON object")
	}
	for _, name := range []string{"title", "summary"} {
		v, ok := c.fields[name]
		if !ok {
			return content{}, invalidf("content.%s is required", name)
		}
		if kind(v) != '"' {
			return content{}, invalidf("content.%s must be a string", name)
		}
	}
	var title string
	_ = json.Unmarshal(c.fields["title"], &title) // a valid JSON string
	if utf8.RuneCountInString(title) > MaxTitleLength {
		return content{}, invalidf("content.title has more than %d characters", MaxTitleLength)
	}
	for _, name := range []string{"decisions", "action_items"} {
		if v, ok := c.fields[name]; ok && kind(v) != '[' {
			return content{}, invalidf("content.%s must be an array", name)
		}
	}
	if v, ok := c.fields["action_items"]; ok {
		var elems []json.RawMessage
		if err := json.Unmarshal(v, &elems); err != nil {
			return content{}, invalidf("content.action_items must be an array")
		}
		c.items = make([]contentItem, 0, len(elems))
		for i, e := range elems {
			it, err := parseItem(i, e)
			if err != nil {
				return content{}, err
			}
			c.items = append(c.items, it)
		}
	}
	return c, nil
}

// kind returns the first byte of a JSON value ('{', '[', '"', 't', 'f', 'n', or a digit or
// '-' for a number).
func kind(v json.RawMessage) byte {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return 0
	}
	return v[0]
}

// parseItem checks one action item of the content.
func parseItem(i int, raw json.RawMessage) (contentItem, error) {
	if kind(raw) != '{' {
		return contentItem{}, invalidf("content.action_items[%d] must be an object", i)
	}
	var it contentItem
	if err := json.Unmarshal(raw, &it); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return contentItem{}, invalidf("content.action_items[%d].%s must be %s", i, te.Field, jsonKind(te.Type))
		}
		return contentItem{}, invalidf("content.action_items[%d] is not a valid action item", i)
	}
	it.Task = strings.TrimSpace(it.Task)
	switch n := utf8.RuneCountInString(it.Task); {
	case n == 0:
		return contentItem{}, invalidf("content.action_items[%d].task is required", i)
	case n > MaxTaskLength:
		return contentItem{}, invalidf("content.action_items[%d].task has more than %d characters", i, MaxTaskLength)
	}
	return it, nil
}

// jsonKind names the JSON kind a Go type decodes from, for messages.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "an object"
}

// input turns a content item into the store's input. The owner user must be resolved by the
// caller (it needs the store); ownerID is the parsed id, zero when none was given.
func (it contentItem) input(i int) (in store.ActionItemInput, ownerID store.UserID, err error) {
	in = store.ActionItemInput{
		Task:        it.Task,
		OwnerName:   strings.TrimSpace(it.Owner),
		OwnerEmail:  strings.TrimSpace(it.OwnerEmail),
		SourceQuote: it.Quote,
	}
	if it.OwnerUserID != "" {
		if ownerID, err = store.ParseUserID(it.OwnerUserID); err != nil {
			// An id that does not parse names no user: the same answer as another tenant's.
			return in, ownerID, notFoundf("content.action_items[%d].owner_user_id: user not found", i)
		}
		in.OwnerUserID = ownerID
	}
	if it.Due != nil && *it.Due != "" {
		d, err := parseDue(*it.Due)
		if err != nil {
			return in, ownerID, invalidf("content.action_items[%d].due must be a date (YYYY-MM-DD)", i)
		}
		in.DueDate = &d
	}
	if len(it.At) > 0 && kind(it.At) != 'n' {
		off, err := parseOffset(it.At)
		if err != nil {
			return in, ownerID, invalidf("content.action_items[%d].at must be an offset ([hh:]mm:ss[.fff] or seconds)", i)
		}
		in.SourceOffset = &off
	}
	return in, ownerID, nil
}

// parseDue reads a due date: a calendar date, or an RFC 3339 time whose date is kept.
func parseDue(s string) (time.Time, error) {
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse due date: %w", err)
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
}

// maxOffset bounds an offset into a meeting (a day is more than any meeting lasts).
const maxOffset = 24 * time.Hour

// parseOffset reads an offset into the meeting: a string "[hh:]mm:ss[.fff]" (the WebVTT cue
// form) or a number of seconds.
func parseOffset(raw json.RawMessage) (time.Duration, error) {
	var d time.Duration
	switch kind(raw) {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, fmt.Errorf("parse offset: %w", err)
		}
		var err error
		if d, err = parseClock(s); err != nil {
			return 0, err
		}
	default:
		var secs float64
		if err := json.Unmarshal(raw, &secs); err != nil {
			return 0, fmt.Errorf("parse offset: %w", err)
		}
		if math.IsNaN(secs) || secs < 0 || secs > maxOffset.Seconds() {
			return 0, fmt.Errorf("parse offset: %v seconds out of range", secs)
		}
		d = time.Duration(secs * float64(time.Second))
	}
	if d < 0 || d > maxOffset {
		return 0, fmt.Errorf("parse offset: %s out of range", d)
	}
	return d.Truncate(time.Millisecond), nil
}

// parseClock reads "[hh:]mm:ss[.fff]".
func parseClock(s string) (time.Duration, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, fmt.Errorf("parse offset %q: want [hh:]mm:ss[.fff]", s)
	}
	secPart := parts[len(parts)-1]
	frac := ""
	if i := strings.IndexByte(secPart, '.'); i >= 0 {
		secPart, frac = secPart[:i], secPart[i+1:]
		if frac == "" || len(frac) > 3 {
			return 0, fmt.Errorf("parse offset %q: bad fraction", s)
		}
	}
	num := func(p string, limit int) (int, error) {
		if p == "" || len(p) > 2 {
			return 0, fmt.Errorf("parse offset %q: bad field %q", s, p)
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > limit {
			return 0, fmt.Errorf("parse offset %q: bad field %q", s, p)
		}
		return n, nil
	}
	var h, m, sec int
	var err error
	if len(parts) == 3 {
		if h, err = num(parts[0], 23); err != nil {
			return 0, err
		}
	}
	if m, err = num(parts[len(parts)-2], 59); err != nil {
		return 0, err
	}
	if sec, err = num(secPart, 59); err != nil {
		return 0, err
	}
	ms := 0
	if frac != "" {
		for len(frac) < 3 {
			frac += "0"
		}
		if ms, err = strconv.Atoi(frac); err != nil || ms < 0 {
			return 0, fmt.Errorf("parse offset %q: bad fraction", s)
		}
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second +
		time.Duration(ms)*time.Millisecond, nil
}

// changedFields compares two content objects member by member (ignoring whitespace and
// member order) and returns the known members that differ, sorted, and how many other
// members differ.
func changedFields(before, after json.RawMessage) (known []string, other int) {
	a, b := decodeMembers(before), decodeMembers(after)
	names := make(map[string]bool, len(a)+len(b))
	for k := range a {
		names[k] = true
	}
	for k := range b {
		names[k] = true
	}
	known = []string{}
	for k := range names {
		va, inA := a[k]
		vb, inB := b[k]
		if inA == inB && reflect.DeepEqual(va, vb) {
			continue
		}
		if slices.Contains(knownFields, k) {
			known = append(known, k)
		} else {
			other++
		}
	}
	slices.Sort(known)
	return known, other
}

// decodeMembers decodes a JSON object's members into comparable values (numbers as
// json.Number); anything that is not an object decodes to no members.
func decodeMembers(raw json.RawMessage) map[string]any {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return map[string]any{}
	}
	return m
}
