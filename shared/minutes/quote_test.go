package minutes_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/minutes"
)

func TestQuote(t *testing.T) {
	t.Parallel()
	tr := parseFixture(t, "teams-example-15-cues.vtt")
	found := []struct {
		name  string
		quote string
		from  string // the text where the quote starts in Cues[want.Cue].Text: gives want.Offset
		want  minutes.Span
	}{
		{name: "verbatim within one cue", from: "Decision", quote: "Decision: we ship the beta with the retry in place.",
			want: minutes.Span{Cue: 5, LastCue: 5, Start: at(0, 0, 37, 900), End: at(0, 0, 41, 320), Speaker: "Priya Raman"}},
		{name: "span across two cues", from: "a release", quote: "a release candidate on the twenty-fourth, assuming QA gets two full days",
			want: minutes.Span{Cue: 11, LastCue: 12, Start: at(0, 1, 17, 400), End: at(0, 1, 28, 600), Speaker: "Tomás Ortega"}},
		{name: "case, spacing and punctuation ignored", from: "Decision", quote: "  DECISION —   we ship  the Beta, with the retry in place!! ",
			want: minutes.Span{Cue: 5, LastCue: 5, Start: at(0, 0, 37, 900), End: at(0, 0, 41, 320), Speaker: "Priya Raman"}},
		{name: "curly apostrophe and line breaks", from: "I'll add", quote: "I’ll add the retry this week\nand open a ticket",
			want: minutes.Span{Cue: 6, LastCue: 6, Start: at(0, 0, 41, 900), End: at(0, 0, 49, 640), Speaker: "Tomás Ortega"}},
		{name: "decoded ampersand", from: "Legal", quote: "Legal & brand need to sign off",
			want: minutes.Span{Cue: 7, LastCue: 7, Start: at(0, 0, 50, 300), End: at(0, 0, 57, 810), Speaker: "Mei-Ling Chen"}},
		{name: "hyphen as a space", from: "the twenty-fourth", quote: "the twenty fourth assuming",
			want: minutes.Span{Cue: 11, LastCue: 12, Start: at(0, 1, 17, 400), End: at(0, 1, 28, 600), Speaker: "Tomás Ortega"}},
		{name: "across speakers", from: "with it.", quote: "with it. Then we lock the beta",
			want: minutes.Span{Cue: 12, LastCue: 13, Start: at(0, 1, 24, 150), End: at(0, 1, 36, 730), Speaker: "Tomás Ortega"}},
		{name: "first occurrence", from: "the beta", quote: "the beta",
			want: minutes.Span{Cue: 0, LastCue: 0, Start: at(0, 0, 4, 120), End: at(0, 0, 9, 860), Speaker: "Priya Raman"}},
	}
	for _, tt := range found {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want := tt.want
			want.Offset = strings.Index(tr.Cues[want.Cue].Text, tt.from)
			require.GreaterOrEqual(t, want.Offset, 0)
			got, ok := tr.Quote(tt.quote)
			require.True(t, ok)
			require.Equal(t, want, got)
		})
	}

	notFound := []struct{ name, quote string }{
		{"paraphrase", "We decided to ship the beta with a retry."},
		{"close paraphrase", "Decision: we will ship the beta with the retry in place."},
		{"reordered", "in place with the retry"},
		{"part of a word", "hip the bet"},
		{"expanded contraction", "I will add the retry this week"},
		{"accent dropped", "Tomas, is two percent a blocker"},
		{"empty", ""},
		{"punctuation only", " -- ... !"},
		{"longer than the transcript", tr.Cues[0].Text + " " + tr.Cues[0].Text},
	}
	for _, tt := range notFound {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			t.Parallel()
			_, ok := tr.Quote(tt.quote)
			require.False(t, ok)
		})
	}
}

func TestQuoteNormalisation(t *testing.T) {
	t.Parallel()
	tr := &minutes.Transcript{Cues: []minutes.Cue{
		{Text: "Budget is $1,000.50 for Q3; don't exceed it."},
		{Text: "Ça va? ÉTÉ 2026."},
	}}
	for _, q := range []string{
		"$1000.50 for q3",
		"1,000.50",
		"dont exceed",
		"don't exceed it",
		"ça va été 2026",
		"Q3: don’t",
	} {
		_, ok := tr.Quote(q)
		require.True(t, ok, "%q", q)
	}
	for _, q := range []string{"1 000", "don t", "1000 50 for", "q 3"} {
		_, ok := tr.Quote(q)
		require.False(t, ok, "%q", q)
	}
}
