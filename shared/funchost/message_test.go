package funchost

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDecodeMessageFixtures(t *testing.T) {
	t.Parallel()
	props := map[string]any{"tenantId": "t-42", "schemaVersion": float64(1)}
	full := Message{
		Body:           []byte(wantBody),
		MessageID:      "t-42:m-1:transcript:v1",
		DeliveryCount:  1,
		SequenceNumber: 42,
		EnqueuedAt:     utc("2026-05-01T10:00:00Z"),
		ExpiresAt:      utc("2026-05-15T10:00:00Z"),
		ContentType:    "application/json",
		Subject:        "transcript.ready",
		CorrelationID:  "c0ffee00-0000-4000-8000-000000000001",
		Properties:     props,
	}
	with := func(f func(*Message)) Message {
		m := full
		f(&m)
		return m
	}
	cases := map[string]Message{
		"sb_C.json":                 full,
		"sb_C2_binary.json":         full,
		"sb_C3_single_encoded.json": full,
		"sb_C4_redelivery.json":     with(func(m *Message) { m.DeliveryCount = 3 }),
		"sb_C5_poison.json": with(func(m *Message) {
			m.Body = []byte(`{"tenantId":"t-42","meetingId":`)
			m.MessageID = "t-42:m-9:transcript:v1"
		}),
		"sb_C6_missing_optional.json": {
			Body: []byte(wantBody), MessageID: "t-42:m-1:transcript:v1", DeliveryCount: 1, SequenceNumber: 42,
			EnqueuedAt: utc("2026-05-01T10:00:00Z"), ExpiresAt: utc("2026-05-15T10:00:00Z"),
		},
		"sb_lowercase_keys.json": full,
		"sb_data_string.json":    full,
		"sb_numbers.json":        full,
		"sb_no_sys.json":         full,
		"sb_msg_object.json": {
			Body: []byte(`{"tenantId":"t-42"}`), MessageID: "t-42:m-1:transcript:v1", DeliveryCount: 1,
			SequenceNumber: 42, EnqueuedAt: utc("2026-05-01T10:00:00Z"),
		},
	}
	for _, name := range fixtureNames(t, "sb_") {
		want, ok := cases[name]
		require.True(t, ok, "fixture %s has no expectation", name)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := DecodeMessage(decodeFixture(t, name), "msg")
			require.NoError(t, err)
			require.Equal(t, string(want.Body), string(got.Body), "body bytes")
			require.Equal(t, want.MessageID, got.MessageID)
			require.NotContains(t, got.MessageID, `"`)
			require.Equal(t, want.DeliveryCount, got.DeliveryCount)
			require.Equal(t, want.SequenceNumber, got.SequenceNumber)
			require.Equal(t, want.ContentType, got.ContentType)
			require.Equal(t, want.Subject, got.Subject)
			require.Equal(t, want.CorrelationID, got.CorrelationID)
			require.Equal(t, want.SessionID, got.SessionID)
			require.Equal(t, want.Properties, got.Properties)
			for _, tm := range []struct{ want, got time.Time }{{want.EnqueuedAt, got.EnqueuedAt}, {want.ExpiresAt, got.ExpiresAt}} {
				if tm.want.IsZero() {
					require.True(t, tm.got.IsZero())
					continue
				}
				requireTime(t, tm.want, tm.got)
			}
		})
	}
}

func TestMessageJSON(t *testing.T) {
	t.Parallel()
	m, err := DecodeMessage(decodeFixture(t, "sb_C.json"), "msg")
	require.NoError(t, err)
	var v struct{ TenantID, MeetingID, BlobPath string }
	require.NoError(t, m.JSON(&v))
	require.Equal(t, "t-42", v.TenantID)
	require.Equal(t, "m-1", v.MeetingID)
	require.Equal(t, "t-42/m-1.vtt", v.BlobPath)

	m, err = DecodeMessage(decodeFixture(t, "sb_C5_poison.json"), "msg")
	require.NoError(t, err)
	err = m.JSON(&v)
	require.Error(t, err)
	require.True(t, IsPoison(err), "an unreadable body can never succeed: %v", err)
}

