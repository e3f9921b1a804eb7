package minutes_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/minutes"
)

// The fixtures in testdata/vtt are copied from ../shared/reference/graph.md §3.3–§3.5; see
// testdata/vtt/README.md.

const teamsGUID = "4f2d8c1a-7b3e-4e9f-a0c6-2d5b8e1f7a93/"

// readFixture returns a file from testdata/vtt.
func readFixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "vtt", name))
	require.NoError(t, err)
	return string(b)
}

// parseFixture parses a file from testdata/vtt, leniently, and checks it needed no repair.
func parseFixture(t testing.TB, name string) *minutes.Transcript {
	t.Helper()
	tr, err := minutes.ParseVTT(strings.NewReader(readFixture(t, name)), minutes.ParseOptions{})
	require.NoError(t, err)
	require.Zero(t, tr.Skipped)
	return tr
}

// at is h:m:s.ms as a duration.
func at(h, m, s, msec int) time.Duration {
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second + time.Duration(msec)*time.Millisecond
}

// exampleCues is the §3.4 example as it must parse: every id, time, speaker and text.
var exampleCues = []minutes.Cue{
	{ID: teamsGUID + "11-0", Start: at(0, 0, 4, 120), End: at(0, 0, 9, 860), Speaker: "Priya Raman", Line: 3,
		Text: "Morning, everyone. Let's keep this to twenty minutes: onboarding revamp status, then the beta date."},
	{ID: teamsGUID + "12-0", Start: at(0, 0, 10, 400), End: at(0, 0, 16, 50), Speaker: "Tomás Ortega", Line: 7,
		Text: "Backend for the new sign-up flow is merged. The email verification service still fails about two percent of requests."},
	{ID: teamsGUID + "13-0", Start: at(0, 0, 16, 700), End: at(0, 0, 21, 380), Speaker: "Mei-Ling Chen", Line: 11,
		Text: "Design is done except the empty states. I'll have those in Figma by Thursday."},
	{ID: teamsGUID + "14-0", Start: at(0, 0, 22, 10), End: at(0, 0, 28, 940), Speaker: "Priya Raman", Line: 15,
		Text: "Tomás, is two percent a blocker for the beta, or can we ship with a retry?"},
	{ID: teamsGUID + "15-0", Start: at(0, 0, 29, 500), End: at(0, 0, 37, 200), Speaker: "Tomás Ortega", Line: 19,
		Text: "A retry with backoff covers most of it. I'd rather fix the root cause, but it won't block the beta."},
	{ID: teamsGUID + "16-0", Start: at(0, 0, 37, 900), End: at(0, 0, 41, 320), Speaker: "Priya Raman", Line: 23,
		Text: "OK. Decision: we ship the beta with the retry in place."},
	{ID: teamsGUID + "17-0", Start: at(0, 0, 41, 900), End: at(0, 0, 49, 640), Speaker: "Tomás Ortega", Line: 27,
		Text: "I'll add the retry this week and open a ticket for the root cause. Owner me, due the twentieth."},
	{ID: teamsGUID + "18-0", Start: at(0, 0, 50, 300), End: at(0, 0, 57, 810), Speaker: "Mei-Ling Chen", Line: 31,
		Text: "One concern: the welcome email still uses the old logo. Legal & brand need to sign off on the new one."},
	{ID: teamsGUID + "19-0", Start: at(0, 0, 58, 400), End: at(0, 1, 3, 20), Speaker: "Priya Raman", Line: 35,
		Text: "I'll chase brand approval today and send you the final asset."},
	{ID: teamsGUID + "20-0", Start: at(0, 1, 3, 700), End: at(0, 1, 10, 480), Speaker: "Mei-Ling Chen", Line: 39,
		Text: "Great. Should the beta include the Spanish copy, or English only?"},
	{ID: teamsGUID + "21-0", Start: at(0, 1, 11, 50), End: at(0, 1, 16, 900), Speaker: "Priya Raman", Line: 43,
		Text: "English only for the beta. Spanish goes into the GA release."},
	{ID: teamsGUID + "22-0", Start: at(0, 1, 17, 400), End: at(0, 1, 24, 150), Speaker: "Tomás Ortega", Line: 47,
		Text: "Works for me. That leaves the date: I can have a release candidate on the twenty-fourth,"},
	{ID: teamsGUID + "22-1", Start: at(0, 1, 24, 150), End: at(0, 1, 28, 600), Speaker: "Tomás Ortega", Line: 51,
		Text: "assuming QA gets two full days with it."},
	{ID: teamsGUID + "23-0", Start: at(0, 1, 29, 200), End: at(0, 1, 36, 730), Speaker: "Priya Raman", Line: 55,
		Text: "Then we lock the beta for Tuesday the twenty-seventh. Mei-Ling, can you update the launch checklist?"},
	{ID: teamsGUID + "24-0", Start: at(0, 1, 37, 300), End: at(0, 1, 40, 80), Speaker: "Mei-Ling Chen", Line: 59,
		Text: "Yes, I'll update it after this call."},
}

