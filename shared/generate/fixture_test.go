package generate_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/generate"
	"github.com/meetingminutes/minutes/shared/minutes"
)

// meeting is one fixture meeting in testdata/: NAME.vtt (a Teams-shaped transcript),
// NAME.json (subject, start, attendees) and NAME.ref.txt (a reference summary written by
// hand from the transcript, before any generator ran on it).
type meeting struct {
	Name       string
	Transcript *minutes.Transcript
	Input      generate.Input
	Reference  string
}

var meetingNames = []string{"billing-migration", "mobile-release", "northwind-escalation", "hiring-plan"}

func loadMeeting(tb testing.TB, name string) meeting {
	tb.Helper()
	f, err := os.Open(filepath.Join("testdata", name+".vtt"))
	require.NoError(tb, err)
	defer f.Close()
	tr, err := minutes.ParseVTT(f, minutes.ParseOptions{Strict: true})
	require.NoError(tb, err)
	raw, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	require.NoError(tb, err)
	var meta struct {
		Subject   string              `json:"subject"`
		Start     time.Time           `json:"start"`
		Attendees []generate.Attendee `json:"attendees"`
	}
	require.NoError(tb, json.Unmarshal(raw, &meta))
	ref, err := os.ReadFile(filepath.Join("testdata", name+".ref.txt"))
	require.NoError(tb, err)
	return meeting{
		Name:       name,
		Transcript: tr,
		Input:      generate.Input{Transcript: tr, Subject: meta.Subject, Start: meta.Start, Attendees: meta.Attendees},
		Reference:  strings.TrimSpace(string(ref)),
	}
}
