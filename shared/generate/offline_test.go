package generate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/generate"
	"github.com/meetingminutes/minutes/shared/minutes"
)

// transcript builds a transcript from "Speaker: text" lines, one cue each, ten seconds
// apart.
func transcript(lines ...string) *minutes.Transcript {
	t := &minutes.Transcript{}
	seen := map[string]bool{}
	for i, l := range lines {
		sp, text, _ := strings.Cut(l, ": ")
		start := time.Duration(i) * 10 * time.Second
		t.Cues = append(t.Cues, minutes.Cue{Start: start, End: start + 9*time.Second, Speaker: sp, Text: text, Line: i + 1})
		if !seen[sp] {
			seen[sp] = true
			t.Speakers = append(t.Speakers, sp)
		}
		t.Duration = start + 9*time.Second
	}
	return t
}

var tuesday = time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)

func TestOfflineActionItems(t *testing.T) {
	t.Parallel()
	attendees := []generate.Attendee{
		{Name: "Priya Raman", Email: "priya@contoso.com"},
		{Name: "Okafor, Dan", Email: "dan@contoso.com"},
		{Name: "Sam Patel", Email: "sam.patel@contoso.com"},
		{Name: "Sam Jones", Email: "sam.jones@contoso.com"},
	}
	type item struct{ task, owner, email, due string }
	cases := []struct {
		name  string
		lines []string
		want  []item // nil: no action item
	}{
		{"first person with weekday", []string{"Dan Okafor: I'll send the revised deck to leadership by Friday."},
			[]item{{"Send the revised deck to leadership", "Dan Okafor", "dan@contoso.com", "2026-03-06"}}},
		{"named owner", []string{"Dan Okafor: Priya will own the migration."},
			[]item{{"Own the migration", "Priya Raman", "priya@contoso.com", ""}}},
		{"named request", []string{"Dan Okafor: Priya, can you update the runbook before Thursday?", "Priya Raman: Sure."},
			[]item{{"Update the runbook", "Priya Raman", "priya@contoso.com", "2026-03-05"}}},
		{"unnamed request answered yes goes to who answered", []string{"Dan Okafor: Can you send me the numbers tomorrow?", "Priya Raman: Yes, will do."},
			[]item{{"Send me the numbers", "Priya Raman", "priya@contoso.com", "2026-03-04"}}},
		{"unnamed request not accepted", []string{"Dan Okafor: Can you send me the numbers tomorrow?", "Priya Raman: I don't think I can."}, nil},
		{"volunteer takes an open request", []string{"Dan Okafor: Can someone take the suppression list?", "Priya Raman: I'll take it."},
			[]item{{"Take the suppression list", "Priya Raman", "priya@contoso.com", ""}}},
		{"speaker not an attendee keeps the name, no email", []string{"Lee Wong: I'll write the postmortem by end of month."},
			[]item{{"Write the postmortem", "Lee Wong", "", "2026-03-31"}}},
		{"ambiguous first name resolves to nobody", []string{"Dan Okafor: Sam will audit the alert routes next week."}, nil},
		{"full name disambiguates", []string{"Dan Okafor: Sam Patel will audit the alert routes next week."},
			[]item{{"Audit the alert routes", "Sam Patel", "sam.patel@contoso.com", "2026-03-13"}}},
		{"meeting procedure is not an action", []string{"Dan Okafor: I'll share my screen.", "Priya Raman: Let me just recap.", "Dan Okafor: I'll be honest, it's late."}, nil},
		{"conditional is not an action", []string{"Dan Okafor: If I'll have time, sure."}, nil},
		{"empty object is not an action", []string{"Dan Okafor: I can do that."}, nil},
		{"duplicates merge, keeping a later due date", []string{"Priya Raman: I'll write the tax fallback design.", "Dan Okafor: Great.", "Priya Raman: I'll write the tax fallback design by Monday."},
			[]item{{"Write the tax fallback design", "Priya Raman", "priya@contoso.com", "2026-03-09"}}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := transcript(tt.lines...)
			m, err := (&generate.Offline{}).Generate(context.Background(), generate.Input{Transcript: tr, Start: tuesday, Attendees: attendees})
			require.NoError(t, err)
			var got []item
			for _, a := range m.ActionItems {
				got = append(got, item{a.Task, a.Owner, a.OwnerEmail, a.Due})
				requireQuote(t, tr, a.Quote, a.At)
				require.True(t, a.Verified)
			}
			require.Equal(t, tt.want, got)
		})
	}
}

