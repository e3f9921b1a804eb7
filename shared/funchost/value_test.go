package funchost

import (
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// jsonString is the host's encoding of a .NET string: its JSON encoding, as a JSON value.
func jsonString(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// doubleEncoded is how the host sends a string binding value (§1.2): the JSON encoding of the
// string, sent as a JSON string.
func doubleEncoded(s string) string { return jsonString(jsonString(s)) }

func TestUnquote(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, raw, want string
		ok              bool
	}{
		{"double encoded", doubleEncoded("t-42:m-1:transcript:v1"), "t-42:m-1:transcript:v1", true},
		{"single encoded", `"t-42:m-1:transcript:v1"`, "t-42:m-1:transcript:v1", true},
		{"stops after two layers", jsonString(doubleEncoded("x")), `"x"`, true},
		{"value that is a quoted word keeps its quotes once", doubleEncoded(`"quoted"`), `"quoted"`, true},
		{"empty string", `""`, "", true},
		{"double encoded empty string", doubleEncoded(""), "", true},
		{"surrounding whitespace", "  \"\\\"a\\\"\"\n", "a", true},
		{"inner quotes that are not JSON stay", `"\"a\" and \"b\""`, `"a" and "b"`, true},
		{"number", `42`, "", false},
		{"object", `{"a":1}`, "", false},
		{"broken string", `"abc`, "", false},
		{"empty", ``, "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := unquote(json.RawMessage(tt.raw))
			require.Equal(t, tt.ok, ok)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestIsNull(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]bool{
		``:                    true,
		`   `:                 true,
		`null`:                true,
		`"null"`:              true,  // the host's encoding of a null input (§1.2)
		doubleEncoded("null"): false, // the four-letter string "null", e.g. a message body
		`""`:                  false,
		`0`:                   false,
		`{}`:                  false,
	} {
		require.Equal(t, want, isNull(json.RawMessage(raw)), "isNull(%s)", raw)
	}
}

func TestDecodeString(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ raw, want string }{
		{doubleEncoded("application/json"), "application/json"},
		{`"application/json"`, "application/json"},
		{`42`, "42"},
		{`true`, "true"},
		{`null`, ""},
		{`"null"`, ""},
		{``, ""},
	} {
		require.Equal(t, tt.want, decodeString(json.RawMessage(tt.raw)), "decodeString(%s)", tt.raw)
	}
}

func TestDecodeInt(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		raw  string
		want int64
		err  bool
	}{
		{`"1"`, 1, false},   // what the host sends (§1.4)
		{`"42"`, 42, false}, //
		{doubleEncoded("3"), 3, false},
		{`3`, 3, false}, // a host that keeps numbers
		{`" 7 "`, 7, false},
		{`"9223372036854775807"`, 9223372036854775807, false},
		{`null`, 0, false},
		{``, 0, false},
		{`"1.5"`, 0, true},
		{`1e3`, 0, true},
		{`"three"`, 0, true},
		{`{}`, 0, true},
		{`"99999999999999999999"`, 0, true},
	} {
		got, err := decodeInt(json.RawMessage(tt.raw))
		if tt.err {
			require.Error(t, err, tt.raw)
			continue
		}
		require.NoError(t, err, tt.raw)
		require.Equal(t, tt.want, got, tt.raw)
	}
}

func TestDecodeBool(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		raw       string
		want, err bool
	}{
		{`true`, true, false}, {`false`, false, false}, {`"true"`, true, false},
		{`"True"`, true, false}, {doubleEncoded("false"), false, false}, {`null`, false, false},
		{`"yes please"`, false, true}, {`2`, false, true},
	} {
		got, err := decodeBool(json.RawMessage(tt.raw))
		if tt.err {
			require.Error(t, err, tt.raw)
			continue
		}
		require.NoError(t, err, tt.raw)
		require.Equal(t, tt.want, got, tt.raw)
	}
}

