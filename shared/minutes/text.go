package minutes

import (
	"bytes"
	"fmt"
	"io"
	"time"
)

// secondsPerWord estimates how long the last cue of a text transcript lasts, which the
// text does not say: 0.4 s a word, that is 150 words a minute.
const secondsPerWord = 400 * time.Millisecond

// ParseText parses a plain-text transcript. Two layouts are recognised, whichever comes
// first in the input decides, and lines before the first recognised one (a title, a date,
// a duration) are ignored:
//
// Blocks, as Teams exports a transcript to text or Word: a speaker line ending in an
// offset, then the speaker's text on the following lines, blocks separated by blank lines.
// A speaker line only counts as one at the start of a block and when a text line follows
// it; other lines, blank-separated paragraphs included, continue the current cue.
//
//	Priya Raman  0:03
//	Morning, everyone. Let's keep this to twenty minutes.
//
//	Tomás Ortega  1:02:10
//	Backend for the new sign-up flow is merged.
//
// Lines: each cue on a line that starts with a bracketed offset, then the speaker and a
// colon followed by a space, then the text. Without such a colon the whole line is text and
// the speaker is unknown; beware that "[00:01:02] Decision: we ship" reads as spoken by
// "Decision". Lines that do not start with "[" continue the previous cue.
//
//	[00:00:03] Priya Raman: Morning, everyone.
//	[00:00:10] Tomás Ortega: Backend for the new sign-up flow is merged.
//
// Offsets are [h:]m:ss with an optional fraction. A text transcript has no end times: a
// cue ends where the next one starts, and the last one is given 0.4 s per word. Text is
// normalised as in [Cue]; there is no markup to strip, but character references are left
// alone. Cues are sorted by start like WebVTT cues.
//
// A "[…" line whose offset cannot be read is skipped and counted in Transcript.Skipped, or
// with opts.Strict is a *[ParseError]. Input with neither layout fails with
// [ErrUnsupportedFormat]; [ErrTooLarge] and read errors are as for [ParseVTT].
func ParseText(r io.Reader, opts ParseOptions) (*Transcript, error) {
	p := textParser{lr: newLineReader(r, opts.maxBytes()), strict: opts.Strict}
	if err := p.parse(); err != nil {
		return nil, fmt.Errorf("parse text transcript: %w", err)
	}
	return &p.t, nil
}

// textLayout is the layout a text transcript turned out to use.
type textLayout int

const (
	layoutUnknown textLayout = iota
	layoutBlocks             // "Name  0:03" then text lines
	layoutLines              // "[00:00:03] Name: text"
)

// textParser holds the state of one ParseText call.
type textParser struct {
	lr       *lineReader
	strict   bool
	layout   textLayout
	t        Transcript
	unsorted bool

	// The cue being read: its text so far (raw, lines joined with LF), speaker, start, line.
	open    bool
	raw     []byte
	speaker []byte
	start   time.Duration
	line    int

	// A possible speaker line at the start of a block, waiting for a text line to confirm it.
	hasPending  bool
	pending     []byte // the name
	pendingRaw  []byte // the whole line, text after all if no text line follows
	pendingAt   time.Duration
	pendingLine int
	ct          cueText
}

func (p *textParser) parse() error {
	blockStart := true
	for {
		line, ok := p.lr.next()
		if !ok {
			break
		}
		line = bytes.TrimPrefix(line, bom) // harmless after the first line
		if p.layout != layoutBlocks {
			at, rest, kind := lineLayout(line)
			switch {
			case kind == lineCue:
				p.layout = layoutLines
				p.hasPending = false // a preamble line after all
				p.close()
				p.openCue(rest, at)
				continue
			case p.layout != layoutLines:
				// Still undecided: read on as blocks (or preamble).
			case kind == lineBad && p.strict:
				return p.fail(p.lr.n, `line starts with "[" and a digit but not with a readable [h:]mm:ss offset and "]"`)
			case kind == lineBad:
				p.t.Skipped++
				continue
			default:
				if !isBlank(line) && p.open {
					p.appendText(line)
				}
				continue
			}
		}
		// Blocks layout, or still undecided.
		if isBlank(line) {
			p.dropPending()
			blockStart = true
			continue
		}
		if p.hasPending {
			// The speaker line is confirmed by the text under it.
			p.layout = layoutBlocks
			p.hasPending = false
			p.close()
			p.openCue(nil, p.pendingAt)
			p.speaker = append(p.speaker[:0], p.pending...)
			p.line = p.pendingLine
			p.appendText(line)
			blockStart = false
			continue
		}
		if blockStart {
			blockStart = false
			if name, at, ok := speakerLine(line); ok {
				p.pendingRaw = append(p.pendingRaw[:0], line...)
				p.pending = append(p.pending[:0], name...)
				p.hasPending, p.pendingAt, p.pendingLine = true, at, p.lr.n
				continue
			}
		}
		if p.open {
			p.appendText(line)
		}
	}
	if err := p.lr.err(); err != nil {
		return readError(err)
	}
	p.dropPending()
	p.close()
	if p.layout == layoutUnknown {
		return ErrUnsupportedFormat
	}
	p.finishText()
	return nil
}

