package minutes_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/minutes"
)

func TestParseText(t *testing.T) {
	t.Parallel()
	sec := func(n int64) time.Duration { return time.Duration(n) * time.Second }
	c := func(line int, speaker, text string, start, end time.Duration) minutes.Cue {
		return minutes.Cue{Speaker: speaker, Text: text, Start: start, End: end, Line: line}
	}
	cases := []struct {
		name    string
		in      string
		strict  bool
		want    []minutes.Cue
		skipped int
		err     error
		errLine int
	}{
		{name: "blocks with a Teams preamble",
			in: "Weekly sync-20260310_150241-Meeting Recording\nMarch 10, 2026, 3:02PM\n1m 40s\n\n" +
				"Priya Raman   0:04\nMorning, everyone.\n\nTomás Ortega   0:10\nBackend is merged.\nThe service still fails.\n",
			want: []minutes.Cue{
				c(5, "Priya Raman", "Morning, everyone.", sec(4), sec(10)),
				c(8, "Tomás Ortega", "Backend is merged. The service still fails.", sec(10), sec(10)+7*400*time.Millisecond),
			}},
		{name: "blocks with hours, tabs and CRLF",
			in: "Smith, Jane (Guest)\t1:02:10\r\nHello there.\r\n\r\nBo  1:03:00 \r\nHi.\r\n",
			want: []minutes.Cue{
				c(1, "Smith, Jane (Guest)", "Hello there.", 3730*time.Second, 3780*time.Second),
				c(4, "Bo", "Hi.", 3780*time.Second, 3780*time.Second+400*time.Millisecond),
			}},
		{name: "blocks: a paragraph after a blank line continues the cue",
			in: "Ann  0:01\nFirst paragraph.\n\nSecond paragraph.\n\nBo  0:09\nOK.",
			want: []minutes.Cue{
				c(1, "Ann", "First paragraph. Second paragraph.", sec(1), sec(9)),
				c(6, "Bo", "OK.", sec(9), sec(9)+400*time.Millisecond),
			}},
		{name: "blocks: a time inside the text is text",
			in: "Ann  0:01\nLet's meet\nat 10:30\n\nBo  0:09\nOK.",
			want: []minutes.Cue{
				c(1, "Ann", "Let's meet at 10:30", sec(1), sec(9)),
				c(5, "Bo", "OK.", sec(9), sec(9)+400*time.Millisecond),
			}},
		{name: "blocks: a speaker-shaped line with no text under it is text",
			in: "Ann  0:01\nWe start\n\nat 10:30\n\nBo  0:09\nOK.",
			want: []minutes.Cue{
				c(1, "Ann", "We start at 10:30", sec(1), sec(9)),
				c(6, "Bo", "OK.", sec(9), sec(9)+400*time.Millisecond),
			}},
		{name: "blocks: out of order starts are sorted",
			in: "Ann  0:20\nlater\n\nBo  0:05\nearlier",
			want: []minutes.Cue{
				c(4, "Bo", "earlier", sec(5), sec(20)),
				c(1, "Ann", "later", sec(20), sec(20)+400*time.Millisecond),
			}},
		{name: "lines",
			in: "Weekly sync\n[00:00:03] Priya Raman: Morning, everyone.\n[00:00:10] Tomás Ortega: Backend is merged.\nThe service still fails.\n\n[00:01:02.5] no speaker here\n",
			want: []minutes.Cue{
				c(2, "Priya Raman", "Morning, everyone.", sec(3), sec(10)),
				c(3, "Tomás Ortega", "Backend is merged. The service still fails.", sec(10), 62500*time.Millisecond),
				c(6, "", "no speaker here", 62500*time.Millisecond, 62500*time.Millisecond+3*400*time.Millisecond),
			}},
		{name: "lines: a time in the text does not make a speaker",
			in: "[0:05] We meet at 10:30 to agree",
			want: []minutes.Cue{
				c(1, "", "We meet at 10:30 to agree", sec(5), sec(5)+6*400*time.Millisecond),
			}},
		{name: "lines: a label reads as a speaker, as documented",
			in: "[00:01:02] Decision: we ship",
			want: []minutes.Cue{
				c(1, "Decision", "we ship", sec(62), sec(62)+2*400*time.Millisecond),
			}},
		{name: "lines: a dated title before the first cue is preamble",
			in: "[2026-03-10] Weekly sync\n[00:00:03] Ann: hi",
			want: []minutes.Cue{
				c(2, "Ann", "hi", sec(3), sec(3)+400*time.Millisecond),
			}},
		{name: "lines: unreadable offset skipped",
			in:   "[00:00:03] Ann: hi\n[00:99] Bo: lost\n[00:00:09] Bo: yo",
			want: []minutes.Cue{c(1, "Ann", "hi", sec(3), sec(9)), c(3, "Bo", "yo", sec(9), sec(9)+400*time.Millisecond)}, skipped: 1},
		{name: "lines: unreadable offset, strict", strict: true,
			in: "[00:00:03] Ann: hi\n[00:99] Bo: lost\n[00:00:09] Bo: yo", errLine: 2},
		{name: "lines: empty cues dropped",
			in:   "[00:00:03] Ann:\n[00:00:09] Bo: yo",
			want: []minutes.Cue{c(2, "Bo", "yo", sec(9), sec(9)+400*time.Millisecond)}},
		{name: "nothing recognisable", in: "Dear all,\nplease find the notes attached.\n", err: minutes.ErrUnsupportedFormat},
		{name: "empty", in: "", err: minutes.ErrUnsupportedFormat},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := minutes.ParseText(strings.NewReader(tt.in), minutes.ParseOptions{Strict: tt.strict})
			switch {
			case tt.err != nil:
				require.ErrorIs(t, err, tt.err)
				return
			case tt.errLine != 0:
				var pe *minutes.ParseError
				require.ErrorAs(t, err, &pe)
				require.Equal(t, tt.errLine, pe.Line)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got.Cues)
			require.Equal(t, tt.skipped, got.Skipped)
			require.Equal(t, got.Cues[len(got.Cues)-1].End, got.Duration)
		})
	}
}

