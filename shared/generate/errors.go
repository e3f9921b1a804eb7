package generate

import "errors"

// ErrNoTranscript is returned by every generator when Input.Transcript is nil.
var ErrNoTranscript = errors.New("generate: input has no transcript")
