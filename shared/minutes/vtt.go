package minutes

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// ParseVTT parses a WebVTT transcript, as Microsoft Graph returns it for a Teams meeting
// (GET …/transcripts/{id}/content), streaming it line by line.
//
// It follows the W3C WebVTT parsing rules: an optional UTF-8 BOM; a "WEBVTT" line, optionally
// followed by a space or tab and text; a header block, where "Language: xx" sets
// Transcript.Language; LF, CRLF and CR line breaks; blocks separated by blank lines; NOTE,
// STYLE and REGION blocks skipped; a cue is an optional identifier line (any line without
// "-->"), a timing line "start --> end [settings]" and payload lines, up to a blank line or
// a line holding "-->", which starts the next cue. Cue settings are ignored; the payload
// becomes Cue.Text and Cue.Speaker as [Cue] describes.
//
// Timestamps are [-][h:]m:s[.fff] with fields of any width: the spec's "00:01:02.345" and
// "01:02.345", and Graph's documented unpadded "0:0:5.320". A negative offset (Graph: the
// transcription began while the conversation was going on) is clamped to 0.
//
// Deliberate leniencies, in both modes: a line holding only spaces or tabs counts as blank;
// cues out of order are sorted (stably) by start; cues whose text is empty are dropped.
// Without opts.Strict it also repairs what it can: a malformed block (no timing line, or
// timings it cannot read) is skipped and counted in Transcript.Skipped; an end before its
// start is clamped to the start; minutes or seconds above 59 and a missing fraction are
// accepted, and so are leading white space on the timing line and an SRT-style ",mmm"
// fraction. With opts.Strict each of these is a *[ParseError] with the line number.
//
// Errors: [ErrNotVTT] when the signature line is missing, [ErrTooLarge] past
// opts.MaxBytes, *[ParseError] (strict mode), or the reader's error. They are wrapped; use
// errors.Is and errors.As.
func ParseVTT(r io.Reader, opts ParseOptions) (*Transcript, error) {
	p := vttParser{lr: newLineReader(r, opts.maxBytes()), strict: opts.Strict}
	if err := p.parse(); err != nil {
		return nil, fmt.Errorf("parse vtt: %w", err)
	}
	return &p.t, nil
}

// vttParser holds the state of one ParseVTT call.
type vttParser struct {
	lr       *lineReader
	strict   bool
	t        Transcript
	ct       cueText
	raw      []byte // payload of the current cue, lines joined with LF
	first    []byte // copy of the current block's first line
	seenCue  bool   // a cue block has been read (STYLE and REGION must come before)
	unsorted bool   // a cue starts before the one before it
}

var (
	arrow = []byte("-->")
	bom   = []byte("\uFEFF")
)

func (p *vttParser) parse() error {
	if err := p.header(); err != nil {
		return err
	}
	for {
		line, ok := p.lr.next()
		if !ok {
			break
		}
		if isBlank(line) {
			continue
		}
		if err := p.block(line); err != nil {
			return err
		}
	}
	if err := p.lr.err(); err != nil {
		return readError(err)
	}
	p.t.finish(p.unsorted)
	return nil
}

// header reads the signature line and the header block after it.
func (p *vttParser) header() error {
	line, ok := p.lr.next()
	if !ok {
		if err := p.lr.err(); err != nil {
			return readError(err)
		}
		return ErrNotVTT
	}
	line = bytes.TrimPrefix(line, bom)
	if !bytes.HasPrefix(line, []byte("WEBVTT")) || len(line) > 6 && line[6] != ' ' && line[6] != '\t' {
		if err := p.lr.err(); err != nil {
			return readError(err)
		}
		return ErrNotVTT
	}
	for {
		line, ok = p.lr.next()
		if !ok || isBlank(line) {
			return nil
		}
		if bytes.Contains(line, arrow) { // no blank line after the header: a cue starts here
			p.lr.back()
			return nil
		}
		if v, ok := headerValue(line, "Language"); ok && isLanguageTag(v) {
			p.t.Language = string(v)
		}
	}
}

// block reads one block, whose first line (not blank) is first.
func (p *vttParser) block(first []byte) error {
	start := p.lr.n
	if bytes.Contains(first, arrow) {
		return p.cue(nil, first, start)
	}
	p.first = append(p.first[:0], first...) // the scanner reuses first's memory
	line, ok := p.lr.next()
	if ok && !isBlank(line) && bytes.Contains(line, arrow) {
		return p.cue(p.first, line, start)
	}
	// Not a cue. The block runs to a blank line, or to a line with "-->", which begins
	// the next block.
	kind := blockKind(p.first)
	switch {
	case kind == "STYLE" || kind == "REGION":
		if p.seenCue && p.strict {
			return p.fail(start, kind+" block after the first cue")
		}
	case kind == "" && p.strict:
		return p.fail(start, "block is neither a cue nor a NOTE, STYLE or REGION block")
	case kind == "":
		p.t.Skipped++
	}
	for ok && !isBlank(line) {
		if bytes.Contains(line, arrow) {
			p.lr.back()
			break
		}
		line, ok = p.lr.next()
	}
	return nil
}

