package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/tenancy"
)

func TestCanonicalJSON(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, in, want string }{
		{"empty", `{}`, `{}`},
		{"sorted keys, bytewise", `{"b": 1, "a": 2, "B": 3, "é": 4, "aa": 5}`, `{"B":3,"a":2,"aa":5,"b":1,"é":4}`},
		{"nested", `{"x": {"z": [1, {"d": null, "c": true}], "y": false}}`, `{"x":{"y":false,"z":[1,{"c":true,"d":null}]}}`},
		{"numbers kept as printed", `{"a": 1.50, "b": -0.001, "c": 12345678901234567890123}`, `{"a":1.50,"b":-0.001,"c":12345678901234567890123}`},
		{"minimal escapes", `{"s": "q\" b\\ \b\f\n\r\t \u0001 \u001f / < > & é \u2028"}`, "{\"s\":\"q\\\" b\\\\ \\b\\f\\n\\r\\t \\u0001 \\u001f / < > & é \u2028\"}"},
		{"escaped key", `{"a\"b": 1}`, `{"a\"b":1}`},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := canonicalJSON([]byte(tt.in))
			require.NoError(t, err)
			require.Equal(t, tt.want, string(got))
		})
	}
	for _, bad := range []string{`[]`, `"s"`, `1`, `{`, `{} {}`} {
		_, err := canonicalJSON([]byte(bad))
		require.Error(t, err, bad)
	}
}

func TestFormatTime(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "2026-01-02T03:04:05Z"},
		{time.Date(2026, 1, 2, 3, 4, 5, 120000000, time.UTC), "2026-01-02T03:04:05.12Z"},
		{time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC), "2026-01-02T03:04:05.123456Z"},
		{time.Date(2026, 1, 2, 3, 4, 5, 999, time.UTC), "2026-01-02T03:04:05Z"},
		{time.Date(2026, 1, 2, 4, 4, 5, 1000, time.FixedZone("CET", 3600)), "2026-01-02T03:04:05.000001Z"},
	}
	for _, tt := range cases {
		require.Equal(t, tt.want, FormatTime(tt.in))
	}
}

// TestHashFormatIsStable pins format minutes.audit.v1: it rebuilds one entry's hash by hand,
// from the package documentation alone, and against a fixed value. If this test has to
// change, every stored chain stops verifying: add a new format instead.
func TestHashFormatIsStable(t *testing.T) {
	t.Parallel()
	r := Record{
		Tenant: tenancy.MustParseID("6f1c2c1e-8b7a-4c5e-9d3f-2a1b0c9d8e7f"),
		Seq:    42,
		Entry: Entry{
			At:      time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC),
			Actor:   Actor{Type: ActorUser, ID: "u-1"},
			Action:  "minutes.approved",
			Target:  Target{Type: "minutes", ID: "m-7"},
			Details: map[string]any{"version": json.Number("2"), "from": "draft", "note": "a\"b"},
		},
		PrevHash: make([]byte, 32),
	}
	for i := range r.PrevHash {
		r.PrevHash[i] = byte(i)
	}

	var buf []byte
	for _, f := range []string{
		"minutes.audit.v1",
		"6f1c2c1e-8b7a-4c5e-9d3f-2a1b0c9d8e7f",
		"42",
		"2026-03-14T15:09:26.535897Z",
		"user", "u-1", "minutes.approved", "minutes", "m-7",
		`{"from":"draft","note":"a\"b","version":2}`,
	} {
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(f)))
		buf = append(buf, f...)
	}
	want := sha256.Sum256(append(append([]byte{}, r.PrevHash...), buf...))

	got, err := r.ComputeHash()
	require.NoError(t, err)
	require.Equal(t, want[:], got)
	require.Equal(t, "3fc1beeb802f14eeebed299c7fb5c275ac1c2e99235b0d0782cd0296121b9d25", hex.EncodeToString(got))
}