func TestReferenceExample(t *testing.T) {
	t.Parallel()
	src := readFixture(t, "teams-example-15-cues.vtt")

	t.Run("15 cues, 3 speakers, exact times and texts", func(t *testing.T) {
		t.Parallel()
		tr := parseFixture(t, "teams-example-15-cues.vtt")
		require.Equal(t, exampleCues, tr.Cues)
		require.Equal(t, []string{"Priya Raman", "Tomás Ortega", "Mei-Ling Chen"}, tr.Speakers)
		require.Equal(t, at(0, 1, 40, 80), tr.Duration)
		require.Equal(t, "", tr.Language)
		require.Equal(t, 214, tr.WordCount()) // wc -w says 215: it counts the lone "&"
	})
	t.Run("parses the same in strict mode", func(t *testing.T) {
		t.Parallel()
		tr, err := minutes.ParseVTT(strings.NewReader(src), minutes.ParseOptions{Strict: true})
		require.NoError(t, err)
		require.Equal(t, exampleCues, tr.Cues)
	})
	t.Run("parses the same with CRLF, CR and a BOM", func(t *testing.T) {
		t.Parallel()
		for _, in := range []string{
			strings.ReplaceAll(src, "\n", "\r\n"),
			strings.ReplaceAll(src, "\n", "\r"),
			"\uFEFF" + src,
		} {
			tr, err := minutes.ParseVTT(strings.NewReader(in), minutes.ParseOptions{Strict: true})
			require.NoError(t, err)
			require.Equal(t, exampleCues, tr.Cues)
			// A CR as the last byte of a read must wait for the next read: it may be CRLF.
			tr, err = minutes.ParseVTT(iotest.OneByteReader(strings.NewReader(in)), minutes.ParseOptions{Strict: true})
			require.NoError(t, err)
			require.Equal(t, exampleCues, tr.Cues)
		}
	})
	t.Run("parser checks of §3.4", func(t *testing.T) {
		t.Parallel()
		tr := parseFixture(t, "teams-example-15-cues.vtt")
		require.Contains(t, tr.Cues[7].Text, "Legal & brand") // &amp; decodes to &
		require.Equal(t, "Tomás Ortega", tr.Cues[1].Speaker)  // non-ASCII preserved
		require.Equal(t, "Tomás Ortega", tr.Cues[11].Speaker) // 22-0 …
		require.Equal(t, "Tomás Ortega", tr.Cues[12].Speaker) // … and 22-1 …
		turns := tr.Turns()                                   // … merge into one utterance
		require.Len(t, turns, 14)
		require.Equal(t, minutes.Turn{
			Speaker: "Tomás Ortega",
			Start:   at(0, 1, 17, 400),
			End:     at(0, 1, 28, 600),
			Text:    "Works for me. That leaves the date: I can have a release candidate on the twenty-fourth, assuming QA gets two full days with it.",
			Cues:    []int{11, 12},
		}, turns[11])
		for i, turn := range turns {
			if i != 11 {
				require.Len(t, turn.Cues, 1, "turn %d", i)
			}
		}
	})
}

func TestReferenceDocSample(t *testing.T) {
	t.Parallel()
	for _, strict := range []bool{false, true} {
		tr, err := minutes.ParseVTT(strings.NewReader(readFixture(t, "graph-doc-sample.vtt")), minutes.ParseOptions{Strict: strict})
		require.NoError(t, err)
		require.Equal(t, []minutes.Cue{{Start: 0, End: at(0, 0, 5, 320), Speaker: "User Name", Text: "This is a transcript test.", Line: 3}}, tr.Cues)
		require.Equal(t, []string{"User Name"}, tr.Speakers)
	}
}

// The metadataContent endpoint's cues hold JSON. They parse as text without a speaker:
// the speaker is inside the JSON, which this parser does not read.
func TestReferenceMetadataContent(t *testing.T) {
	t.Parallel()
	tr := parseFixture(t, "teams-metadata-content.vtt")
	require.Len(t, tr.Cues, 1)
	require.Equal(t, "", tr.Cues[0].Speaker)
	require.Equal(t, at(0, 0, 4, 120), tr.Cues[0].Start)
	require.True(t, strings.HasPrefix(tr.Cues[0].Text, `{"startDateTime":"2026-03-10T15:02:45.2434567+00:00",`))
	require.True(t, strings.HasSuffix(tr.Cues[0].Text, `"spokenLanguage":"en-us"}`))
}
