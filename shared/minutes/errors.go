package minutes

import (
	"errors"
	"fmt"
)

// ErrNotVTT means the input does not start with a WebVTT signature: an optional UTF-8 BOM,
// then "WEBVTT" followed by a space, a tab or the end of the line.
var ErrNotVTT = errors.New("not a WebVTT file")

// ErrTooLarge means the input is longer than [ParseOptions.MaxBytes]. Parsing stops as soon
// as the limit is crossed, so at most MaxBytes+1 bytes are read.
var ErrTooLarge = errors.New("transcript too large")

// ErrUnsupportedFormat means the input is in a format this package does not read (.docx,
// another binary format, or text with nothing shaped like a transcript in it).
var ErrUnsupportedFormat = errors.New("unsupported transcript format")

// ParseError reports malformed input that a parser refused: always in strict mode, and in
// either mode where the input cannot be repaired. Reach it with errors.As.
type ParseError struct {
	// Line is the 1-based line number in the source; CRLF counts as one line break.
	Line int
	// Reason says what is wrong, in lower case. It is for people, not a contract.
	Reason string
}

// Error returns "line N: reason".
func (e *ParseError) Error() string {
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}