// requireQuote checks that quote is in the transcript and at is where it starts.
func requireQuote(t *testing.T, tr *minutes.Transcript, quote, at string) {
	t.Helper()
	span, ok := tr.Quote(quote)
	require.True(t, ok, "quote %q not in the transcript", quote)
	require.Equal(t, minutes.FormatTimestamp(span.Start), at, "quote %q", quote)
}

func TestOfflineDeterministic(t *testing.T) {
	t.Parallel()
	for _, name := range meetingNames {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var first []byte
			for range 3 {
				m := loadMeeting(t, name) // parsed afresh each time
				out, err := (&generate.Offline{}).Generate(context.Background(), m.Input)
				require.NoError(t, err)
				b, err := json.Marshal(out)
				require.NoError(t, err)
				if first == nil {
					first = b
					continue
				}
				require.True(t, bytes.Equal(first, b), "offline output differs between runs")
			}
		})
	}
}

// TestOfflineFixtures checks what matters in each fixture meeting: the quotes are real,
// the decisions and action items people would expect are there with the right owner and
// date, and the JSON is the shape the review service accepts.
func TestOfflineFixtures(t *testing.T) {
	t.Parallel()
	type item struct{ owner, due, taskHas string }
	expect := map[string]struct {
		decisions []string // substrings of decision texts
		items     []item
	}{
		"billing-migration": {
			decisions: []string{"go with option B", "freeze pricing changes", "cached tax rate fallback"},
			items: []item{
				{"Priya Raman", "", "own the migration"},
				{"Dan Okafor", "2026-03-06", "revised deck"},
				{"Sofia Marquez", "2026-03-04", "finance bullets"},
				{"Tom Becker", "2026-03-13", "reconciliation dashboards"},
				{"Sofia Marquez", "2026-03-31", "reconcile the first cohort"},
				{"Priya Raman", "2026-03-09", "tax fallback"},
			},
		},
		"mobile-release": {
			decisions: []string{"without offline mode", "dark mode toggle"},
			items: []item{
				{"Aisha Bello", "2026-03-10", "rotation crash fix"},
				{"Grace Liu", "2026-03-11", "onboarding screenshots"},
				{"Aisha Bello", "2026-03-17", "play store"},
				{"Marcus Webb", "2026-03-13", "crash reporting sdk"},
			},
		},
		"northwind-escalation": {
			decisions: []string{"credit Northwind ten percent", "per-tenant rate limiting", "cap export retries"},
			items: []item{
				{"Olivia Brown", "2026-04-17", "call their cfo"},
				{"Sam Patel", "2026-04-23", "postmortem"},
				{"Sam Patel", "2026-04-30", "audit all alert routes"},
				{"Rachel Adams", "2026-04-22", "status page templates"},
			},
		},
		"hiring-plan": {
			decisions: []string{"two backend engineers", "referral bonus", "four interview rounds"},
			items: []item{
				{"Maya Singh", "2026-03-12", "job descriptions"},
				{"Maya Singh", "2026-03-20", "interview loop"},
				{"Omar Haddad", "2026-03-31", "budget"},
			},
		},
	}
	for _, name := range meetingNames {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m := loadMeeting(t, name)
			out, err := (&generate.Offline{}).Generate(context.Background(), m.Input)
			require.NoError(t, err)
			require.Equal(t, generate.GeneratorOffline, out.Generator)
			require.Equal(t, m.Input.Subject, out.Title)
			require.NotEmpty(t, out.Summary)
			for _, d := range out.Decisions {
				requireQuote(t, m.Transcript, d.Quote, d.At)
			}
			for _, a := range out.ActionItems {
				requireQuote(t, m.Transcript, a.Quote, a.At)
			}
			want := expect[name]
			for _, d := range want.decisions {
				found := false
				for _, got := range out.Decisions {
					found = found || strings.Contains(got.Text, d)
				}
				require.True(t, found, "no decision about %q", d)
			}
			for _, w := range want.items {
				found := false
				for _, a := range out.ActionItems {
					found = found || a.Owner == w.owner && a.Due == w.due && strings.Contains(strings.ToLower(a.Task), w.taskHas)
				}
				require.True(t, found, "no action item %+v in %s", w, fmt.Sprint(out.ActionItems))
			}
			// Every owner who is an attendee got the attendee's address.
			for _, a := range out.ActionItems {
				for _, at := range m.Input.Attendees {
					if at.Name == a.Owner {
						require.Equal(t, at.Email, a.OwnerEmail)
					}
				}
			}
		})
	}
}

