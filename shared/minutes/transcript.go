package minutes

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Transcript is a parsed meeting transcript: what [ParseVTT], [ParseText] and [Parse] return.
// See the package documentation for the invariants every parser guarantees.
type Transcript struct {
	// Cues are the non-empty cues, sorted by Start; cues with equal starts keep source order.
	Cues []Cue
	// Speakers lists every non-empty Cue.Speaker once, in order of first appearance in Cues.
	Speakers []string
	// Duration is the latest End of any cue (0 for a transcript without cues).
	Duration time.Duration
	// Language is the language tag the source declares ("Language: en-US" in a WebVTT
	// header), "" when it declares none.
	Language string
	// Skipped counts malformed blocks (WebVTT) or lines (text) that a non-strict parse
	// dropped. Comments, STYLE and REGION blocks and empty cues are not counted.
	Skipped int
	// MixedVoices counts WebVTT cues holding <v> spans of more than one speaker. Each such
	// cue is attributed to its first speaker, so its Speaker is wrong for part of its Text;
	// Teams writes one voice per cue, so anything but 0 deserves a warning.
	MixedVoices int
}

// Cue is one timed piece of speech.
type Cue struct {
	// ID is the cue identifier from the source (Teams: "<guid>/<n>-<m>"), "" when it has none.
	ID string
	// Start and End are offsets from the start of the recording; 0 <= Start <= End.
	Start, End time.Duration
	// Speaker is the speaker's display name, "" when unknown. In WebVTT it is the
	// annotation of the cue's first <v> span that has one: when a cue holds several voices,
	// the whole text is attributed to the first of them (see Transcript.MixedVoices).
	Speaker string
	// Text is plain text: tags stripped, character references decoded, payload lines
	// joined with one space, every run of white space (NBSP included) collapsed to one
	// ASCII space, no leading or trailing space. It is never empty and always valid UTF-8.
	Text string
	// Line is the 1-based source line where the cue begins: its identifier line, or its
	// timing line when it has no identifier (the speaker line in text transcripts).
	Line int
}

// Turn is a run of consecutive cues by one speaker: what a reader sees as one utterance
// (Teams splits long utterances across cues, like "…/22-0" and "…/22-1").
type Turn struct {
	// Speaker is the cues' speaker; "" for a single cue with an unknown speaker.
	Speaker string
	// Start is the first cue's start; End is the latest end among the cues.
	Start, End time.Duration
	// Text is the cues' texts joined with one space.
	Text string
	// Cues holds the indexes in Transcript.Cues of the cues merged into this turn.
	Cues []int
}

// Turns merges consecutive cues of the same known speaker into one turn each. Cues with
// an unknown speaker ("") are never merged: nothing says they are the same person.
func (t *Transcript) Turns() []Turn {
	if len(t.Cues) == 0 {
		return nil
	}
	var turns []Turn
	var b strings.Builder
	flush := func(first, last int) {
		b.Reset()
		end := t.Cues[first].End
		idx := make([]int, 0, last-first+1)
		for i := first; i <= last; i++ {
			if i > first {
				b.WriteByte(' ')
			}
			b.WriteString(t.Cues[i].Text)
			end = max(end, t.Cues[i].End)
			idx = append(idx, i)
		}
		turns = append(turns, Turn{
			Speaker: t.Cues[first].Speaker,
			Start:   t.Cues[first].Start,
			End:     end,
			Text:    b.String(),
			Cues:    idx,
		})
	}
	first := 0
	for i := 1; i < len(t.Cues); i++ {
		s := t.Cues[i].Speaker
		if s == "" || s != t.Cues[first].Speaker {
			flush(first, i-1)
			first = i
		}
	}
	flush(first, len(t.Cues)-1)
	return turns
}

// WordCount returns the number of words in all cue texts. A word is a run of
// non-space characters holding at least one letter or digit, so a lone "-" is not one.
func (t *Transcript) WordCount() int {
	n := 0
	for i := range t.Cues {
		n += wordCount(t.Cues[i].Text)
	}
	return n
}

func wordCount(s string) int {
	n := 0
	counted := false // the current run of non-space characters has been counted
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
				counted = false
			case !counted && ('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'):
				n++
				counted = true
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case unicode.IsSpace(r):
			counted = false
		case !counted && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			n++
			counted = true
		}
	}
	return n
}
