package document

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxTextRunes bounds each text a document shows (a summary, a task, a quote); longer text
// is cut and ends with "…". The store's own limits are far lower; this bounds hostile input.
const MaxTextRunes = 20000

// xmlChar reports whether r may appear in an XML 1.0 document:
// #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// clean returns s without characters XML 1.0 cannot carry, without invalid UTF-8, without
// C1 controls and DEL, with CR LF and CR made LF, trimmed and cut to MaxTextRunes.
func clean(s string) string {
	ok := len(s) <= MaxTextRunes // a cheap upper bound on the rune count
	for i := 0; ok && i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' && c != '\n' || c == 0x7f || c >= 0x80 {
			ok = false
		}
	}
	if ok {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	b.Grow(min(len(s), 4*MaxTextRunes))
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size <= 1:
			continue
		case r == '\r':
			if i < len(s) && s[i] == '\n' {
				continue
			}
			r = '\n'
		case !xmlChar(r), r == 0x7f, r >= 0x80 && r <= 0x9f:
			continue
		}
		if n == MaxTextRunes {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}

// oneLine is clean with every run of whitespace (newlines included) made one space.
func oneLine(s string) string {
	return strings.Join(strings.Fields(clean(s)), " ")
}

// rtl reports whether s starts, at its first strongly directional letter, in a right-to-left
// script.
func rtl(s string) bool {
	for _, r := range s {
		switch {
		case unicode.In(r, unicode.Hebrew, unicode.Arabic, unicode.Syriac, unicode.Thaana, unicode.Nko):
			return true
		case unicode.IsLetter(r):
			return false
		}
	}
	return false
}

// paragraphs splits text at blank lines into paragraphs, each trimmed; none for blank text.
func paragraphs(text string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
