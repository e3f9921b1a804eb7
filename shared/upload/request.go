package upload

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"time"

	"github.com/meetingminutes/minutes/shared/funchost"
)

// Form fields and query parameters ReadRequest reads.
const (
	FieldFile    = "file"
	FieldSubject = "subject"
	FieldDate    = "date"
	// QueryName names a raw body's file (?name=); default "transcript.vtt" or
	// "transcript.txt" by its Content-Type.
	QueryName = "name"
)

// MaxRequestBytes is the request body bound an upload route needs: a MaxBytes file plus the
// multipart framing and the small fields. Mount upload routes with at least this limit.
const MaxRequestBytes = MaxBytes + 1<<20

// Bounds of the form.
const (
	maxField = 4 << 10 // a subject or a date
	maxParts = 20
)

// ReadRequest reads an upload from r:
//
//   - multipart/form-data with a "file" part and optional "subject" and "date" fields (other
//     fields, such as a CSRF token, are ignored), read as a stream unless a middleware parsed
//     the form already (r.MultipartForm);
//   - or the file as the body, with Content-Type text/vtt or text/plain, its name from
//     ?name=, subject and date from ?subject= and ?date=; Content is then r.Body, read by
//     Upload.
//
// The date is YYYY-MM-DD (midnight UTC) or an RFC 3339 time. A file above maxBytes is 413;
// anything malformed is 400 and another Content-Type 415, each with a message for the caller.
// UploadedBy is left for the caller to fill in.
func ReadRequest(r *http.Request, maxBytes int64) (Input, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		mt = ""
	}
	var (
		in            Input
		subject, date string
	)
	switch mt {
	case "multipart/form-data":
		if r.MultipartForm != nil {
			in, subject, date, err = parsedForm(r.MultipartForm, maxBytes)
		} else {
			in, subject, date, err = streamForm(r, params["boundary"], maxBytes)
		}
		if err != nil {
			return Input{}, err
		}
	case "text/vtt", "text/plain":
		q := r.URL.Query()
		in.FileName = q.Get(QueryName)
		if in.FileName == "" {
			in.FileName = "transcript.txt"
			if mt == "text/vtt" {
				in.FileName = "transcript.vtt"
			}
		}
		in.Content = r.Body
		subject, date = q.Get(FieldSubject), q.Get(FieldDate)
	default:
		return Input{}, funchost.Status(http.StatusUnsupportedMediaType,
			`send the transcript as multipart/form-data with a "file" field, or as the body with Content-Type text/vtt or text/plain`)
	}
	in.Subject = strings.TrimSpace(subject)
	if date = strings.TrimSpace(date); date != "" {
		at, err := ParseDate(date)
		if err != nil {
			return Input{}, err
		}
		in.StartsAt = &at
	}
	return in, nil
}

// ParseDate reads the date of an upload: YYYY-MM-DD (midnight UTC) or an RFC 3339 time.
func ParseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, funchost.Status(http.StatusBadRequest, "date must be YYYY-MM-DD or an RFC 3339 time such as 2026-03-10T15:02:00Z")
}

// streamForm reads a multipart body part by part, the file into memory (the other fields
// may come after it).
func streamForm(r *http.Request, boundary string, maxBytes int64) (in Input, subject, date string, err error) {
	if boundary == "" {
		return Input{}, "", "", funchost.Status(http.StatusBadRequest, "the multipart body has no boundary")
	}
	mr := multipart.NewReader(r.Body, boundary)
	var file []byte
	found := false
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Input{}, "", "", bodyError(err, maxBytes)
		}
		if n >= maxParts {
			return Input{}, "", "", funchost.Status(http.StatusBadRequest, "the form has too many fields")
		}
		switch part.FormName() {
		case FieldFile:
			if found {
				return Input{}, "", "", funchost.Status(http.StatusBadRequest, "send one file per upload")
			}
			found = true
			in.FileName = part.FileName()
			if file, err = io.ReadAll(io.LimitReader(part, maxBytes+1)); err != nil {
				return Input{}, "", "", bodyError(err, maxBytes)
			}
			if int64(len(file)) > maxBytes {
				return Input{}, "", "", tooLarge(maxBytes)
			}
		case FieldSubject:
			if subject, err = readField(part); err != nil {
				return Input{}, "", "", err
			}
		case FieldDate:
			if date, err = readField(part); err != nil {
				return Input{}, "", "", err
			}
		default:
			if _, err := io.Copy(io.Discard, io.LimitReader(part, maxField)); err != nil {
				return Input{}, "", "", bodyError(err, maxBytes)
			}
		}
	}
	if !found {
		return Input{}, "", "", refuse(ErrEmpty, http.StatusBadRequest, `no file was sent: put the transcript in the "file" field`)
	}
	in.Content = bytes.NewReader(file)
	return in, subject, date, nil
}

// parsedForm reads a form a middleware has already parsed.
func parsedForm(f *multipart.Form, maxBytes int64) (in Input, subject, date string, err error) {
	files := f.File[FieldFile]
	switch {
	case len(files) == 0:
		return Input{}, "", "", refuse(ErrEmpty, http.StatusBadRequest, `no file was sent: put the transcript in the "file" field`)
	case len(files) > 1:
		return Input{}, "", "", funchost.Status(http.StatusBadRequest, "send one file per upload")
	case files[0].Size > maxBytes:
		return Input{}, "", "", tooLarge(maxBytes)
	}
	fh := files[0]
	file, err := fh.Open()
	if err != nil {
		return Input{}, "", "", fmt.Errorf("open uploaded file: %w", err)
	}
	defer file.Close()
	b, err := io.ReadAll(io.LimitReader(file, maxBytes+1))
	if err != nil {
		return Input{}, "", "", fmt.Errorf("read uploaded file: %w", err)
	}
	if int64(len(b)) > maxBytes {
		return Input{}, "", "", tooLarge(maxBytes)
	}
	first := func(k string) string {
		if v := f.Value[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	subject, date = first(FieldSubject), first(FieldDate)
	if len(subject) > maxField || len(date) > maxField {
		return Input{}, "", "", funchost.Status(http.StatusBadRequest, "a form field is too long")
	}
	return Input{FileName: fh.Filename, Content: bytes.NewReader(b)}, subject, date, nil
}

func readField(part *multipart.Part) (string, error) {
	b, err := io.ReadAll(io.LimitReader(part, maxField+1))
	if err != nil {
		return "", bodyError(err, maxField)
	}
	if len(b) > maxField {
		return "", funchost.Status(http.StatusBadRequest, fmt.Sprintf("the %s field is too long", part.FormName()))
	}
	return string(b), nil
}

// bodyError maps a failure reading a multipart body: over the route's limit is 413, anything
// else the client's doing (mime/multipart's errors are untyped; a dropped connection cannot
// read the answer anyway), 400.
func bodyError(err error, maxBytes int64) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge(maxBytes)
	}
	return fmt.Errorf("%w (%w)", funchost.Status(http.StatusBadRequest, "the multipart body is malformed"), err)
}

func tooLarge(maxBytes int64) error {
	return refuse(ErrTooLarge, http.StatusRequestEntityTooLarge, "the file is larger than %d MB, the most we accept", maxBytes>>20)
}
