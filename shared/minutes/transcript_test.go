package minutes_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/minutes"
)

func TestTurns(t *testing.T) {
	t.Parallel()
	c := func(speaker, text string, start, end int64) minutes.Cue {
		return minutes.Cue{Speaker: speaker, Text: text, Start: ms(start), End: ms(end)}
	}
	cases := []struct {
		name string
		cues []minutes.Cue
		want []minutes.Turn
	}{
		{name: "no cues", cues: nil, want: nil},
		{name: "one cue", cues: []minutes.Cue{c("Ann", "hi", 0, 1)},
			want: []minutes.Turn{{Speaker: "Ann", Start: 0, End: ms(1), Text: "hi", Cues: []int{0}}}},
		{name: "consecutive cues of one speaker merge",
			cues: []minutes.Cue{c("Ann", "a", 0, 10), c("Ann", "b", 10, 20), c("Bo", "c", 20, 30), c("Ann", "d", 30, 40), c("Ann", "e", 40, 50)},
			want: []minutes.Turn{
				{Speaker: "Ann", Start: 0, End: ms(20), Text: "a b", Cues: []int{0, 1}},
				{Speaker: "Bo", Start: ms(20), End: ms(30), Text: "c", Cues: []int{2}},
				{Speaker: "Ann", Start: ms(30), End: ms(50), Text: "d e", Cues: []int{3, 4}},
			}},
		{name: "end is the latest end, not the last one",
			cues: []minutes.Cue{c("Ann", "long", 0, 90), c("Ann", "short", 10, 20)},
			want: []minutes.Turn{{Speaker: "Ann", Start: 0, End: ms(90), Text: "long short", Cues: []int{0, 1}}}},
		{name: "unknown speakers never merge",
			cues: []minutes.Cue{c("", "a", 0, 10), c("", "b", 10, 20), c("Ann", "c", 20, 30), c("", "d", 30, 40)},
			want: []minutes.Turn{
				{Start: 0, End: ms(10), Text: "a", Cues: []int{0}},
				{Start: ms(10), End: ms(20), Text: "b", Cues: []int{1}},
				{Speaker: "Ann", Start: ms(20), End: ms(30), Text: "c", Cues: []int{2}},
				{Start: ms(30), End: ms(40), Text: "d", Cues: []int{3}},
			}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := &minutes.Transcript{Cues: tt.cues}
			require.Equal(t, tt.want, tr.Turns())
		})
	}
}

func TestWordCount(t *testing.T) {
	t.Parallel()
	cases := []struct {
		text string
		want int
	}{
		{"", 0},
		{"one", 1},
		{"one two  three", 3},
		{"Legal & brand - sign-off", 3},
		{"it's 2% of 1,000 requests", 5},
		{"Tomás, ¿qué tal?", 3},
		{"陈美玲 说", 2},
		{"\u00a0a\u2003b\u00a0", 2},
		{"... --- !!!", 0},
	}
	for _, tt := range cases {
		t.Run(tt.text, func(t *testing.T) {
			t.Parallel()
			tr := &minutes.Transcript{Cues: []minutes.Cue{{Text: tt.text}, {Text: tt.text}}}
			require.Equal(t, 2*tt.want, tr.WordCount())
		})
	}
}

func TestFormatTimestamp(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   time.Duration
		want string
	}{
		{0, "00:00:00"},
		{ms(999), "00:00:00"},
		{ms(4120), "00:00:04"},
		{at(0, 1, 40, 80), "00:01:40"},
		{at(1, 2, 3, 0), "01:02:03"},
		{at(12, 59, 59, 999), "12:59:59"},
		{at(100, 0, 0, 0), "100:00:00"},
		{-time.Second, "00:00:00"},
	}
	for _, tt := range cases {
		require.Equal(t, tt.want, minutes.FormatTimestamp(tt.in), "%v", tt.in)
	}
}

func TestParseTimestamp(t *testing.T) {
	t.Parallel()
	valid := []struct {
		in   string
		want time.Duration
	}{
		{"00:00:00", 0},
		{"00:01:40", at(0, 1, 40, 0)},
		{"01:02:03", at(1, 2, 3, 0)},
		{"1:02:03", at(1, 2, 3, 0)},
		{"100:00:00", at(100, 0, 0, 0)},
		{"01:40", at(0, 1, 40, 0)},
		{"1:40", at(0, 1, 40, 0)},
		{"75:30", at(1, 15, 30, 0)},
		{"00:12:34.500", at(0, 12, 34, 500)},
		{"01:02:03.5", at(1, 2, 3, 500)},
	}
	for _, tt := range valid {
		got, err := minutes.ParseTimestamp(tt.in)
		require.NoError(t, err, tt.in)
		require.Equal(t, tt.want, got, tt.in)
	}
	for _, in := range []string{"", "12", ":12", "12:", "1:2:3:4", "00:60", "01:60:00", "00:00:60", "-00:01", " 00:01", "00:01 ", "00:01.", "00:01,500", "aa:bb", "1h2m"} {
		_, err := minutes.ParseTimestamp(in)
		require.Error(t, err, "%q", in)
	}
}

func TestTimestampRoundTrip(t *testing.T) {
	t.Parallel()
	for d := time.Duration(0); d < 30*time.Hour; d += 7*time.Minute + 13*time.Second + 250*time.Millisecond {
		s := minutes.FormatTimestamp(d)
		got, err := minutes.ParseTimestamp(s)
		require.NoError(t, err, s)
		require.Equal(t, d.Truncate(time.Second), got, s)
		require.Equal(t, s, minutes.FormatTimestamp(got))
	}
}
