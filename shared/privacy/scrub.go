package privacy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// scrubber replaces one person's e-mail address and name in text and JSON.
//
// The address matches case-insensitively where it is not part of a longer address
// (malice@x.com does not contain alice@x.com, but "alice@x.com." at the end of a sentence
// does). The name matches case-insensitively as whole words ("Alice Smith", not
// "Alice Smithson"). Names shorter than minNameLen characters are not matched in free text:
// they would hit ordinary words.
type scrubber struct {
	email, name         *regexp.Regexp
	emailRepl, nameRepl string
	// patterns are ILIKE patterns finding candidate values (a superset of matches), in plain
	// and JSON-escaped forms.
	patterns []string
}

// minNameLen is the shortest name, in characters, replaced in free text.
const minNameLen = 3

func newScrubber(email, name, emailRepl, nameRepl string) scrubber {
	s := scrubber{
		email:     regexp.MustCompile("(?i)" + regexp.QuoteMeta(email)),
		emailRepl: emailRepl, nameRepl: nameRepl,
	}
	needles := []string{email}
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) >= minNameLen {
		s.name = regexp.MustCompile("(?i)" + regexp.QuoteMeta(name))
		needles = append(needles, name)
	}
	for _, n := range needles {
		s.patterns = append(s.patterns, "%"+escapeLike(n)+"%")
		if j := jsonEscape(n); j != n {
			s.patterns = append(s.patterns, "%"+escapeLike(j)+"%")
		}
	}
	return s
}

// text returns in with the address and the name replaced.
func (s scrubber) text(in string) string {
	out := replaceBounded(s.email, in, s.emailRepl, emailBoundary)
	if s.name != nil {
		out = replaceBounded(s.name, out, s.nameRepl, wordBoundary)
	}
	return out
}

// json rewrites every string (keys included) of a JSON document; numbers keep their text. It
// reports whether anything was replaced (the output is re-encoded either way).
func (s scrubber) json(in string) (string, bool, error) {
	d := json.NewDecoder(strings.NewReader(in))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return "", false, fmt.Errorf("decode JSON: %w", err)
	}
	changed := false
	v = s.walk(v, &changed)
	if !changed {
		return in, false, nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", false, fmt.Errorf("encode JSON: %w", err)
	}
	return strings.TrimSuffix(b.String(), "\n"), true, nil
}

func (s scrubber) walk(v any, changed *bool) any {
	switch v := v.(type) {
	case string:
		out := s.text(v)
		*changed = *changed || out != v
		return out
	case []any:
		for i := range v {
			v[i] = s.walk(v[i], changed)
		}
		return v
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			nk := s.text(k)
			*changed = *changed || nk != k
			out[nk] = s.walk(e, changed)
		}
		return out
	}
	return v
}

// boundary says whether a match at s[start:end] stands on its own.
type boundary func(s string, start, end int) bool

// replaceBounded replaces the matches of re in s that ok accepts.
func replaceBounded(re *regexp.Regexp, s, repl string, ok boundary) string {
	matches := re.FindAllStringIndex(s, -1)
	if matches == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range matches {
		if !ok(s, m[0], m[1]) {
			continue
		}
		b.WriteString(s[last:m[0]])
		b.WriteString(repl)
		last = m[1]
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isWord(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// wordBoundary accepts a match not glued to a letter, digit or underscore on either side
// (where the match itself starts or ends with one).
func wordBoundary(s string, start, end int) bool {
	first, _ := utf8.DecodeRuneInString(s[start:])
	lastR, _ := utf8.DecodeLastRuneInString(s[:end])
	if before, n := utf8.DecodeLastRuneInString(s[:start]); n > 0 && isWord(first) && isWord(before) {
		return false
	}
	if after, n := utf8.DecodeRuneInString(s[end:]); n > 0 && isWord(lastR) && isWord(after) {
		return false
	}
	return true
}

// emailBoundary accepts an address not embedded in a longer one: no address character just
// before it, and after it neither a domain character nor a dot followed by one.
func emailBoundary(s string, start, end int) bool {
	if before, n := utf8.DecodeLastRuneInString(s[:start]); n > 0 && (isWord(before) || strings.ContainsRune(".%+-", before)) {
		return false
	}
	after, n := utf8.DecodeRuneInString(s[end:])
	if n == 0 {
		return true
	}
	if isWord(after) || after == '-' {
		return false
	}
	if after == '.' {
		next, m := utf8.DecodeRuneInString(s[end+1:])
		return m == 0 || !(isWord(next) || next == '-')
	}
	return true
}

// escapeLike escapes LIKE's wildcards and escape character.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// jsonEscape returns s as it appears inside a JSON (or array literal) string.
func jsonEscape(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	out := strings.TrimSuffix(b.String(), "\n")
	return out[1 : len(out)-1]
}