func TestDecodeTimeEveryLayout(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, raw string
		want      time.Time
	}{
		{"DateTimeOffset +00:00", `"2026-05-15T10:00:00+00:00"`, utc("2026-05-15T10:00:00Z")},
		{"offset converted to UTC", `"2026-05-15T12:00:00+02:00"`, utc("2026-05-15T10:00:00Z")},
		{"DateTime without zone is UTC", `"2026-05-15T10:00:00"`, utc("2026-05-15T10:00:00Z")},
		{"zone-less with 7 fraction digits", `"2026-05-15T10:00:00.1234567"`, utc("2026-05-15T10:00:00.1234567Z")},
		{"UtcNow: Z and 7 fraction digits", `"2026-05-01T10:00:01.0000001Z"`, utc("2026-05-01T10:00:01.0000001Z")},
		{"offset and 7 fraction digits", `"2026-04-30T02:00:00.0012345+00:00"`, utc("2026-04-30T02:00:00.0012345Z")},
		{"RFC 3339 Z", `"2026-05-01T02:00:00Z"`, utc("2026-05-01T02:00:00Z")},
		{"space separated with offset", `"2026-05-01 02:00:00-01:00"`, utc("2026-05-01T03:00:00Z")},
		{"space separated without zone", `"2026-05-01 02:00:00"`, utc("2026-05-01T02:00:00Z")},
		{".NET invariant culture", `"05/01/2026 02:00:00"`, utc("2026-05-01T02:00:00Z")},
		{"double encoded", doubleEncoded("2026-05-01T02:00:00+00:00"), utc("2026-05-01T02:00:00Z")},
		{"null", `null`, time.Time{}},
		{"empty string", `""`, time.Time{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := decodeTime(json.RawMessage(tt.raw))
			require.NoError(t, err)
			if tt.want.IsZero() {
				require.True(t, got.IsZero())
				return
			}
			requireTime(t, tt.want, got)
		})
	}
	for _, raw := range []string{`"yesterday"`, `"2026-13-01T00:00:00Z"`, `1714557600`, `"2026-05-01T25:00:00"`} {
		_, err := decodeTime(json.RawMessage(raw))
		require.Error(t, err, raw)
	}
}

func TestDecodeObjectAcceptsObjectOrEncodedString(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		`{"draft":"true"}`,
		`"{\"draft\":\"true\"}"`, // older hosts (#6606)
		doubleEncoded(`{"draft":"true"}`),
	} {
		var m map[string]string
		require.NoError(t, decodeObject(json.RawMessage(raw), &m), raw)
		require.Equal(t, map[string]string{"draft": "true"}, m, raw)
	}
	for _, raw := range []string{`null`, `"null"`, `""`, ``} {
		var m map[string]string
		require.NoError(t, decodeObject(json.RawMessage(raw), &m), raw)
		require.Empty(t, m, raw)
	}
	var m map[string]string
	require.Error(t, decodeObject(json.RawMessage(`"not json"`), &m))
	require.Error(t, decodeObject(json.RawMessage(`[1,2]`), &m))
}