// The §3.4 example, written out in each text layout, reads back as the same speakers and
// texts at whole-second starts.
func TestParseTextReferenceExample(t *testing.T) {
	t.Parallel()
	vtt := parseFixture(t, "teams-example-15-cues.vtt")
	var blocks, lines strings.Builder
	blocks.WriteString("Onboarding revamp-20260310_150241-Meeting Recording\nMarch 10, 2026, 3:02PM\n1m 40s\n")
	for _, c := range vtt.Cues {
		s := int(c.Start / time.Second)
		fmt.Fprintf(&blocks, "\n%s   %d:%02d\n%s\n", c.Speaker, s/60, s%60, c.Text)
		fmt.Fprintf(&lines, "[%s] %s: %s\n", minutes.FormatTimestamp(c.Start), c.Speaker, c.Text)
	}
	for name, in := range map[string]string{"blocks": blocks.String(), "lines": lines.String()} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := minutes.ParseText(strings.NewReader(in), minutes.ParseOptions{Strict: true})
			require.NoError(t, err)
			require.Len(t, got.Cues, 15)
			require.Equal(t, vtt.Speakers, got.Speakers)
			for i, c := range got.Cues {
				require.Equal(t, vtt.Cues[i].Speaker, c.Speaker)
				require.Equal(t, vtt.Cues[i].Text, c.Text)
				require.Equal(t, vtt.Cues[i].Start.Truncate(time.Second), c.Start)
			}
			require.Len(t, got.Turns(), 14)
		})
	}
}

func TestParseTextTooLarge(t *testing.T) {
	t.Parallel()
	_, err := minutes.ParseText(strings.NewReader("[00:00:03] Ann: "+strings.Repeat("a", 100)), minutes.ParseOptions{MaxBytes: 50})
	require.ErrorIs(t, err, minutes.ErrTooLarge)
}

func TestParse(t *testing.T) {
	t.Parallel()
	vtt := withCue("<v Ann>hi")
	text := "[00:00:01] Ann: hi"
	cases := []struct {
		name, file, in string
		err            error
	}{
		{name: ".vtt", file: "transcript.vtt", in: vtt},
		{name: "extension case ignored", file: "T.VTT", in: vtt},
		{name: ".vtt that is not WebVTT", file: "transcript.vtt", in: text, err: minutes.ErrNotVTT},
		{name: ".txt", file: "transcript.txt", in: text},
		{name: ".txt holding WebVTT", file: "transcript.txt", in: vtt},
		{name: ".docx", file: "Meeting transcript.docx", in: "PK\x03\x04...", err: minutes.ErrUnsupportedFormat},
		{name: "stdin sniffed as WebVTT", file: "-", in: vtt},
		{name: "stdin sniffed as WebVTT after a BOM", file: "-", in: "\uFEFF" + vtt},
		{name: "stdin sniffed as text", file: "-", in: text},
		{name: "no extension, ZIP", file: "blob", in: "PK\x03\x04\x14\x00", err: minutes.ErrUnsupportedFormat},
		{name: "no extension, PDF", file: "blob", in: "%PDF-1.7\n", err: minutes.ErrUnsupportedFormat},
		{name: "unknown extension, neither", file: "notes.md", in: "# Notes\n", err: minutes.ErrUnsupportedFormat},
		{name: "short input", file: "-", in: "W", err: minutes.ErrUnsupportedFormat},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := minutes.Parse(tt.file, strings.NewReader(tt.in))
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				require.Contains(t, err.Error(), tt.file)
				return
			}
			require.NoError(t, err)
			require.Equal(t, []string{"Ann"}, got.Speakers)
			require.Equal(t, "hi", got.Cues[0].Text)
		})
	}
}
