package funchost

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The host serialises every binding value through its own encoding table: a .NET string becomes
// a JSON string holding the JSON encoding of the string ("\"x\""), numbers become strings,
// byte arrays become base64, and older hosts sent objects as JSON-encoded strings. These helpers
// undo each of those without caring which host version produced the value.

// unquote peels JSON string encodings off raw until it is no longer a JSON string, at most
// twice (the host's double encoding). ok is false when raw is not a JSON string at all.
func unquote(raw json.RawMessage) (s string, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var ok1 bool
	if s, ok1 = plainString(raw); !ok1 {
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false
		}
	}
	if t := strings.TrimSpace(s); len(t) >= 2 && t[0] == '"' && t[len(t)-1] == '"' {
		var inner string
		if json.Unmarshal([]byte(t), &inner) == nil {
			return inner, true
		}
	}
	return s, true
}

// plainString decodes a JSON string literal that needs no unescaping (no backslash, no
// control character, valid UTF-8) without the reflection of json.Unmarshal: the common case
// of every metadata value, on the invocation hot path.
func plainString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	body := raw[1 : len(raw)-1]
	for _, c := range body {
		if c == '\\' || c == '"' || c < 0x20 || c >= 0x80 {
			return "", false // escapes, or non-ASCII (left to the full decoder's UTF-8 rules)
		}
	}
	return string(body), true
}

// isNull reports whether raw is absent, the JSON null, or the host's encoding of a null input:
// the JSON string "null", encoded once. A double-encoded "\"null\"" is the four-letter string
// null (a message whose body is the JSON text null), not an absent value.
func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || bytes.Equal(raw, []byte("null")) || bytes.Equal(raw, []byte(`"null"`))
}

// decodeString reads a metadata string: "\"v\"", "v" or a bare JSON scalar.
func decodeString(raw json.RawMessage) string {
	if isNull(raw) {
		return ""
	}
	if s, ok := unquote(raw); ok {
		return s
	}
	return string(bytes.TrimSpace(raw))
}

// decodeInt reads a number the host may have sent as a string ("1") or a number (1).
func decodeInt(raw json.RawMessage) (int64, error) {
	if isNull(raw) {
		return 0, nil
	}
	s := decodeString(raw)
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("not an integer: %q", truncate(s, 40))
	}
	return n, nil
}

// decodeBool reads true/false sent as a JSON bool or a string.
func decodeBool(raw json.RawMessage) (bool, error) {
	if isNull(raw) {
		return false, nil
	}
	s := strings.TrimSpace(decodeString(raw))
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, fmt.Errorf("not a boolean: %q", truncate(s, 40))
	}
	return b, nil
}

// timeLayouts are the shapes the host writes: DateTimeOffset with an offset, DateTime without
// a zone (UTC by convention, sub-seconds dropped), and UtcNow with Z and seven fraction digits.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"01/02/2006 15:04:05",
}

// decodeTime reads a timestamp in any of the host's shapes; zone-less values are UTC.
func decodeTime(raw json.RawMessage) (time.Time, error) {
	if isNull(raw) {
		return time.Time{}, nil
	}
	s := strings.TrimSpace(decodeString(raw))
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("not a timestamp: %q", truncate(s, 40))
}

// decodeObject reads a JSON object that older hosts sent as a JSON-encoded string.
func decodeObject(raw json.RawMessage, v any) error {
	if isNull(raw) {
		return nil
	}
	raw = bytes.TrimSpace(raw)
	if raw[0] == '"' {
		s, _ := unquote(raw)
		s = strings.TrimSpace(s)
		if s == "" {
			return nil
		}
		raw = json.RawMessage(s)
	}
	return json.Unmarshal(raw, v)
}

// decodeBody reads a message body in whichever form it arrived: a JSON object or array as is
// (a host that kept the structure), "dataType": "binary" as base64, the default string form
// double-encoded, or single-encoded text. Base64 is tried only on the once-unquoted value when
// it is not itself JSON, because JSON text is never valid standard base64 but plain words can be.
func decodeBody(raw json.RawMessage) []byte {
	raw = bytes.TrimSpace(raw)
	if isNull(raw) {
		return nil
	}
	if raw[0] != '"' {
		return append([]byte(nil), raw...)
	}
	var once string
	if err := json.Unmarshal(raw, &once); err != nil {
		return append([]byte(nil), raw...)
	}
	t := strings.TrimSpace(once)
	if len(t) >= 2 && t[0] == '"' {
		var twice string
		if json.Unmarshal([]byte(t), &twice) == nil {
			return []byte(twice)
		}
	}
	if b, ok := decodeBase64(t); ok {
		return b
	}
	return []byte(once)
}

// decodeBase64 accepts the padded standard alphabet the host writes and rejects everything
// that merely looks like text. The host never breaks lines (Convert.ToBase64String), and the
// decoder would skip CR and LF even in strict mode, so text with line breaks is not base64.
func decodeBase64(s string) ([]byte, bool) {
	if s == "" || len(s)%4 != 0 || strings.ContainsAny(s, "\r\n") {
		return nil, false
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, false
	}
	return b, true
}

// truncate shortens s to at most n bytes, cutting at a rune boundary so the result stays
// valid UTF-8 (it ends up in JSON replies and log records).
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
