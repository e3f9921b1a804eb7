package funchost

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// Run one target at a time, e.g.
//
//	go test -run=^$ -fuzz=FuzzDecodeEnvelope -fuzztime=60s ./shared/funchost
//
// Inputs the fuzzer finds failing land in testdata/fuzz/<Target>/ and are kept as regression
// seeds.

// addFixtureSeeds seeds f with every envelope fixture.
func addFixtureSeeds(f *testing.F) {
	for _, name := range fixtureNames(f, "") {
		f.Add(fixture(f, name))
	}
}

// requireBodyRoundTrips asserts that body, sent in the host's binary form (base64) and, when
// it is text, in its default string form (double encoded), decodes back to the same bytes.
func requireBodyRoundTrips(t *testing.T, body []byte) {
	t.Helper()
	forms := map[string]string{"base64": jsonString(base64.StdEncoding.EncodeToString(body))}
	if utf8.Valid(body) {
		forms["double encoded"] = doubleEncoded(string(body))
	}
	for form, msg := range forms {
		envBody := []byte(`{"Data":{"msg":` + msg + `},"Metadata":{"DeliveryCount":"1"}}`)
		env, err := DecodeEnvelope(envBody)
		require.NoError(t, err, form)
		m, err := DecodeMessage(env, "msg")
		require.NoError(t, err, form)
		require.Truef(t, bytes.Equal(body, m.Body), "%s form: body %q decoded as %q", form, body, m.Body)
	}
}

func FuzzDecodeEnvelope(f *testing.F) {
	addFixtureSeeds(f)
	for _, s := range []string{
		``, `{}`, `null`, `{"Data":null}`, `{"Data":"{\"msg\":\"x\"}"}`, `{"data":{"msg":"\"\""}}`,
		`{"Data":{"req":{"Url":"https://h//x","Method":"GET"}}}`, `{"Data":{"timer":"null"}}`,
		`{"Metadata":{"RetryContext":"{\"RetryCount\":\"1\"}","sys":"{}"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := DecodeEnvelope(data)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformedEnvelope)
			return
		}
		require.NotNil(t, env.Data)
		require.NotNil(t, env.Metadata)
		require.True(t, env.Sys.UtcNow.IsZero() || env.Sys.UtcNow.Location() == time.UTC)

		if m, err := DecodeMessage(env, "msg"); err == nil {
			require.GreaterOrEqual(t, m.DeliveryCount, 1)
			for _, tm := range []time.Time{m.EnqueuedAt, m.ExpiresAt} {
				require.True(t, tm.IsZero() || tm.Location() == time.UTC)
			}
			requireBodyRoundTrips(t, m.Body)
		} else {
			require.ErrorIs(t, err, ErrMalformedEnvelope)
			require.GreaterOrEqual(t, m.DeliveryCount, 1, "a failed decode still counts the delivery")
		}

		if tk, err := DecodeTick(env, "timer"); err == nil {
			for _, tm := range []time.Time{tk.At, tk.Last, tk.Next} {
				require.True(t, tm.IsZero() || tm.Location() == time.UTC)
			}
		} else {
			require.ErrorIs(t, err, ErrMalformedEnvelope)
		}

		hr, err := DecodeHTTPRequest(env, "req")
		if err != nil {
			require.ErrorIs(t, err, ErrMalformedEnvelope)
			return
		}
		req, err := hr.Request(context.Background())
		if err != nil {
			require.ErrorIs(t, err, ErrMalformedEnvelope)
			return
		}
		require.True(t, strings.HasPrefix(req.URL.Path, "/"), "path %q", req.URL.Path)
		require.Empty(t, req.URL.Host, "a path never turns into an authority")
		require.EqualValues(t, len(hr.Body), req.ContentLength)
	})
}

func FuzzBodyRoundTrip(f *testing.F) {
	for _, s := range []string{
		wantBody, ``, `null`, `"null"`, `"hello"`, `test`, `AAECAwQ=`, "  {\"a\":1}\n", `""`, `"`, `\`,
		"\x00\x01\x02\x03\x04", "\xff\xfe", `{"tenantId":"t-42"}`, `[1,2]`, "é\u2028",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		requireBodyRoundTrips(t, body)
	})
}