// openCue starts a cue at the current line. For the lines layout rest is the text after
// the offset, which may begin with "Speaker: ".
func (p *textParser) openCue(rest []byte, at time.Duration) {
	p.open, p.start, p.line = true, at, p.lr.n
	p.raw, p.speaker = p.raw[:0], p.speaker[:0]
	if rest == nil {
		return
	}
	if name, text, ok := cutSpeaker(rest); ok {
		p.speaker = append(p.speaker, name...)
		rest = text
	}
	p.appendText(rest)
}

func (p *textParser) appendText(line []byte) {
	if len(p.raw) > 0 {
		p.raw = append(p.raw, '\n')
	}
	p.raw = append(p.raw, line...)
}

// dropPending turns a speaker line that no text followed into text of the open cue.
func (p *textParser) dropPending() {
	if !p.hasPending {
		return
	}
	p.hasPending = false
	if p.open {
		p.appendText(p.pendingRaw)
	}
}

// close ends the open cue, keeping it if it has text.
func (p *textParser) close() {
	if !p.open {
		return
	}
	p.open = false
	var st plainState
	p.ct.out = st.append(p.ct.out[:0], p.raw)
	text := string(p.ct.out)
	if text == "" {
		return
	}
	st = plainState{}
	p.ct.ann = st.append(p.ct.ann[:0], p.speaker)
	speaker := p.ct.intern(string(p.ct.ann))
	if n := len(p.t.Cues); n > 0 && p.start < p.t.Cues[n-1].Start {
		p.unsorted = true
	}
	p.t.Cues = append(p.t.Cues, Cue{Start: p.start, End: p.start, Speaker: speaker, Text: text, Line: p.line})
}

// finishText sorts the cues, sets each end to the next start, and fills in the rest.
func (p *textParser) finishText() {
	p.t.finish(p.unsorted) // sorts
	cues := p.t.Cues
	for i := range cues {
		if i+1 < len(cues) {
			cues[i].End = cues[i+1].Start
		} else {
			cues[i].End = cues[i].Start + time.Duration(wordCount(cues[i].Text))*secondsPerWord
		}
	}
	p.t.Duration = 0
	for i := range cues {
		p.t.Duration = max(p.t.Duration, cues[i].End)
	}
}

func (p *textParser) fail(line int, reason string) error {
	if err := p.lr.err(); err != nil {
		return readError(err)
	}
	return &ParseError{Line: line, Reason: reason}
}

// lineKind classifies a line for the lines layout.
type lineKind int

const (
	lineOther lineKind = iota // not "[…"
	lineCue                   // "[offset] rest"
	lineBad                   // "[" and a digit, but no readable offset and "]"
)

// lineLayout reads "[h:mm:ss] rest" (leading white space allowed), returning the offset
// and rest.
func lineLayout(line []byte) (time.Duration, []byte, lineKind) {
	i := skipSpace(line, 0)
	if i+1 >= len(line) || line[i] != '[' || !('0' <= line[i+1] && line[i+1] <= '9') {
		return 0, nil, lineOther
	}
	c, n, ok := scanClock(line[i+1:], false)
	j := i + 1 + n
	if !ok || j >= len(line) || line[j] != ']' || c.s > 59 || (c.parts == 3 && c.m > 59) {
		return 0, nil, lineBad
	}
	return c.duration(), line[j+1:], lineCue
}

// speakerLine reads "Name  0:03" (the name, white space, an [h:]m:ss offset at the end of
// the line), returning the name and offset.
func speakerLine(line []byte) ([]byte, time.Duration, bool) {
	line = bytes.TrimRight(line, " \t")
	sp := bytes.LastIndexAny(line, " \t")
	if sp <= 0 {
		return nil, 0, false
	}
	c, n, ok := scanClock(line[sp+1:], false)
	if !ok || n != len(line)-sp-1 || c.neg || c.s > 59 || (c.parts == 3 && c.m > 59) {
		return nil, 0, false
	}
	name := bytes.TrimSpace(line[:sp])
	if len(name) == 0 || len(name) > maxSpeakerName {
		return nil, 0, false
	}
	return name, c.duration(), true
}

// maxSpeakerName bounds a name in a text transcript, so a sentence is not taken for one.
const maxSpeakerName = 80

// cutSpeaker splits "Name: text" at the first colon followed by white space (or the end),
// if the name is short and not empty.
func cutSpeaker(rest []byte) (name, text []byte, ok bool) {
	for i := 0; i < len(rest) && i <= maxSpeakerName; i++ {
		if rest[i] == ':' && (i+1 == len(rest) || isASCIISpace(rest[i+1])) {
			name = bytes.TrimSpace(rest[:i])
			if len(name) == 0 {
				return nil, rest, false
			}
			return name, rest[i+1:], true
		}
	}
	return nil, rest, false
}
