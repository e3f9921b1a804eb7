package generate

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/meetingminutes/minutes/shared/minutes"
)

// sentence is one sentence of a speaker turn, verbatim.
type sentence struct {
	// Text is the sentence as spoken: a substring of the turn's text, so it is a quote the
	// transcript contains.
	Text string
	// Speaker is the turn's speaker ("" when unknown).
	Speaker string
	// Turn is the index of the turn in Transcript.Turns(); Index the sentence's index
	// within the turn.
	Turn, Index int
	// At is the start of the cue where the sentence begins.
	At time.Duration
	// Words is the number of words in Text.
	Words int
}

// splitTurns splits every turn of t into sentences.
func splitTurns(turns []minutes.Turn, t *minutes.Transcript) []sentence {
	var out []sentence
	for ti, turn := range turns {
		// Byte offset in turn.Text where each of its cues begins (the texts are joined
		// with one space).
		starts := make([]int, len(turn.Cues))
		off := 0
		for k, ci := range turn.Cues {
			starts[k] = off
			off += len(t.Cues[ci].Text) + 1
		}
		idx := 0
		for _, r := range sentenceBounds(turn.Text) {
			text := turn.Text[r[0]:r[1]]
			n := countWords(text)
			if n == 0 {
				continue
			}
			k := 0
			for k+1 < len(starts) && starts[k+1] <= r[0] {
				k++
			}
			out = append(out, sentence{
				Text: text, Speaker: turn.Speaker, Turn: ti, Index: idx,
				At: t.Cues[turn.Cues[k]].Start, Words: n,
			})
			idx++
		}
	}
	return out
}

// sentenceBounds returns the [start, end) byte ranges of the sentences in s: a sentence
// ends at ".", "?" or "!" (and any closing quotes) followed by a space, except after a
// common abbreviation or a single initial.
func sentenceBounds(s string) [][2]int {
	var out [][2]int
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '.' && c != '?' && c != '!' {
			continue
		}
		end := i + 1
		for end < len(s) && (s[end] == '"' || s[end] == '\'' || s[end] == ')' || s[end] == '.' || s[end] == '?' || s[end] == '!') {
			end++
		}
		if end < len(s) && s[end] != ' ' {
			continue // "1.5", "e.g.x", "node.js"
		}
		if c == '.' && isAbbreviation(s[start:i]) {
			continue
		}
		if t := strings.TrimSpace(s[start:end]); t != "" {
			a := start + strings.Index(s[start:end], t)
			out = append(out, [2]int{a, a + len(t)})
		}
		start = end
		i = end - 1
	}
	if t := strings.TrimSpace(s[start:]); t != "" {
		a := start + strings.Index(s[start:], t)
		out = append(out, [2]int{a, a + len(t)})
	}
	return out
}

// isAbbreviation reports whether before (the text before a ".") ends with an abbreviation
// after which a sentence does not end.
func isAbbreviation(before string) bool {
	j := strings.LastIndexByte(before, ' ')
	w := strings.ToLower(before[j+1:])
	switch w {
	case "mr", "mrs", "ms", "dr", "prof", "vs", "etc", "e.g", "i.e", "approx", "no", "st":
		return true
	}
	if r, size := utf8.DecodeRuneInString(w); size == len(w) && unicode.IsLetter(r) {
		return true // an initial: "J. Smith"
	}
	return false
}

// countWords counts runs of letters or digits (apostrophes inside a word keep it going).
func countWords(s string) int {
	n := 0
	in := false
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if !in {
				n++
				in = true
			}
		} else if !(in && (r == '\'' || r == '\u2019')) {
			in = false
		}
	}
	return n
}

// words returns the lower-cased words of s (letters and digits; apostrophes dropped, so
// "I'll" is "ill").
func words(s string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		case (r == '\'' || r == '\u2019') && b.Len() > 0:
		default:
			flush()
		}
	}
	flush()
	return out
}
