package queue

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

func TestNames(t *testing.T) {
	t.Parallel()
	want := map[Name]string{
		TranscriptIngest: "TranscriptIngest",
		MinutesGenerate:  "MinutesGenerate",
		MinutesPublish:   "MinutesPublish",
		Migrations:       "MigrationRunner",
	}
	require.Len(t, Names(), len(want))
	for _, n := range Names() {
		require.Equal(t, want[n], n.Function(), "queue %s", n)
		require.True(t, n.Valid())
		got, err := ForFunction(n.Function())
		require.NoError(t, err)
		require.Equal(t, n, got)
	}
	require.Equal(t, []string{"transcript-ingest", "minutes-generate", "minutes-publish", "migrations"},
		[]string{string(TranscriptIngest), string(MinutesGenerate), string(MinutesPublish), string(Migrations)},
		"the names are a contract (function.json queueName)")
	require.False(t, Name("Transcript-Ingest").Valid())
	_, err := ForFunction("Health")
	require.ErrorIs(t, err, ErrUnknownQueue)
}

func TestEncode(t *testing.T) {
	t.Parallel()
	tenant := tenancy.NewID()
	long := strings.Repeat("k", 129)
	cases := []struct {
		name    string
		q       Name
		m       Outgoing
		wantErr error
		check   func(t *testing.T, e encoded)
	}{
		{name: "StructBody", q: TranscriptIngest, m: Outgoing{ID: "a", Body: struct {
			X int `json:"x"`
		}{1}}, check: func(t *testing.T, e encoded) {
			require.JSONEq(t, `{"x":1}`, string(e.body))
			require.Equal(t, "a", e.id)
			require.Nil(t, e.properties)
		}},
		{name: "RawBodyKeptAsIs", q: TranscriptIngest, m: Outgoing{ID: "a", Body: []byte(` {"b": 2} `)}, check: func(t *testing.T, e encoded) {
			require.Equal(t, `{"b": 2}`, string(e.body))
		}},
		{name: "TenantBecomesAProperty", q: MinutesGenerate, m: Outgoing{ID: "a", Body: json.RawMessage(`{}`), TenantID: tenant,
			Properties: map[string]string{"k": "v", PropertyTenantID: "forged"}}, check: func(t *testing.T, e encoded) {
			require.Equal(t, map[string]string{"k": "v", PropertyTenantID: tenant.String()}, e.properties)
		}},
		{name: "ReservedPropertyDroppedWithoutTenant", q: MinutesGenerate, m: Outgoing{ID: "a", Body: map[string]int{},
			Properties: map[string]string{PropertyTenantID: "forged"}}, check: func(t *testing.T, e encoded) {
			require.Empty(t, e.properties)
		}},
		{name: "EmptyIDGetsAUUID", q: MinutesPublish, m: Outgoing{Body: map[string]int{}}, check: func(t *testing.T, e encoded) {
			require.Len(t, e.id, 36)
		}},
		{name: "LongIDIsDigested", q: MinutesPublish, m: Outgoing{ID: long, Body: map[string]int{}}, check: func(t *testing.T, e encoded) {
			require.Equal(t, normalizeID(long), e.id, "stable")
			require.True(t, strings.HasPrefix(e.id, "sha256-"))
			require.LessOrEqual(t, len(e.id), maxMessageID)
		}},
		{name: "NegativeDelayIsNone", q: Migrations, m: Outgoing{ID: "a", Body: map[string]int{}, Delay: -5}, check: func(t *testing.T, e encoded) {
			require.Zero(t, e.delay)
		}},
		{name: "UnknownQueue", q: "transcripts", m: Outgoing{Body: map[string]int{}}, wantErr: ErrUnknownQueue},
		{name: "ArrayBody", q: TranscriptIngest, m: Outgoing{Body: []int{1}}, wantErr: ErrInvalidMessage},
		{name: "NilBody", q: TranscriptIngest, m: Outgoing{}, wantErr: ErrInvalidMessage},
		{name: "InvalidRawBody", q: TranscriptIngest, m: Outgoing{Body: []byte(`{"a":`)}, wantErr: ErrInvalidMessage},
		{name: "UnencodableBody", q: TranscriptIngest, m: Outgoing{Body: map[string]any{"f": func() {}}}, wantErr: ErrInvalidMessage},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := encode(tt.q, tt.m)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			tt.check(t, e)
		})
	}
}

func TestRetryID(t *testing.T) {
	t.Parallel()
	cases := []struct {
		id    string
		count int
		want  string
	}{
		{"t:1", 1, "t:1#retry-1"},
		{"t:1", 4, "t:1#retry-4"},
		{"t:1#retry-1", 1, "t:1#retry-2"}, // a copy delivered once, delayed again
		{"t:1#retry-2", 3, "t:1#retry-5"},
		{"t:1#retry-x", 1, "t:1#retry-x#retry-1"}, // not our suffix
		{"t:1", 0, "t:1#retry-1"},
	}
	for _, tt := range cases {
		require.Equal(t, tt.want, retryID(tt.id, tt.count), "retryID(%q, %d)", tt.id, tt.count)
	}
}

func TestRequeued(t *testing.T) {
	t.Parallel()
	m := funchost.Message{MessageID: "x", DeliveryCount: 3, Body: []byte(`{"a":1}`),
		Properties: map[string]any{"tenant_id": "t", "n": float64(2), "ok": true}}
	q, e, err := requeued("MinutesPublish", m, -1)
	require.NoError(t, err)
	require.Equal(t, MinutesPublish, q)
	require.Equal(t, "x#retry-3", e.id)
	require.Zero(t, e.delay)
	require.Equal(t, map[string]string{"tenant_id": "t", "n": "2", "ok": "true"}, e.properties)

	_, e, err = requeued("MinutesPublish", funchost.Message{Body: []byte(`{}`)}, 0)
	require.NoError(t, err)
	require.Len(t, e.id, 36+len("#retry-1"), "a message without id gets a fresh one")

	_, _, err = requeued("MinutesPublish", funchost.Message{MessageID: "x", Body: []byte(`"s"`)}, 0)
	require.ErrorIs(t, err, ErrInvalidMessage)
}
