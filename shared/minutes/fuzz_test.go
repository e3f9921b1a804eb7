package minutes_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
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
			if !errors.Is(err, minutes.ErrNotVTT) {
				t.Fatalf("a lenient parse fails only without a signature, not with %v", err)
			}
			return
		}
		checkTranscript(t, lenient)
		if !strings.Contains(in, "&") {
			for i, c := range lenient.Cues {
				if strings.Contains(c.Text, "<") {
					t.Fatalf("cue %d: a tag leaked into the text %q", i, c.Text)
				}
			}
		}
		strict, err := minutes.ParseVTT(strings.NewReader(in), minutes.ParseOptions{Strict: true})
		if err != nil {
			if pe := (*minutes.ParseError)(nil); !errors.As(err, &pe) || pe.Line <= 0 {
				t.Fatalf("strict parse: %v, want a *ParseError with a line", err)
			}
			return
		}
		if !reflect.DeepEqual(lenient, strict) || strict.Skipped != 0 {
			t.Fatalf("what a strict parse accepts, a lenient one must read the same:\n%+v\n%+v", lenient, strict)
		}
	})
}

func FuzzParseText(f *testing.F) {
	for _, s := range textSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		tr, err := minutes.ParseText(strings.NewReader(in), minutes.ParseOptions{})
		if err != nil {
			if !errors.Is(err, minutes.ErrUnsupportedFormat) {
				t.Fatalf("a lenient parse fails only on unrecognised text, not with %v", err)
			}
			return
		}
		checkTranscript(t, tr)
		strict, err := minutes.ParseText(strings.NewReader(in), minutes.ParseOptions{Strict: true})
		if err != nil {
			if pe := (*minutes.ParseError)(nil); !errors.As(err, &pe) || pe.Line <= 0 {
				t.Fatalf("strict parse: %v, want a *ParseError with a line", err)
			}
			return
		}
		if !reflect.DeepEqual(tr, strict) || strict.Skipped != 0 {
			t.Fatalf("what a strict parse accepts, a lenient one must read the same:\n%+v\n%+v", tr, strict)
		}
	})
}

// checkTranscript checks the invariants the package documentation promises, and that
// Turns and Quote work on the result. It avoids require so that fuzzing runs fast.
func checkTranscript(t *testing.T, tr *minutes.Transcript) {
	t.Helper()
	var speakers []string
	var longest time.Duration
	for i, c := range tr.Cues {
		switch {
		case c.Start < 0 || c.End < c.Start:
			t.Fatalf("cue %d: start %v, end %v", i, c.Start, c.End)
		case i > 0 && c.Start < tr.Cues[i-1].Start:
			t.Fatalf("cue %d out of order", i)
		case c.Text == "" || !utf8.ValidString(c.Text) || strings.Join(strings.Fields(c.Text), " ") != c.Text:
			t.Fatalf("cue %d text %q: empty, not UTF-8 or not single-spaced", i, c.Text)
		case !utf8.ValidString(c.Speaker) || strings.Join(strings.Fields(c.Speaker), " ") != c.Speaker:
			t.Fatalf("cue %d speaker %q: not UTF-8 or not single-spaced", i, c.Speaker)
		case !utf8.ValidString(c.ID):
			t.Fatalf("cue %d id %q is not UTF-8", i, c.ID)
		case c.Line <= 0:
			t.Fatalf("cue %d line %d", i, c.Line)
		}
		if c.Speaker != "" && !slices.Contains(speakers, c.Speaker) {
			speakers = append(speakers, c.Speaker)
		}
		longest = max(longest, c.End)
	}
	if !slices.Equal(speakers, tr.Speakers) {
		t.Fatalf("Speakers %q, want %q", tr.Speakers, speakers)
	}
	if longest != tr.Duration {
		t.Fatalf("Duration %v, want %v", tr.Duration, longest)
	}

	n := 0
	for i, turn := range tr.Turns() {
		if turn.End < turn.Start || len(turn.Cues) == 0 {
			t.Fatalf("turn %d: %+v", i, turn)
		}
		n += len(turn.Cues)
	}
	if n != len(tr.Cues) {
		t.Fatalf("turns hold %d cues, want %d", n, len(tr.Cues))
	}
	_ = tr.WordCount()
	for i, c := range tr.Cues[:min(len(tr.Cues), 4)] {
		span, ok := tr.Quote(c.Text)
		if !ok {
			if strings.ContainsFunc(c.Text, func(r rune) bool {
				return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
			}) {
				t.Fatalf("cue %d's own text %q is not found", i, c.Text)
			}
			continue
		}
		if span.Cue > i || span.LastCue < span.Cue || span.LastCue >= len(tr.Cues) ||
			span.Offset < 0 || span.Offset >= len(tr.Cues[span.Cue].Text) {
			t.Fatalf("cue %d's own text found at %+v", i, span)
		}
	}
}
