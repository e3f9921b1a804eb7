package generate_test

import (
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/generate"
)

func TestResolveDue(t *testing.T) {
	t.Parallel()
	// Tuesday 3 March 2026, 10:00 in London.
	london, err := time.LoadLocation("Europe/London")
	require.NoError(t, err)
	tue := time.Date(2026, 3, 3, 10, 0, 0, 0, london)
	// Friday 27 February 2026, 23:30 in Los Angeles: already Saturday in UTC, and the
	// meeting's own date must win.
	la, err := time.LoadLocation("America/Los_Angeles")
	require.NoError(t, err)
	friLate := time.Date(2026, 2, 27, 23, 30, 0, 0, la)
	sun := time.Date(2026, 3, 8, 9, 0, 0, 0, time.UTC)
	dec := time.Date(2026, 12, 30, 9, 0, 0, 0, time.UTC)

	cases := []struct {
		name, text string
		meeting    time.Time
		date       string // "" means no phrase
		phrase     string
	}{
		{"by weekday", "I'll send the deck by Friday.", tue, "2026-03-06", "by Friday"},
		{"weekday same as meeting day is next week", "Let's meet on Tuesday.", tue, "2026-03-10", "on Tuesday"},
		{"this weekday", "Can you do it this Thursday?", tue, "2026-03-05", "this Thursday"},
		{"this weekday already past", "I'll do it this Monday", tue, "2026-03-09", "this Monday"},
		{"next weekday is next week's", "I'll have it next Friday", tue, "2026-03-13", "next Friday"},
		{"last weekday is not a due date", "We shipped it last Friday.", tue, "", ""},
		{"tomorrow", "I'll send you the finance bullets tomorrow.", tue, "2026-03-04", "tomorrow"},
		{"tomorrow morning", "I'll call their CFO tomorrow morning.", tue, "2026-03-04", "tomorrow morning"},
		{"weekday morning", "I'll cut the RC Friday morning.", tue, "2026-03-06", "Friday morning"},
		{"day after tomorrow", "by the day after tomorrow", tue, "2026-03-05", "by the day after tomorrow"},
		{"today", "I'll route the alerts today.", tue, "2026-03-03", "today"},
		{"end of day", "Send it by end of day", tue, "2026-03-03", "by end of day"},
		{"EOD", "EOD please", tue, "2026-03-03", "EOD"},
		{"end of the week", "by the end of the week", tue, "2026-03-06", "by the end of the week"},
		{"end of week on a weekend", "by end of week", sun, "2026-03-13", "by end of week"},
		{"this week", "I'll do that this week.", tue, "2026-03-06", "this week"},
		{"next week", "before the first cutover next week", tue, "2026-03-13", "next week"},
		{"end of next week", "live by the end of next week", tue, "2026-03-13", "by the end of next week"},
		{"early next week", "early next week works", tue, "2026-03-09", "early next week"},
		{"end of month", "at the end of the month", tue, "2026-03-31", "at the end of the month"},
		{"end of month, short", "by end of month", tue, "2026-03-31", "by end of month"},
		{"end of next month", "end of next month", tue, "2026-04-30", "end of next month"},
		{"next month in December", "sometime next month", dec, "2027-01-31", "next month"},
		{"start of next month", "at the start of next month", tue, "2026-04-01", "at the start of next month"},
		{"end of quarter", "by the end of the quarter", tue, "2026-03-31", "by the end of the quarter"},
		{"end of year", "before the end of the year", tue, "2026-12-31", "before the end of the year"},
		{"in days", "in 3 days", tue, "2026-03-06", "in 3 days"},
		{"in two weeks", "within two weeks", tue, "2026-03-17", "within two weeks"},
		{"in a couple of days", "in a couple of days", tue, "2026-03-05", "in a couple of days"},
		{"day month", "on 3 March", friLate, "2026-03-03", "on 3 March"},
		{"ordinal of month", "by the 20th of March", tue, "2026-03-20", "by the 20th of March"},
		{"month day", "Submit on March 17th", tue, "2026-03-17", "on March 17th"},
		{"month day past rolls to next year", "by 2 March", tue, "2027-03-02", "by 2 March"},
		{"month day with year", "March 3, 2027", time.Time{}, "2027-03-03", "March 3, 2027"},
		{"day month year", "17 March 2026", time.Time{}, "2026-03-17", "17 March 2026"},
		{"ISO", "the rubric by 2026-03-20, and", tue, "2026-03-20", "by 2026-03-20"},
		{"ISO without meeting date", "due 2026-03-20", time.Time{}, "2026-03-20", "due 2026-03-20"},
		{"ISO impossible", "by 2026-02-30", tue, "", ""},
		{"impossible day month", "on 30 February", tue, "", ""},
		{"leap day next leap year", "on 29 February", tue, "2028-02-29", "on 29 February"},
		{"the 15th", "by the 15th", tue, "2026-03-15", "by the 15th"},
		{"the 2nd already past", "by the 2nd", tue, "2026-04-02", "by the 2nd"},
		{"relative needs a meeting date", "by Friday", time.Time{}, "", ""},
		{"month as modal verb", "I may have it", tue, "", ""},
		{"plain number", "We have 3 options", tue, "", ""},
		{"meeting date in its own zone", "tomorrow", friLate, "2026-02-28", "tomorrow"},
		{"first phrase wins", "tomorrow or Friday", tue, "2026-03-04", "tomorrow"},
		{"curly apostrophe text", "I’ll send it by Friday", tue, "2026-03-06", "by Friday"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, ok := generate.ResolveDue(tt.text, tt.meeting)
			if tt.date == "" {
				require.False(t, ok, "got %+v", d)
				return
			}
			require.True(t, ok)
			require.Equal(t, tt.date, d.Date)
			require.Equal(t, tt.phrase, d.Phrase)
			require.Equal(t, tt.phrase, tt.text[d.Start:d.End])
		})
	}
}

func FuzzResolveDue(f *testing.F) {
	for _, s := range []string{
		"I'll send the deck by Friday.", "end of the month", "next week", "on 3 March", "March 3rd, 2027",
		"2026-03-20", "2026-02-30", "in a couple of days", "by the 31st", "the day after tomorrow",
		"29 February", "next Friday morning", "", "-", "9999-99-99", "in 999 days", "the 0th", "\xff\xfe by Friday",
	} {
		f.Add(s, int64(1772532000)) // 2026-03-03T10:00:00Z
	}
	f.Fuzz(func(t *testing.T, text string, unix int64) {
		// Keep the meeting within years 1..9999 so dates format as YYYY-MM-DD.
		meeting := time.Unix(unix%(1<<37), 0).UTC()
		if meeting.Year() < 1 || meeting.Year() > 9998 {
			meeting = time.Time{}
		}
		d, ok := generate.ResolveDue(text, meeting)
		if !ok {
			return
		}
		if _, err := time.Parse(time.DateOnly, d.Date); err != nil {
			t.Fatalf("date %q: %v", d.Date, err)
		}
		if d.Start < 0 || d.End > len(text) || d.Start >= d.End || text[d.Start:d.End] != d.Phrase {
			t.Fatalf("phrase %q at [%d,%d) of %q", d.Phrase, d.Start, d.End, text)
		}
		if utf8.ValidString(text) && !utf8.ValidString(d.Phrase) {
			t.Fatalf("phrase %q is not valid UTF-8", d.Phrase)
		}
	})
}
