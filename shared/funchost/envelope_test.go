package funchost

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEveryFixtureIsAnEnvelope(t *testing.T) {
	t.Parallel()
	for _, name := range fixtureNames(t, "") {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			env := decodeFixture(t, name)
			require.NotEmpty(t, env.Data)
		})
	}
}

func TestDecodeEnvelopeSys(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		file string
		want Sys
	}{
		{"sb_C.json", Sys{MethodName: "ProcessTranscript", UtcNow: utc("2026-05-01T10:00:01.0000001Z"), RandGUID: "3b241101-e2bb-4255-8caf-4136c566a962"}},
		{"http_A.json", Sys{MethodName: "CreateMeeting", UtcNow: utc("2026-05-01T10:00:00.1234567Z"), RandGUID: "0f8fad5b-d9cb-469f-a165-70867728950e"}},
		{"timer_D.json", Sys{MethodName: "NightlyCleanup", UtcNow: utc("2026-05-01T02:00:00.0031337Z"), RandGUID: "9d2c1a9e-8e0f-4a5e-9c7f-3a1b2c3d4e5f"}},
		{"sb_lowercase_keys.json", Sys{MethodName: "ProcessTranscript", UtcNow: utc("2026-05-01T10:00:01.0000001Z"), RandGUID: "3b241101-e2bb-4255-8caf-4136c566a962"}},
		{"sb_no_sys.json", Sys{}},
		{"timer_no_sys.json", Sys{}},
	} {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			env := decodeFixture(t, tt.file)
			require.Equal(t, tt.want.MethodName, env.Sys.MethodName)
			require.Equal(t, tt.want.RandGUID, env.Sys.RandGUID)
			if tt.want.UtcNow.IsZero() {
				require.True(t, env.Sys.UtcNow.IsZero())
			} else {
				requireTime(t, tt.want.UtcNow, env.Sys.UtcNow)
			}
		})
	}
}

func TestDecodeEnvelopeRetryContext(t *testing.T) {
	t.Parallel()
	env := decodeFixture(t, "timer_D5_retry_context.json")
	require.Equal(t, &RetryContext{RetryCount: 1, MaxRetryCount: 3}, env.Retry)

	require.Nil(t, decodeFixture(t, "timer_D.json").Retry)

	env, err := DecodeEnvelope([]byte(`{"Data":{},"Metadata":{"RetryContext":{"RetryCount":"2","MaxRetryCount":"5"}}}`))
	require.NoError(t, err)
	require.Equal(t, &RetryContext{RetryCount: 2, MaxRetryCount: 5}, env.Retry, "counts as strings")
}

func TestDecodeEnvelopeShapes(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, body string
		data, meta []string
	}{
		{"PascalCase", `{"Data":{"msg":"\"x\""},"Metadata":{"MessageId":"\"a\""}}`, []string{"msg"}, []string{"MessageId"}},
		{"lower-case keys", `{"data":{"msg":"\"x\""},"metadata":{"MessageId":"\"a\""}}`, []string{"msg"}, []string{"MessageId"}},
		{"Data as encoded string", `{"Data":"{\"msg\":\"x\"}","Metadata":{}}`, []string{"msg"}, nil},
		{"null Data and Metadata", `{"Data":null,"Metadata":null}`, nil, nil},
		{"no Metadata", `{"Data":{"timer":{}}}`, []string{"timer"}, nil},
		{"empty object", `{}`, nil, nil},
		{"unknown top-level keys ignored", `{"Data":{"a":1},"Extra":[1,2],"ReturnValue":null}`, []string{"a"}, nil},
		{"leading whitespace", " \n\t{\"Data\":{\"a\":1}}", []string{"a"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, err := DecodeEnvelope([]byte(tt.body))
			require.NoError(t, err)
			require.NotNil(t, env.Data, "Data is never nil")
			require.NotNil(t, env.Metadata, "Metadata is never nil")
			require.ElementsMatch(t, tt.data, keys(env.Data))
			require.ElementsMatch(t, tt.meta, keys(env.Metadata))
		})
	}
}

func TestDecodeEnvelopeRejectsNonEnvelopes(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		``, `   `, `null`, `[]`, `"{}"`, `not json`, `{"Data":`, `{"Data":[1]}`, `{"Metadata":42}`,
		`{"Data":"not json"}`, `{"Data":{}} trailing`,
	} {
		_, err := DecodeEnvelope([]byte(body))
		require.ErrorIs(t, err, ErrMalformedEnvelope, "%q", body)
	}
}

func TestEnvelopeInputFallsBackToTheOnlyBinding(t *testing.T) {
	t.Parallel()
	env := decodeFixture(t, "sb_C.json")
	m, err := DecodeMessage(env, "message") // binding renamed in function.json
	require.NoError(t, err)
	require.Equal(t, wantBody, string(m.Body))

	env = decodeFixture(t, "http_A6_unknown_keys.json") // two Data entries: no guessing
	_, err = DecodeHTTPRequest(env, "request")
	require.ErrorIs(t, err, ErrMalformedEnvelope)
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