// TestOfflineBeatsTextRank scores the offline summary and a TextRank extract of the same
// length (in ROUGE tokens) against the hand-written reference of each fixture meeting,
// prints the scores and requires the offline summary to have the better mean F1 on each of
// ROUGE-1, ROUGE-2 and ROUGE-L.
func TestOfflineBeatsTextRank(t *testing.T) {
	t.Parallel()
	var off, tr [3]float64
	for _, name := range meetingNames {
		m := loadMeeting(t, name)
		out, err := (&generate.Offline{}).Generate(context.Background(), m.Input)
		require.NoError(t, err)
		n := len(generate.RougeTokens(out.Summary))
		base := generate.RougeTruncate(generate.TextRank(m.Transcript, n), n)
		require.Len(t, generate.RougeTokens(base), n, "TextRank extract shorter than the offline summary")
		so, st := generate.Rouge(m.Reference, out.Summary), generate.Rouge(m.Reference, base)
		t.Logf("%-22s %3d tokens  offline R1 %.3f R2 %.3f RL %.3f | TextRank R1 %.3f R2 %.3f RL %.3f",
			name, n, so.R1.F1, so.R2.F1, so.RL.F1, st.R1.F1, st.R2.F1, st.RL.F1)
		off[0], off[1], off[2] = off[0]+so.R1.F1, off[1]+so.R2.F1, off[2]+so.RL.F1
		tr[0], tr[1], tr[2] = tr[0]+st.R1.F1, tr[1]+st.R2.F1, tr[2]+st.RL.F1
	}
	k := float64(len(meetingNames))
	t.Logf("%-22s             offline R1 %.3f R2 %.3f RL %.3f | TextRank R1 %.3f R2 %.3f RL %.3f",
		"mean F1", off[0]/k, off[1]/k, off[2]/k, tr[0]/k, tr[1]/k, tr[2]/k)
	for i, name := range []string{"ROUGE-1", "ROUGE-2", "ROUGE-L"} {
		require.Greater(t, off[i]/k, tr[i]/k, "%s: offline does not beat TextRank", name)
	}
}

func TestOfflineTemplateSections(t *testing.T) {
	t.Parallel()
	m := loadMeeting(t, "billing-migration")
	in := m.Input
	in.Template = generate.Template{Sections: []string{"summary", "action_items"}, Language: "en-GB"}
	out, err := (&generate.Offline{}).Generate(context.Background(), in)
	require.NoError(t, err)
	require.Empty(t, out.Decisions)
	require.NotNil(t, out.Decisions, "an empty list, not null")
	require.Empty(t, out.Attendees)
	require.NotEmpty(t, out.ActionItems)
	require.Equal(t, "en-GB", out.Language)
}

func TestOfflineEdges(t *testing.T) {
	t.Parallel()
	_, err := (&generate.Offline{}).Generate(context.Background(), generate.Input{})
	require.ErrorIs(t, err, generate.ErrNoTranscript)

	out, err := (&generate.Offline{}).Generate(context.Background(), generate.Input{Transcript: &minutes.Transcript{}})
	require.NoError(t, err)
	require.Equal(t, "Meeting minutes", out.Title)
	b, err := json.Marshal(out)
	require.NoError(t, err)
	require.JSONEq(t, `{"title":"Meeting minutes","summary":"","decisions":[],"action_items":[],"attendees":[],"generator":"offline","language":""}`, string(b))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = (&generate.Offline{}).Generate(ctx, loadMeeting(t, "hiring-plan").Input)
	require.ErrorIs(t, err, context.Canceled)
}
