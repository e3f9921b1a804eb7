package review

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseOffset(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{`"00:12:34.500"`, 12*time.Minute + 34500*time.Millisecond, true},
		{`"12:34"`, 12*time.Minute + 34*time.Second, true},
		{`"1:02:03.5"`, time.Hour + 2*time.Minute + 3500*time.Millisecond, true},
		{`"00:00:00"`, 0, true},
		{`75.25`, 75250 * time.Millisecond, true},
		{`0`, 0, true},
		{`"1:60"`, 0, false},
		{`"24:00:00"`, 0, false},
		{`"12"`, 0, false},
		{`"1:2:3:4"`, 0, false},
		{`"00:01.1234"`, 0, false},
		{`"00:01."`, 0, false},
		{`"aa:bb"`, 0, false},
		{`"-1:00"`, 0, false},
		{`-1`, 0, false},
		{`1e9`, 0, false},
		{`true`, 0, false},
	}
	for _, tt := range cases {
		got, err := parseOffset(json.RawMessage(tt.in))
		if !tt.ok {
			require.Error(t, err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		require.Equal(t, tt.want, got, tt.in)
	}
}

func TestChangedFields(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name          string
		before, after string
		known         []string
		other         int
	}{
		{"same, reordered and reformatted", `{"title":"a","summary":"b","n":1.50}`, `{ "summary": "b", "n": 1.50, "title": "a" }`, []string{}, 0},
		{"changed known", `{"title":"a","summary":"b"}`, `{"title":"A","summary":"b"}`, []string{"title"}, 0},
		{"added and removed", `{"title":"a","decisions":[]}`, `{"title":"a","action_items":[]}`, []string{"action_items", "decisions"}, 0},
		{"unknown members are counted", `{"title":"a","Bob's salary":1}`, `{"title":"a","Bob's salary":2,"x":null}`, []string{}, 2},
		{"null differs from absent", `{"title":"a"}`, `{"title":"a","language":null}`, []string{"language"}, 0},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			known, other := changedFields(json.RawMessage(tt.before), json.RawMessage(tt.after))
			require.Equal(t, tt.known, known)
			require.Equal(t, tt.other, other)
		})
	}
}
