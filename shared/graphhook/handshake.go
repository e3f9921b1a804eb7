package graphhook

import (
	"net/http"
	"net/url"
	"unicode"
	"unicode/utf8"
)

// MaxValidationTokenBytes bounds the decoded validationToken we echo: 1 KiB. Graph's tokens are
// about 100 bytes ("Validation: Testing client application reachability for subscription
// Request-Id: {guid}"), but the format is opaque and may change, so the bound is generous.
const MaxValidationTokenBytes = 1024

// validationTokenParam is the query parameter of the subscription validation handshake.
const validationTokenParam = "validationToken"

// IsValidationRequest reports whether r carries a validationToken query parameter at all,
// valid or not. A handler answers such a request as a handshake (ServeValidation) and never
// parses its body as notifications.
func IsValidationRequest(r *http.Request) bool {
	q, _ := url.ParseQuery(r.URL.RawQuery) // a partly malformed query still yields the good pairs
	_, ok := q[validationTokenParam]
	return ok
}

// ValidationToken returns the URL-decoded validationToken of a subscription validation request
// (Graph POSTs it, some tools GET it). ok is false when r is not a GET or POST, has no such
// parameter or more than one, or the token is empty, longer than MaxValidationTokenBytes, not
// UTF-8, or contains control characters.
func ValidationToken(r *http.Request) (token string, ok bool) {
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		return "", false
	}
	q, _ := url.ParseQuery(r.URL.RawQuery) // decodes %xx and '+'
	vals := q[validationTokenParam]
	if len(vals) != 1 {
		return "", false
	}
	tok := vals[0]
	if tok == "" || len(tok) > MaxValidationTokenBytes || !utf8.ValidString(tok) {
		return "", false
	}
	for _, c := range tok {
		if unicode.IsControl(c) {
			return "", false
		}
	}
	return tok, true
}

// WriteValidation answers the handshake: 200, text/plain, body exactly the decoded token with
// no trailing newline. Graph needs this within 10 seconds, so answer before any other work.
func WriteValidation(w http.ResponseWriter, token string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(token)) // the client gone is nothing we can act on
}

// ServeValidation handles r if it is a validation request and reports whether it did: a valid
// token is echoed with WriteValidation, an unacceptable one gets 400. It returns false, writing
// nothing, when r carries no validationToken parameter.
func ServeValidation(w http.ResponseWriter, r *http.Request) bool {
	if !IsValidationRequest(r) {
		return false
	}
	tok, ok := ValidationToken(r)
	if !ok {
		http.Error(w, "invalid validationToken", http.StatusBadRequest)
		return true
	}
	WriteValidation(w, tok)
	return true
}