// cue reads a cue block from its timing line on; id is its identifier line (nil if none)
// and start the number of its first line.
func (p *vttParser) cue(id, timing []byte, start int) error {
	p.seenCue = true
	timingLine := p.lr.n
	begin, end, reason := p.timings(timing)
	if reason != "" && p.strict {
		return p.fail(timingLine, reason)
	}
	p.raw = p.raw[:0]
	for {
		line, ok := p.lr.next()
		if !ok || isBlank(line) {
			break
		}
		if bytes.Contains(line, arrow) {
			p.lr.back()
			break
		}
		if len(p.raw) > 0 {
			p.raw = append(p.raw, '\n')
		}
		p.raw = append(p.raw, line...)
	}
	if reason != "" {
		p.t.Skipped++
		return nil
	}
	if end < begin {
		if p.strict {
			return p.fail(timingLine, fmt.Sprintf("cue ends (%s) before it starts (%s)", end, begin))
		}
		end = begin
	}
	text, speaker, mixed := p.ct.build(p.raw)
	if text == "" {
		return nil
	}
	if mixed {
		p.t.MixedVoices++
	}
	if n := len(p.t.Cues); n > 0 && begin < p.t.Cues[n-1].Start {
		p.unsorted = true
	}
	p.t.Cues = append(p.t.Cues, Cue{
		ID:      validString(id),
		Start:   begin,
		End:     end,
		Speaker: speaker,
		Text:    text,
		Line:    start,
	})
	return nil
}

// timings parses a timing line, "start --> end" then optional settings. It returns a
// non-empty reason when the line is malformed (in the current mode).
func (p *vttParser) timings(line []byte) (start, end time.Duration, reason string) {
	i := 0
	if !p.strict {
		i = skipSpace(line, 0)
	}
	c1, n, ok := scanClock(line[i:], !p.strict)
	if !ok {
		return 0, 0, "cue start time is not a timestamp"
	}
	i = skipSpace(line, i+n)
	if !bytes.HasPrefix(line[i:], arrow) {
		return 0, 0, `cue timings lack "-->" after the start time`
	}
	i = skipSpace(line, i+len(arrow))
	c2, n, ok := scanClock(line[i:], !p.strict)
	if !ok {
		return 0, 0, "cue end time is not a timestamp"
	}
	i += n
	if p.strict {
		switch {
		case i < len(line) && !isASCIISpace(line[i]):
			return 0, 0, "cue end time is followed by something other than white space"
		case !c1.hasFrac || !c2.hasFrac:
			return 0, 0, "cue timestamp without a fraction of a second"
		case c1.m > 59 || c1.s > 59 || c2.m > 59 || c2.s > 59:
			return 0, 0, "cue timestamp has minutes or seconds above 59"
		}
	}
	return max(c1.duration(), 0), max(c2.duration(), 0), ""
}

// fail returns a *ParseError, unless a read error (such as ErrTooLarge) has already cut
// the input short: then that error is the one to report.
func (p *vttParser) fail(line int, reason string) error {
	if err := p.lr.err(); err != nil {
		return readError(err)
	}
	return &ParseError{Line: line, Reason: reason}
}

// finish sorts the cues if needed and fills in Speakers and Duration.
func (t *Transcript) finish(unsorted bool) {
	if unsorted {
		slices.SortStableFunc(t.Cues, func(a, b Cue) int { return cmp.Compare(a.Start, b.Start) })
	}
	seen := make(map[string]bool)
	for i := range t.Cues {
		c := &t.Cues[i]
		t.Duration = max(t.Duration, c.End)
		if c.Speaker != "" && !seen[c.Speaker] {
			seen[c.Speaker] = true
			t.Speakers = append(t.Speakers, c.Speaker)
		}
	}
}

// readError wraps an error from the reader; ErrTooLarge stays as it is.
func readError(err error) error {
	if errors.Is(err, ErrTooLarge) {
		return err
	}
	return fmt.Errorf("read: %w", err)
}

// blockKind returns "NOTE", "STYLE" or "REGION" when line starts such a block (the word,
// then white space or the end of the line), "" otherwise.
func blockKind(line []byte) string {
	for _, kind := range [...]string{"NOTE", "STYLE", "REGION"} {
		if bytes.HasPrefix(line, []byte(kind)) && (len(line) == len(kind) || line[len(kind)] == ' ' || line[len(kind)] == '\t') {
			return kind
		}
	}
	return ""
}

// headerValue returns the value of a "Key: value" header line whose key is key (any case).
func headerValue(line []byte, key string) ([]byte, bool) {
	k, v, ok := bytes.Cut(line, []byte(":"))
	if !ok || !strings.EqualFold(string(bytes.TrimSpace(k)), key) {
		return nil, false
	}
	return bytes.TrimSpace(v), true
}

// isLanguageTag reports whether v looks like a BCP 47 tag: 1 to 35 letters, digits and
// hyphens, starting with a letter.
func isLanguageTag(v []byte) bool {
	if len(v) == 0 || len(v) > 35 || !('a' <= v[0]|0x20 && v[0]|0x20 <= 'z') {
		return false
	}
	for _, c := range v {
		if !('a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// isBlank reports whether line is empty or holds only spaces, tabs and form feeds.
func isBlank(line []byte) bool {
	for _, c := range line {
		if !isASCIISpace(c) {
			return false
		}
	}
	return true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isASCIISpace(b[i]) {
		i++
	}
	return i
}

// validString returns b as a string with invalid UTF-8 replaced by U+FFFD.
func validString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
