package document_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/meetingminutes/minutes/shared/document"
)

// twoHourMeeting is the minutes of a long (2-hour, ~18k-word transcript) meeting: a
// 450-word summary in 5 paragraphs, 25 decisions and 40 action items each with a 30-word
// quote, 12 attendees.
func twoHourMeeting() document.Input {
	words := strings.Fields("the team reviewed the migration plan and agreed that the billing cutover " +
		"happens after the freeze while support keeps the old path open for a fortnight")
	text := func(n, seed int) string {
		out := make([]string, n)
		for i := range out {
			out[i] = words[(i*7+seed)%len(words)]
		}
		return strings.Join(out, " ")
	}
	var m document.Minutes
	m.Title = "Billing migration: cutover readiness review"
	paras := make([]string, 5)
	for i := range paras {
		paras[i] = text(90, i)
	}
	m.Summary = strings.Join(paras, "\n\n")
	for i := range 25 {
		m.Decisions = append(m.Decisions, document.Decision{Text: text(20, i), Quote: text(30, i+3),
			At: fmt.Sprintf("%02d:%02d:%02d", i/12, (i*5)%60, (i*17)%60)})
	}
	var facts document.Facts
	for i := range 12 {
		facts.Attendees = append(facts.Attendees, document.Attendee{Name: fmt.Sprintf("Attendee %d", i), Email: fmt.Sprintf("a%d@contoso.com", i)})
	}
	for i := range 40 {
		m.ActionItems = append(m.ActionItems, document.ActionItem{Task: text(15, i), Owner: facts.Attendees[i%12].Name,
			Due: "2026-04-01", Quote: text(30, i+5), At: fmt.Sprintf("01:%02d:%02d", i%60, (i*13)%60)})
	}
	facts.Subject, facts.Organizer, facts.Version = "Billing migration", "Attendee 0", 1
	facts.Start = time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)
	facts.ApprovedBy, facts.ApprovedAt = "Attendee 1", facts.Start.Add(26*time.Hour)
	return document.Input{Minutes: m, Facts: facts}
}

func BenchmarkDOCX(b *testing.B) {
	in := twoHourMeeting()
	docx, err := document.DOCX(in)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := document.DOCX(in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(docx)), "docx-bytes")
}

func BenchmarkHTML(b *testing.B) {
	in := twoHourMeeting()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := document.HTML(in); err != nil {
			b.Fatal(err)
		}
	}
}