func TestDecodeBody(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, raw string
		want      []byte
	}{
		{"default dataType: double encoded", doubleEncoded(wantBody), []byte(wantBody)},
		{"dataType binary: base64", `"eyJ0ZW5hbnRJZCI6InQtNDIiLCJtZWV0aW5nSWQiOiJtLTEiLCJibG9iUGF0aCI6InQtNDIvbS0xLnZ0dCJ9"`, []byte(wantBody)},
		{"single encoded JSON", jsonString(wantBody), []byte(wantBody)},
		{"JSON object kept as is", `{"tenantId":"t-42"}`, []byte(`{"tenantId":"t-42"}`)},
		{"JSON array kept as is", `[1, 2]`, []byte(`[1, 2]`)},
		{"binary bytes", `"AAECAwQ="`, []byte{0, 1, 2, 3, 4}},
		// Plain words in the default (string) dataType are double encoded, so base64 is never
		// tried on them even when they happen to be valid base64.
		{"double encoded text that looks like base64", doubleEncoded("test"), []byte("test")},
		{"double encoded base64 text stays text", doubleEncoded("AAECAwQ="), []byte("AAECAwQ=")},
		{"single encoded text that is not base64", jsonString("hello world"), []byte("hello world")},
		{"double encoded whitespace kept", doubleEncoded("  {\"a\":1}\n"), []byte("  {\"a\":1}\n")},
		{"double encoded JSON string body", doubleEncoded(`"hello"`), []byte(`"hello"`)},
		{"double encoded literal null", doubleEncoded("null"), []byte("null")},
		{"double encoded empty", doubleEncoded(""), []byte{}},
		{"unpadded base64 is text", `"AAECAwQ"`, []byte("AAECAwQ")},
		{"single encoded lines are text", jsonString("to\ndo\nnow\nall\nok"), []byte("to\ndo\nnow\nall\nok")},
		{"null", `null`, nil},
		{"host's null input", `"null"`, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, decodeBody(json.RawMessage(tt.raw)))
		})
	}
}

func TestDecodeBase64IsStrict(t *testing.T) {
	t.Parallel()
	for s, want := range map[string][]byte{
		"AAECAwQ=": {0, 1, 2, 3, 4},
		"dGVzdA==": []byte("test"),
		"test":     {0xb5, 0xeb, 0x2d}, // valid base64: why text is never tried as base64 first
	} {
		got, ok := decodeBase64(s)
		require.True(t, ok, s)
		require.Equal(t, want, got, s)
	}
	for _, s := range []string{
		"",
		"AAECAwQ",          // unpadded
		"AAEC AwQ=",        // space
		"AAECAwQ=\n",       // newline
		"dGVz\r\n\r\ndA==", // line breaks (the decoder itself would skip them)
		"_-8=",             // URL alphabet
		"dGVzdB==",         // non-zero padding bits: Strict rejects
		"{\"a\":1}",        // JSON text
		"t-42:m-1:xyz",     // an id
	} {
		_, ok := decodeBase64(s)
		require.False(t, ok, s)
	}
}

func TestDecodeHTTPBody(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, raw, contentType string
		want                   []byte
	}{
		{"json text", `"{\"title\":\"Weekly sync\"}"`, "application/json", []byte(`{"title":"Weekly sync"}`)},
		{"octet-stream is base64", `"AAECAwQ="`, "application/octet-stream", []byte{0, 1, 2, 3, 4}},
		{"multipart is base64", `"AAECAwQ="`, "multipart/form-data; boundary=x", []byte{0, 1, 2, 3, 4}},
		// A text body that merely looks like base64 is the text itself.
		{"plain text that looks like base64", `"test"`, "text/plain; charset=utf-8", []byte("test")},
		{"json that looks like base64", `"AAECAwQ="`, "application/json", []byte("AAECAwQ=")},
		{"no content type", `"dGVzdA=="`, "", []byte("dGVzdA==")},
		{"octet-stream that is not base64 kept", `"not base64!"`, "application/octet-stream", []byte("not base64!")},
		{"JSON body as parsed object", `{"title":"Weekly sync"}`, "application/json", []byte(`{"title":"Weekly sync"}`)},
		{"text body that is a JSON string is not unquoted twice", `"\"hello\""`, "application/json", []byte(`"hello"`)},
		{"empty", ``, "application/json", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, decodeHTTPBody(json.RawMessage(tt.raw), tt.contentType))
		})
	}
}

func TestTruncateKeepsUTF8(t *testing.T) {
	t.Parallel()
	require.Equal(t, "short", truncate("short", 10))
	got := truncate("ééééé", 5) // each é is two bytes; byte 5 is inside a rune
	require.True(t, utf8.ValidString(got), "%q", got)
	require.Equal(t, "éé…", got)
}
