package minutes

import (
	"bufio"
	"bytes"
	"io"
)

// DefaultMaxBytes is the input limit when [ParseOptions.MaxBytes] is zero: 64 MiB, some
// forty times a two-hour Teams transcript.
const DefaultMaxBytes int64 = 64 << 20

// ParseOptions tunes [ParseVTT] and [ParseText]. The zero value is ready to use.
type ParseOptions struct {
	// MaxBytes caps the input size; a longer input fails with [ErrTooLarge]. Zero or
	// negative means DefaultMaxBytes (64 MiB). It also caps the longest line.
	MaxBytes int64
	// Strict turns the repairs and skips a lenient parse makes into a *[ParseError]: a
	// malformed block, bad cue timings, an end before its start, a STYLE or REGION block
	// after the first cue (WebVTT), a malformed timestamp line (text). The default, false,
	// is what ingest wants: keep every cue that can be read and count the rest in
	// Transcript.Skipped.
	Strict bool
}

func (o ParseOptions) maxBytes() int64 {
	if o.MaxBytes <= 0 {
		return DefaultMaxBytes
	}
	return o.MaxBytes
}

const maxInt = int(^uint(0) >> 1)

// lineReader streams the lines of a text, accepting LF, CRLF and lone CR line breaks, and
// counts them. The line it returns is valid until the next call to next, except that
// unread makes next return the same line once more.
type lineReader struct {
	sc     *bufio.Scanner
	split  lineSplitter
	lim    limitReader
	line   []byte
	n      int // 1-based number of line
	unread bool
}

func newLineReader(r io.Reader, maxBytes int64) *lineReader {
	lr := &lineReader{lim: limitReader{r: r, left: maxBytes}}
	lr.sc = bufio.NewScanner(&lr.lim)
	// A line can be as long as the whole input; the buffer grows to that only if needed.
	maxLine := maxInt
	if maxBytes < int64(maxInt) {
		maxLine = int(maxBytes) + 1
	}
	lr.sc.Buffer(make([]byte, 0, min(64<<10, maxLine)), maxLine)
	lr.sc.Split(lr.split.split)
	return lr
}

// next returns the next line without its line break, or false at the end of the input or
// on a read error (see err).
func (lr *lineReader) next() ([]byte, bool) {
	if lr.unread {
		lr.unread = false
		return lr.line, true
	}
	if !lr.sc.Scan() {
		lr.line = nil
		return nil, false
	}
	lr.n++
	lr.line = lr.sc.Bytes()
	return lr.line, true
}

// back makes next return the current line again.
func (lr *lineReader) back() { lr.unread = true }

// err returns the read error that ended the input, if any: ErrTooLarge or the reader's.
func (lr *lineReader) err() error { return lr.sc.Err() }

// lineSplitter is a bufio.SplitFunc for LF, CRLF and CR line breaks. It remembers how far
// it has looked for a break in the pending data, so a long line delivered in small reads
// costs linear, not quadratic, time.
type lineSplitter struct {
	seen int // bytes of the pending data known to hold no line break
}

func (s *lineSplitter) split(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if i := bytes.IndexAny(data[s.seen:], "\r\n"); i >= 0 {
		i += s.seen
		if data[i] == '\n' {
			s.seen = 0
			return i + 1, data[:i], nil
		}
		// CR: a CRLF pair is one break, so look at the next byte first.
		if i+1 < len(data) {
			s.seen = 0
			if data[i+1] == '\n' {
				return i + 2, data[:i], nil
			}
			return i + 1, data[:i], nil
		}
		if atEOF {
			s.seen = 0
			return i + 1, data[:i], nil
		}
		s.seen = i
		return 0, nil, nil
	}
	if atEOF {
		s.seen = 0
		if len(data) == 0 {
			return 0, nil, nil
		}
		return len(data), data, nil
	}
	s.seen = len(data)
	return 0, nil, nil
}

// limitReader reads from r until more than left bytes have come, then fails with
// ErrTooLarge.
type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, ErrTooLarge
	}
	if int64(len(p))-1 > l.left {
		p = p[:l.left+1] // enough to see that the input is too large
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return 0, ErrTooLarge
	}
	return n, err
}
