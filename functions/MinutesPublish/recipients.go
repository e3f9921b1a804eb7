package minutespublish

import (
	"strings"
	"unicode/utf8"

	"github.com/meetingminutes/minutes/shared/mail"
	"github.com/meetingminutes/minutes/shared/store"
)

// MaxRecipients bounds one minutes e-mail: Exchange Online's per-message recipient limit.
// Addresses beyond it are left out (and counted in the publication's detail).
const MaxRecipients = 500

// recipientList is who receives a minutes e-mail.
type recipientList struct {
	// To are the recipients, deduplicated case-insensitively, in order: organizer,
	// attendees, extra addresses.
	To []mail.Address
	// Invalid counts addresses left out because they are not valid e-mail addresses.
	Invalid int
	// OverLimit counts addresses left out beyond MaxRecipients.
	OverLimit int
}

// recipients applies the tenant's distribution to a meeting: the organizer alone with
// OrganizerOnly; else the organizer and every participant with an address when Attendees is
// set; plus Distribution.Extra (not with OrganizerOnly, which means the organizer alone).
func recipients(m store.Meeting, d store.Distribution) recipientList {
	var out recipientList
	seen := map[string]bool{}
	add := func(name, email string) {
		email = strings.TrimSpace(email)
		if email == "" {
			return
		}
		a, err := mail.ParseAddress(email)
		if err != nil || a.Name != "" {
			out.Invalid++
			return
		}
		key := strings.ToLower(a.Email)
		if seen[key] {
			return
		}
		seen[key] = true
		if len(out.To) == MaxRecipients {
			out.OverLimit++
			return
		}
		a.Name = displayName(name)
		out.To = append(out.To, a)
	}
	switch {
	case d.OrganizerOnly:
		add(m.OrganizerName, m.OrganizerEmail)
		return out
	case d.Attendees:
		add(m.OrganizerName, m.OrganizerEmail)
		for _, p := range m.Participants {
			add(p.Name, p.Email)
		}
	}
	for _, e := range d.Extra {
		add("", e)
	}
	return out
}

// displayName makes a participant's name fit for a header: control characters and line
// separators dropped, spaces folded, at most 200 bytes (cut at a character boundary).
func displayName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\u0085' || r == '\u2028' || r == '\u2029' || r == '\uFFFD' {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, " "))
	s = strings.Join(strings.Fields(s), " ")
	for len(s) > 200 {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}
