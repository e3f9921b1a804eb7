package generate_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/generate"
	"github.com/meetingminutes/minutes/shared/minutes"
)

// longMeeting builds a two-hour, ~18,000-word Teams transcript (the size of the longest
// real meeting the issue names) by cycling through the fixture meetings' cues, and returns
// it as WebVTT text.
func longMeeting(tb testing.TB) string {
	tb.Helper()
	var cues []minutes.Cue
	for _, n := range meetingNames {
		cues = append(cues, loadMeeting(tb, n).Transcript.Cues...)
	}
	var b strings.Builder
	b.WriteString("WEBVTT\n\n")
	const total = 2 * time.Hour
	words := 0
	var at time.Duration
	for i := 0; words < 18000; i++ {
		c := cues[i%len(cues)]
		n := len(strings.Fields(c.Text))
		words += n
		d := time.Duration(n) * 380 * time.Millisecond // ~158 words a minute
		fmt.Fprintf(&b, "meeting/%d-0\n%s --> %s\n<v %s>%s</v>\n\n", i, vttTime(at), vttTime(at+d), c.Speaker, c.Text)
		at += d + 20*time.Millisecond
	}
	require.Less(tb, at, total+5*time.Minute)
	require.Greater(tb, at, total-15*time.Minute)
	return b.String()
}

func vttTime(d time.Duration) string {
	ms := d.Milliseconds()
	return fmt.Sprintf("%02d:%02d:%02d.%03d", ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
}

// BenchmarkOffline is offline generation on a two-hour transcript; bytes are the WebVTT
// input, so MB/s is transcript throughput.
func BenchmarkOffline(b *testing.B) {
	vtt := longMeeting(b)
	tr, err := minutes.ParseVTT(strings.NewReader(vtt), minutes.ParseOptions{})
	require.NoError(b, err)
	in := generate.Input{Transcript: tr, Subject: "Two-hour planning", Start: tuesday}
	b.SetBytes(int64(len(vtt)))
	b.ReportAllocs()
	b.ReportMetric(float64(tr.WordCount()), "words")
	for b.Loop() {
		if _, err := (&generate.Offline{}).Generate(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseAndOffline includes parsing the WebVTT, as `handler minutes` does.
func BenchmarkParseAndOffline(b *testing.B) {
	vtt := longMeeting(b)
	b.SetBytes(int64(len(vtt)))
	b.ReportAllocs()
	for b.Loop() {
		tr, err := minutes.ParseVTT(strings.NewReader(vtt), minutes.ParseOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := (&generate.Offline{}).Generate(context.Background(), generate.Input{Transcript: tr, Start: tuesday}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTextRank is the baseline on the same transcript, for comparison.
func BenchmarkTextRank(b *testing.B) {
	tr, err := minutes.ParseVTT(strings.NewReader(longMeeting(b)), minutes.ParseOptions{})
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		generate.TextRank(tr, 250)
	}
}
