package store_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/store"
)

func TestParseIDs(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   string
		ok   bool
	}{
		{"canonical", "6f1c2c1e-8b7a-4c5e-9d3f-2a1b0c9d8e7f", true},
		{"upper case", "6F1C2C1E-8B7A-4C5E-9D3F-2A1B0C9D8E7F", true},
		{"nil uuid", "00000000-0000-0000-0000-000000000000", false},
		{"empty", "", false},
		{"no dashes", "6f1c2c1e8b7a4c5e9d3f2a1b0c9d8e7f", false},
		{"braces", "{6f1c2c1e-8b7a-4c5e-9d3f-2a1b0c9d8e7f}", false},
		{"injection", "6f1c2c1e-8b7a-4c5e-9d3f-2a1b0c9d8e7f' OR 1=1 --", false},
		{"urn", "urn:uuid:6f1c2c1e-8b7a-4c5e-9d3f-2a1b0c9d8e7f", false},
	}
	parsers := map[string]func(string) (string, error){
		"meeting":     wrap(store.ParseMeetingID),
		"transcript":  wrap(store.ParseTranscriptID),
		"minutes":     wrap(store.ParseMinutesID),
		"action item": wrap(store.ParseActionItemID),
		"user":        wrap(store.ParseUserID),
		"invitation":  wrap(store.ParseInvitationID),
		"template":    wrap(store.ParseTemplateID),
	}
	for kind, parse := range parsers {
		for _, tt := range cases {
			t.Run(kind+"/"+tt.name, func(t *testing.T) {
				s, err := parse(tt.in)
				if !tt.ok {
					requireErrorIs(t, err, store.ErrInvalid)
					return
				}
				require.NoError(t, err)
				require.Equal(t, "6f1c2c1e-8b7a-4c5e-9d3f-2a1b0c9d8e7f", s, "canonical lower case")
			})
		}
	}
}

func wrap[T interface{ String() string }](parse func(string) (T, error)) func(string) (string, error) {
	return func(s string) (string, error) {
		id, err := parse(s)
		return id.String(), err
	}
}

func TestIDJSON(t *testing.T) {
	t.Parallel()
	id, err := store.ParseMeetingID("6f1c2c1e-8b7a-4c5e-9d3f-2a1b0c9d8e7f")
	require.NoError(t, err)
	type doc struct {
		ID   store.MeetingID `json:"id"`
		None store.UserID    `json:"none"`
	}
	b, err := json.Marshal(doc{ID: id})
	require.NoError(t, err)
	require.JSONEq(t, `{"id":"6f1c2c1e-8b7a-4c5e-9d3f-2a1b0c9d8e7f","none":""}`, string(b))
	var back doc
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, id, back.ID)
	require.True(t, back.None.IsZero())
	requireErrorIs(t, json.Unmarshal([]byte(`{"id":"nope"}`), &back), store.ErrInvalid)
}

func TestSentinelsMapToHTTP(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err  error
		want int
	}{
		{store.ErrNotFound, 404},
		{store.ErrConflict, 409},
		{store.ErrInvalid, 400},
		{store.ErrExpired, 410},
	}
	for _, tt := range cases {
		t.Run(tt.err.Error(), func(t *testing.T) {
			require.Equal(t, tt.want, funchost.StatusOf(tt.err))
		})
	}
}

func TestMeetingCursorRoundTrip(t *testing.T) {
	t.Parallel()
	id, err := store.ParseMeetingID("6f1c2c1e-8b7a-4c5e-9d3f-2a1b0c9d8e7f")
	require.NoError(t, err)
	cases := []struct {
		name string
		m    store.Meeting
	}{
		{"dated", store.Meeting{ID: id, StartsAt: ptr(at(1234567))}},
		{"undated", store.Meeting{ID: id}},
		{"before 1970", store.Meeting{ID: id, StartsAt: ptr(at(0).AddDate(-80, 0, 0))}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.m.Cursor()
			back, err := store.ParseMeetingCursor(c.String())
			require.NoError(t, err)
			require.Equal(t, c.String(), back.String())
			require.False(t, back.IsZero())
		})
	}
	t.Run("zero", func(t *testing.T) {
		c, err := store.ParseMeetingCursor("")
		require.NoError(t, err)
		require.True(t, c.IsZero())
		require.Empty(t, c.String())
	})
	for _, bad := range []string{"!!", "AAAA", "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "AgAAAAAAAAAAAAAAAAAAAAAA"} {
		t.Run("malformed "+bad, func(t *testing.T) {
			_, err := store.ParseMeetingCursor(bad)
			requireErrorIs(t, err, store.ErrInvalid)
		})
	}
}
