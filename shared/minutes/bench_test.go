package minutes_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/minutes"
)

// twoHourVTT generates, deterministically, a two-hour Teams transcript in the shape of the
// reference example: 1,800 cues by 4 speakers, about 18,000 words, "<guid>/<n>-<m>" cue
// ids, one <v> span per cue, long utterances split across cues ("…/42-0", "…/42-1"), and
// now and then a character reference.
func twoHourVTT() []byte {
	speakers := []string{"Priya Raman", "Tomás Ortega", "Mei-Ling Chen", "O'Connor, Siobhan (Guest)"}
	words := strings.Fields(`the a to and we of it that is for on this in I you be have can
		will so just think about with need what our if do not it's we're I'll they
		release beta sign-up flow email verification service retry backoff root cause
		ticket owner due Thursday Friday design empty states Figma logo brand legal
		approval asset Spanish English copy GA date candidate QA checklist launch
		customer onboarding revamp metrics dashboard budget quarter roadmap priority
		blocker risk dependency migration database latency percent requests errors
		deploy staging production review feedback deadline sprint backlog estimate
		update follow-up action decision agreed sounds good okay right yes no maybe
		next week today tomorrow morning afternoon meeting team plan scope`)
	rng := rand.New(rand.NewPCG(2026, 311))
	var b bytes.Buffer
	b.WriteString("WEBVTT\n\n")
	const guid = "9e1b7c42-5d3a-4f8e-b6c0-7a2d4e9f1c35"
	at := 3 * time.Second
	speaker, turn, part := 0, 10, 0
	for i := range 1800 {
		if i > 0 && rng.IntN(10) < 6 { // a new turn, by someone else
			speaker = (speaker + 1 + rng.IntN(len(speakers)-1)) % len(speakers)
			turn++
			part = 0
		} else if i > 0 {
			part++
		}
		n := 6 + rng.IntN(9) // 6 to 14 words, 10 on average
		end := at + time.Duration(n)*380*time.Millisecond
		fmt.Fprintf(&b, "%s/%d-%d\n%s --> %s\n<v %s>", guid, turn, part, vttTime(at), vttTime(end), speakers[speaker])
		for w := range n {
			if w > 0 {
				b.WriteByte(' ')
			}
			word := words[rng.IntN(len(words))]
			if w == 0 {
				word = strings.ToUpper(word[:1]) + word[1:]
			}
			b.WriteString(word)
			if rng.IntN(40) == 0 {
				b.WriteString(" &amp;")
			}
		}
		b.WriteString(".</v>\n\n")
		at = end + time.Duration(rng.IntN(200))*time.Millisecond
	}
	return b.Bytes()
}

// vttTime formats d as hh:mm:ss.ttt.
func vttTime(d time.Duration) string {
	ms := d.Milliseconds()
	return fmt.Sprintf("%02d:%02d:%02d.%03d", ms/3_600_000, ms/60_000%60, ms/1000%60, ms%1000)
}

func TestTwoHourVTT(t *testing.T) {
	t.Parallel()
	in := twoHourVTT()
	require.Equal(t, in, twoHourVTT(), "deterministic")
	tr, err := minutes.ParseVTT(bytes.NewReader(in), minutes.ParseOptions{Strict: true})
	require.NoError(t, err)
	require.Len(t, tr.Cues, 1800)
	require.Len(t, tr.Speakers, 4)
	require.InDelta(t, 18_000, tr.WordCount(), 500)
	require.InDelta(t, float64(2*time.Hour), float64(tr.Duration), float64(5*time.Minute))
	t.Logf("%d bytes, %d cues, %d turns, %d words, %s", len(in), len(tr.Cues), len(tr.Turns()), tr.WordCount(), tr.Duration)
}

func BenchmarkParseVTT2h(b *testing.B) {
	in := twoHourVTT()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		tr, err := minutes.ParseVTT(bytes.NewReader(in), minutes.ParseOptions{})
		if err != nil || len(tr.Cues) != 1800 {
			b.Fatalf("parse: %v", err)
		}
	}
}

func BenchmarkTurns2h(b *testing.B) {
	tr, err := minutes.ParseVTT(bytes.NewReader(twoHourVTT()), minutes.ParseOptions{})
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		_ = tr.Turns()
	}
}

func BenchmarkQuote2h(b *testing.B) {
	tr, err := minutes.ParseVTT(bytes.NewReader(twoHourVTT()), minutes.ParseOptions{})
	require.NoError(b, err)
	last := tr.Cues[len(tr.Cues)-1].Text
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := tr.Quote(last); !ok {
			b.Fatal("not found")
		}
	}
}
