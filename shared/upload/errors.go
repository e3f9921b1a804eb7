package upload

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/meetingminutes/minutes/shared/funchost"
)

// Sentinels for the refusals callers may branch on (errors.Is). Every refusal also carries
// its HTTP status and a message for the uploader (funchost.StatusOf, funchost.PublicMessage).
var (
	// ErrTooLarge: the file is longer than Options.MaxBytes (413).
	ErrTooLarge = errors.New("transcript file too large")
	// ErrEmpty: the file holds nothing, or nothing but white space (400).
	ErrEmpty = errors.New("transcript file empty")
	// ErrUnsupported: the file is not in a format we read (400).
	ErrUnsupported = errors.New("unsupported transcript file")
	// ErrNoSpeech: the file is a transcript with no cue in it (400).
	ErrNoSpeech = errors.New("transcript has no speech")
)

// Accepted names the accepted formats, for messages and forms.
const Accepted = "WebVTT (.vtt), or the text (.txt) or Word (.docx) transcript that Teams exports"

// refusal is a refused upload: a public message with its status, and the sentinel it is.
type refusal struct {
	status error // a funchost.Status error: first, so funchost finds it
	kind   error
}

func (e *refusal) Error() string   { return e.status.Error() }
func (e *refusal) Unwrap() []error { return []error{e.status, e.kind} }

// refuse returns a refusal of kind with status and a message for the uploader. The message
// must never quote the file's content.
func refuse(kind error, status int, format string, args ...any) error {
	return &refusal{status: funchost.Status(status, fmt.Sprintf(format, args...)), kind: kind}
}

func unsupported(format string, args ...any) error {
	return refuse(ErrUnsupported, http.StatusBadRequest, format, args...)
}
