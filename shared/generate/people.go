package generate

import (
	"strings"
	"unicode"
)

// roster is who can own an action item: the attendees and the transcript's speakers, each
// once, with the attendee's email when a speaker is also an attendee.
type roster struct {
	people []Attendee
}

// newRoster merges attendees and speakers. A speaker whose name matches an attendee's
// (ignoring case; "Lee, Amy" matches "Amy Lee") is that attendee.
func newRoster(attendees []Attendee, speakers []string) roster {
	var r roster
	seen := map[string]bool{}
	for _, a := range attendees {
		a.Name = displayName(a.Name)
		a.Email = strings.TrimSpace(a.Email)
		key := strings.ToLower(a.Name)
		if key == "" && a.Email == "" || seen[key] && key != "" {
			continue
		}
		seen[key] = true
		r.people = append(r.people, a)
	}
	for _, s := range speakers {
		s = displayName(s)
		key := strings.ToLower(s)
		if key == "" || seen[key] {
			continue
		}
		seen[key] = true
		r.people = append(r.people, Attendee{Name: s})
	}
	return r
}

// displayName trims a name and turns "Last, First" into "First Last".
func displayName(n string) string {
	n = strings.Join(strings.Fields(n), " ")
	if last, first, ok := strings.Cut(n, ", "); ok && !strings.Contains(first, ",") {
		return first + " " + last
	}
	return n
}

// lookup resolves a name as said or written ("Priya", "priya raman", "Raman") to one
// person: a full-name match first, then a unique first name, then a unique last name. ok
// is false when nobody or more than one person matches.
func (r roster) lookup(name string) (Attendee, bool) {
	name = strings.ToLower(displayName(name))
	if name == "" {
		return Attendee{}, false
	}
	for _, p := range r.people {
		if strings.ToLower(p.Name) == name || p.Email != "" && strings.EqualFold(p.Email, name) {
			return p, true
		}
	}
	for _, part := range []func(string) string{firstName, lastName} {
		var found Attendee
		n := 0
		for _, p := range r.people {
			if strings.ToLower(part(p.Name)) == name {
				found = p
				n++
			}
		}
		if n == 1 {
			return found, true
		}
		if n > 1 {
			return Attendee{}, false
		}
	}
	return Attendee{}, false
}

// short returns how a summary names p: the first name when no one else has it, else the
// full name.
func (r roster) short(name string) string {
	f := firstName(name)
	n := 0
	for _, p := range r.people {
		if strings.EqualFold(firstName(p.Name), f) {
			n++
		}
	}
	if n <= 1 && f != "" {
		return f
	}
	return name
}

// named finds the first known person named in s, by full or first name, written with a
// capital letter. It returns the person, the byte offsets of the name in s, and ok.
func (r roster) named(s string) (p Attendee, start, end int, ok bool) {
	best := -1
	for _, cand := range r.people {
		for _, form := range []string{cand.Name, firstName(cand.Name)} {
			if len(form) < 2 {
				continue
			}
			at := indexWord(s, form)
			if at < 0 || best >= 0 && at >= best {
				continue
			}
			// A first name shared by several people names nobody.
			who, found := r.lookup(form)
			if !found {
				continue
			}
			best, p, start, end = at, who, at, at+len(form)
		}
	}
	return p, start, end, best >= 0
}

// indexWord finds w in s as a whole word, case-sensitively (names are capitalised).
func indexWord(s, w string) int {
	for off := 0; ; {
		i := strings.Index(s[off:], w)
		if i < 0 {
			return -1
		}
		i += off
		j := i + len(w)
		beforeOK := i == 0 || !isWordByte(s[i-1])
		afterOK := j == len(s) || !isWordByte(s[j])
		if beforeOK && afterOK {
			return i
		}
		off = i + 1
	}
}

func isWordByte(c byte) bool { return c >= 0x80 || isAlnum(c) }

func firstName(n string) string {
	f, _, _ := strings.Cut(n, " ")
	return strings.TrimFunc(f, func(r rune) bool { return !unicode.IsLetter(r) })
}

func lastName(n string) string {
	i := strings.LastIndexByte(n, ' ')
	if i < 0 {
		return ""
	}
	return n[i+1:]
}
