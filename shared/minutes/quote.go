package minutes

import (
	"bytes"
	"sort"
	"time"
	"unicode"
	"unicode/utf8"
)

// Span is where [Transcript.Quote] found a quote.
type Span struct {
	// Cue is the index in Transcript.Cues of the cue where the quote begins; LastCue is the
	// index of the cue where it ends (equal to Cue when the quote lies within one cue).
	Cue, LastCue int
	// Offset is the byte offset in Cues[Cue].Text of the quote's first word.
	Offset int
	// Start is Cues[Cue].Start and End is Cues[LastCue].End: the quote's time in the
	// meeting, as precisely as the transcript knows it.
	Start, End time.Duration
	// Speaker is Cues[Cue].Speaker. A quote can run across cues of different speakers;
	// callers that care compare it with the speakers of the cues up to LastCue.
	Speaker string
}

// Quote finds the first occurrence of q in the transcript's cue texts, read as one running
// text (so a quote may run across cues), and reports where it is. It is how a model's
// quote is verified: a paraphrase is not found.
//
// Both sides are compared as sequences of whole words, where a word is a run of letters,
// digits and combining marks, lower-cased. Everything else (white space, punctuation,
// symbols, line breaks) only separates words, so case, spacing and punctuation do not
// matter: "Decision — we ship the BETA" matches "OK. Decision: we ship the beta with…".
// Apostrophes inside a word are dropped ("I'll" and "I’ll" are both "ill"), and so are
// "." and "," between digits ("1,000" is "1000"). Accents are compared as written: the
// package does no Unicode normalisation. A quote without any word is never found.
func (t *Transcript) Quote(q string) (Span, bool) {
	needle := appendWords(nil, q, nil)
	if len(needle) == 0 {
		return Span{}, false
	}
	needle = append(needle, ' ')

	var words []wordAt
	var hay []byte
	for i := range t.Cues {
		cue := int32(i)
		hay = appendWords(hay, t.Cues[i].Text, func(norm, off int) {
			words = append(words, wordAt{norm: int32(norm), cue: cue, off: int32(off)})
		})
	}
	hay = append(hay, ' ')
	at := bytes.Index(hay, needle)
	if at < 0 {
		return Span{}, false
	}
	// Every word in hay is preceded by one space, at the offset recorded in norm.
	first := sort.Search(len(words), func(i int) bool { return int(words[i].norm) >= at })
	lastAt := at + len(needle) - 1 // the space after the quote's last word
	last := sort.Search(len(words), func(i int) bool { return int(words[i].norm) >= lastAt }) - 1
	c, lc := int(words[first].cue), int(words[last].cue)
	return Span{
		Cue:     c,
		LastCue: lc,
		Offset:  int(words[first].off),
		Start:   t.Cues[c].Start,
		End:     t.Cues[lc].End,
		Speaker: t.Cues[c].Speaker,
	}, true
}

// wordAt locates a normalised word: norm is the offset of the space before it in the
// normalised text, cue and off its cue and byte offset in that cue's Text.
type wordAt struct {
	norm, cue, off int32
}

// appendWords appends the words of s to dst, normalised as Quote describes, each preceded
// by one space. If onWord is not nil it is called for each word with the offset in dst of
// that space and the word's byte offset in s.
func appendWords(dst []byte, s string, onWord func(norm, off int)) []byte {
	in := false   // inside a word
	var prev rune // the last rune of the current word
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		switch {
		case isWordRune(r):
			if !in {
				if onWord != nil {
					onWord(len(dst), i)
				}
				dst = append(dst, ' ')
				in = true
			}
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
			prev = r
		case in && joins(prev, r, s[i+size:]):
			// dropped: the word goes on
		default:
			in = false
		}
		i += size
	}
	return dst
}

// isWordRune reports whether r belongs in a word: a letter, a digit or a combining mark.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// joins reports whether r, met after prev inside a word and followed by rest, is dropped
// and keeps the word going: an apostrophe between word characters, or "." or ","
// between digits.
func joins(prev, r rune, rest string) bool {
	next, _ := utf8.DecodeRuneInString(rest)
	switch r {
	case '\'', '\u2019', '\u2018', '\u02BC':
		return isWordRune(next)
	case '.', ',':
		return unicode.IsDigit(prev) && unicode.IsDigit(next)
	}
	return false
}
