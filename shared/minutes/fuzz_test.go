package minutes_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/minutes"
)

// vttSeeds are inputs worth starting a fuzz run from, besides testdata/vtt.
var vttSeeds = []string{
	"WEBVTT\n\n00:01.000 --> 00:02.000\n<v Ann>hi</v>\n",
	"\uFEFFWEBVTT - x\r\nLanguage: en\r\n\r\nNOTE a\r\nb\r\n\r\nSTYLE\r\n::cue{}\r\n\r\nid\r\n-0:0:1.0 --> 00:02.000 align:start\r\n<v.a Ann>hi &amp; <b>bye</b></v><v Bo>x\r\n",
	"WEBVTT\r\rid\r00:05.000 --> 00:04.000\r<c.x>a</c> &lt;v&gt; &#x2019; &nbsp;\r\r00:01,5 --> 0:0:3\rb <00:00:01.000>c",
	"WEBVTT\n00:01.000-->00:02.000\na < b > c <v\n\ngarbage\nid\n99:99:99.999 --> 1:00:00:00.000\n\x00\xff",
	"WEBVTT\n\n00:01.000 --> 00:02.000\nhi\n00:00.500 --> 00:03.000\nyo\n \t\nREGION\nid:r\n",
}

// textSeeds are inputs worth starting a fuzz run of ParseText from.
var textSeeds = []string{
	"Weekly sync\nMarch 10, 2026, 3:02PM\n\nPriya Raman   0:04\nMorning, everyone.\n\nTomás Ortega  1:02:10\nHi.\nMore.\n",
	"[00:00:03] Priya Raman: Morning.\n[00:00:10] Tomás: Hi\ncontinued\n[00:99] bad\n[1:00:00.5] no speaker\n",
	"Ann  0:01\n\nat 10:30\n\r\nBo\t0:09\r\nOK.\r",
	"[2026-03-10] title\n[0:05]\n[0:06] :\n[0:07] x: \x00\xff",
}

func FuzzParseVTT(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "vtt", "*.vtt"))
	require.NoError(f, err)
	for _, name := range files {
		b, err := os.ReadFile(name)
		require.NoError(f, err)
		f.Add(string(b))
		f.Add(strings.ReplaceAll(string(b), "\n", "\r\n"))
	}
	for _, s := range vttSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		lenient, err := minutes.ParseVTT(strings.NewReader(in), minutes.ParseOptions{})
		if err != nil {
			require.ErrorIs(t, err, minutes.ErrNotVTT, "a lenient parse fails only without a signature")
			return
		}
		checkTranscript(t, lenient)
		if !strings.Contains(in, "&") {
			for _, c := range lenient.Cues {
				require.NotContains(t, c.Text, "<", "a tag leaked into the text")
			}
		}
		strict, err := minutes.ParseVTT(strings.NewReader(in), minutes.ParseOptions{Strict: true})
		if err != nil {
			var pe *minutes.ParseError
			require.ErrorAs(t, err, &pe)
			require.Positive(t, pe.Line)
			return
		}
		require.Equal(t, lenient, strict, "what a strict parse accepts, a lenient one reads the same")
		require.Zero(t, strict.Skipped)
	})
}

func FuzzParseText(f *testing.F) {
	for _, s := range textSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		tr, err := minutes.ParseText(strings.NewReader(in), minutes.ParseOptions{})
		if err != nil {
			require.ErrorIs(t, err, minutes.ErrUnsupportedFormat)
			return
		}
		checkTranscript(t, tr)
		strict, err := minutes.ParseText(strings.NewReader(in), minutes.ParseOptions{Strict: true})
		if err != nil {
			var pe *minutes.ParseError
			require.ErrorAs(t, err, &pe)
			return
		}
		require.Equal(t, tr, strict)
	})
}

// checkTranscript checks the invariants the package documentation promises, and that
// Turns and Quote work on the result.
func checkTranscript(t *testing.T, tr *minutes.Transcript) {
	t.Helper()
	var speakers []string
	var longest time.Duration
	for i, c := range tr.Cues {
		require.GreaterOrEqual(t, c.Start, time.Duration(0), "cue %d starts before 0", i)
		require.GreaterOrEqual(t, c.End, c.Start, "cue %d ends before it starts", i)
		if i > 0 {
			require.GreaterOrEqual(t, c.Start, tr.Cues[i-1].Start, "cue %d out of order", i)
		}
		require.NotEmpty(t, c.Text)
		require.True(t, utf8.ValidString(c.Text), "cue %d text is not UTF-8", i)
		require.Equal(t, strings.Join(strings.Fields(c.Text), " "), c.Text, "cue %d text white space", i)
		require.True(t, utf8.ValidString(c.Speaker))
		require.Equal(t, strings.Join(strings.Fields(c.Speaker), " "), c.Speaker)
		require.True(t, utf8.ValidString(c.ID))
		require.Positive(t, c.Line)
		if c.Speaker != "" && !slices.Contains(speakers, c.Speaker) {
			speakers = append(speakers, c.Speaker)
		}
		longest = max(longest, c.End)
	}
	require.Equal(t, speakers, tr.Speakers)
	require.Equal(t, longest, tr.Duration)

	n := 0
	for _, turn := range tr.Turns() {
		require.GreaterOrEqual(t, turn.End, turn.Start)
		n += len(turn.Cues)
	}
	require.Equal(t, len(tr.Cues), n)
	_ = tr.WordCount()
	for i, c := range tr.Cues[:min(len(tr.Cues), 4)] {
		span, ok := tr.Quote(c.Text)
		if !ok {
			hasWord := strings.ContainsFunc(c.Text, func(r rune) bool {
				return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
			})
			require.False(t, hasWord, "cue %d's own text is not found", i)
			continue
		}
		require.LessOrEqual(t, span.Cue, i, "a cue's own text is found at or before it")
		require.LessOrEqual(t, span.Cue, span.LastCue)
		require.Less(t, span.LastCue, len(tr.Cues))
		require.GreaterOrEqual(t, span.Offset, 0)
		require.Less(t, span.Offset, len(tr.Cues[span.Cue].Text))
	}
}