func TestDecodeMessageDetails(t *testing.T) {
	t.Parallel()
	t.Run("Label stands in for a missing Subject", func(t *testing.T) {
		t.Parallel()
		env, err := DecodeEnvelope([]byte(`{"Data":{"msg":"\"x\""},"Metadata":{"Label":"\"old.style\""}}`))
		require.NoError(t, err)
		m, err := DecodeMessage(env, "msg")
		require.NoError(t, err)
		require.Equal(t, "old.style", m.Subject)
	})
	t.Run("UserProperties when ApplicationProperties is absent", func(t *testing.T) {
		t.Parallel()
		env, err := DecodeEnvelope([]byte(`{"Data":{"msg":"\"x\""},"Metadata":{"UserProperties":{"a":"b"}}}`))
		require.NoError(t, err)
		m, err := DecodeMessage(env, "msg")
		require.NoError(t, err)
		require.Equal(t, map[string]any{"a": "b"}, m.Properties)
	})
	t.Run("DeliveryCount defaults to 1", func(t *testing.T) {
		t.Parallel()
		env, err := DecodeEnvelope([]byte(`{"Data":{"msg":"\"x\""},"Metadata":{"DeliveryCount":"0"}}`))
		require.NoError(t, err)
		m, err := DecodeMessage(env, "msg")
		require.NoError(t, err)
		require.Equal(t, 1, m.DeliveryCount)
	})
	t.Run("SessionId is read", func(t *testing.T) {
		t.Parallel()
		env, err := DecodeEnvelope([]byte(`{"Data":{"msg":"\"x\""},"Metadata":{"SessionId":"\"t-42\""}}`))
		require.NoError(t, err)
		m, err := DecodeMessage(env, "msg")
		require.NoError(t, err)
		require.Equal(t, "t-42", m.SessionID)
	})
}

func TestDecodeMessageErrorsKeepWhatWasRead(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, body string
		wantBody   string
	}{
		{"no Data entry", `{"Data":{},"Metadata":{"MessageId":"\"id-1\"","DeliveryCount":"4"}}`, ""},
		{"two Data entries, none named msg", `{"Data":{"a":"\"x\"","b":"\"y\""},"Metadata":{"MessageId":"\"id-1\"","DeliveryCount":"4"}}`, ""},
		{"unreadable SequenceNumber", `{"Data":{"msg":"\"x\""},"Metadata":{"MessageId":"\"id-1\"","DeliveryCount":"4","SequenceNumber":"many"}}`, "x"},
		{"unreadable EnqueuedTime", `{"Data":{"msg":"\"x\""},"Metadata":{"MessageId":"\"id-1\"","DeliveryCount":"4","EnqueuedTime":"soon"}}`, "x"},
		{"ApplicationProperties not an object", `{"Data":{"msg":"\"x\""},"Metadata":{"MessageId":"\"id-1\"","DeliveryCount":"4","ApplicationProperties":[1]}}`, "x"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, err := DecodeEnvelope([]byte(tt.body))
			require.NoError(t, err)
			m, err := DecodeMessage(env, "msg")
			require.ErrorIs(t, err, ErrMalformedEnvelope)
			require.Equal(t, "id-1", m.MessageID, "parked under its id")
			require.Equal(t, 4, m.DeliveryCount)
			require.Equal(t, tt.wantBody, string(m.Body))
		})
	}
	t.Run("unreadable DeliveryCount still counts one delivery", func(t *testing.T) {
		t.Parallel()
		env, err := DecodeEnvelope([]byte(`{"Data":{"msg":"\"x\""},"Metadata":{"DeliveryCount":"lots"}}`))
		require.NoError(t, err)
		m, err := DecodeMessage(env, "msg")
		require.ErrorIs(t, err, ErrMalformedEnvelope)
		require.Equal(t, 1, m.DeliveryCount)
	})
}