func FuzzValueDecoders(f *testing.F) {
	for _, s := range []string{
		`"1"`, `42`, doubleEncoded("3"), `" 7 "`, `"99999999999999999999"`, `null`, `"null"`, ``,
		`true`, `"True"`, `"2026-05-15T10:00:00"`, `"2026-05-01T10:00:01.0000001Z"`,
		`"2026-04-30T02:00:00.0012345+00:00"`, `"05/01/2026 02:00:00"`, `"2026-05-01 02:00:00-01:00"`,
		`{"draft":"true"}`, `"{\"draft\":\"true\"}"`, doubleEncoded(wantBody), `"AAECAwQ="`, `"test"`,
		`[1,2]`, `"\"\""`, `"\u00e9"`, "\"\xff\"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		raw := json.RawMessage(data)
		if s, ok := unquote(raw); ok {
			require.True(t, bytes.HasPrefix(bytes.TrimSpace(data), []byte(`"`)))
			_ = s
		}
		_ = isNull(raw)
		_ = decodeString(raw)
		_, _ = decodeInt(raw)
		_, _ = decodeBool(raw)
		if tm, err := decodeTime(raw); err == nil && !tm.IsZero() {
			require.Equal(t, time.UTC, tm.Location())
		}
		var m map[string]any
		_ = decodeObject(raw, &m)
		var l []any
		_ = decodeObject(raw, &l)
		_ = decodeBody(raw)
		for _, ct := range []string{"application/json", "application/octet-stream", "multipart/form-data; boundary=x", "", ";;"} {
			_ = decodeHTTPBody(raw, ct)
		}
		if b, ok := decodeBase64(string(data)); ok {
			require.Equal(t, string(data), base64.StdEncoding.EncodeToString(b), "only canonical base64 is accepted")
		}
		require.True(t, utf8.ValidString(truncate(string(data), 7)) || !utf8.Valid(data))
	})
}

// FuzzEnvelopeReplies checks the host-facing contract on arbitrary bodies: every reply is JSON
// and a non-empty object, 200 when the host should settle, 4xx/5xx otherwise.
func FuzzEnvelopeReplies(f *testing.F) {
	addFixtureSeeds(f)
	f.Add([]byte("not json"))
	a := New(Options{Parker: &testParker{}, MaxEnvelopeBytes: 1 << 16})
	handlers := map[string]http.Handler{
		"queue": a.Queue("ProcessTranscript", "msg", func(_ context.Context, m Message) error {
			var v map[string]any
			return m.JSON(&v)
		}),
		"timer": a.Timer("NightlyCleanup", "timer", func(context.Context, Tick) error { return nil }),
		"http": a.HTTPEnvelope("CreateMeeting", "req", "res", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			WriteJSON(w, http.StatusOK, map[string]string{"path": r.URL.Path})
		})),
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for name, h := range handlers {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/"+name, bytes.NewReader(data)))
			require.True(t, strings.HasPrefix(w.Header().Get("Content-Type"), "application/json"), name)
			var obj map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &obj), "%s: %q", name, w.Body.String())
			require.NotNil(t, obj, name)
			switch name {
			case "queue", "http":
				require.Equal(t, http.StatusOK, w.Code, "%s always settles: %s", name, w.Body.String())
			case "timer":
				require.Contains(t, []int{http.StatusOK, http.StatusBadRequest}, w.Code, w.Body.String())
			}
			if w.Code == http.StatusOK {
				require.Contains(t, obj, "Outputs")
				require.Contains(t, obj, "Logs")
			}
		}
	})
}
