package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/store"
)

// MaxBodyBytes is the largest request body the API reads (also funchost's default limit).
const MaxBodyBytes = 1 << 20

// badRequest is a 400 whose message is shown to the caller.
func badRequest(format string, args ...any) error {
	return funchost.Status(http.StatusBadRequest, fmt.Sprintf(format, args...))
}

// errNotFound answers an id that is not the caller tenant's: missing, another tenant's, or
// not an id at all. It matches store.ErrNotFound.
var errNotFound = store.ErrNotFound

// decodeJSON reads the request body, a single JSON object, into v (a pointer to a request
// struct), refusing members v does not declare.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return funchost.Status(http.StatusUnsupportedMediaType, "send the request body as Content-Type: application/json")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fmt.Errorf("read request body: %w", err)
		}
		return badRequest("the request body must hold one JSON object and nothing after it")
	}
	return nil
}

// decodeError turns a decoding failure into a 400 saying what is wrong and where (a body over
// the limit stays a *http.MaxBytesError: 413).
func decodeError(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mbe):
		return fmt.Errorf("read request body: %w", err)
	case errors.Is(err, io.EOF):
		return badRequest("the request body is empty: send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("malformed JSON: the body ends too early")
	case errors.As(err, &syn):
		return badRequest("malformed JSON at byte %d: %s", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		if typ.Field == "" {
			return badRequest("the request body must be a JSON object")
		}
		return badRequest("field %q must be %s", typ.Field, jsonKind(typ.Type))
	}
	// encoding/json has no typed error for an unknown member: its message is the only way to
	// tell, and it names the member ("json: unknown field \"tenant_id\"").
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return badRequest("unknown field %s: only the documented fields are accepted", name)
	}
	return fmt.Errorf("decode request body: %w", err)
}

// jsonKind names the JSON kind a Go type decodes from.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// pathID parses the {id} path value with parse; anything that does not parse is 404, the
// answer for an id of another tenant too, so ids' formats reveal nothing.
func pathID[T any](r *http.Request, parse func(string) (T, error)) (T, error) {
	id, err := parse(r.PathValue("id"))
	if err != nil {
		var zero T
		return zero, errNotFound
	}
	return id, nil
}

// queryLimit reads the "limit" query parameter: absent is 0 (the default page), else 1 to
// most (larger is clamped).
func queryLimit(r *http.Request, most int) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, badRequest("limit must be a positive integer")
	}
	return min(n, most), nil
}
