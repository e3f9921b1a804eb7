package document

import (
	_ "embed"
	"fmt"
	"html/template"
	"strings"
)

//go:embed minutes.html.tmpl
var htmlSource string

// htmlPage is the template, parsed once per process. It is a constant of the package (parsing
// a constant template cannot fail at run time: the tests parse it).
var htmlPage = template.Must(template.New("minutes").Funcs(template.FuncMap{
	"inc": func(i int) int { return i + 1 },
}).Parse(htmlSource))

// htmlItem is an action item as the template shows it.
type htmlItem struct {
	Task, OwnerLabel, DueLabel, Quote, At string
}

// htmlView is the template's data.
type htmlView struct {
	view
	Items []htmlItem
}

// HTML renders in as a self-contained HTML page with inline styles, fit to be an e-mail body.
// Every text is escaped by html/template.
func HTML(in Input) (string, error) {
	v := newView(in)
	hv := htmlView{view: v, Items: make([]htmlItem, len(v.ActionItems))}
	for i, it := range v.ActionItems {
		hv.Items[i] = htmlItem{Task: it.Task, OwnerLabel: it.owner(), DueLabel: it.due(), Quote: it.Quote, At: it.At}
	}
	if hv.Generator != "" {
		hv.Generator = generatorLabel(hv.Generator)
	}
	var b strings.Builder
	b.Grow(8 << 10)
	if err := htmlPage.Execute(&b, hv); err != nil {
		return "", fmt.Errorf("render minutes html: %w", err)
	}
	return b.String(), nil
}

// Text renders in as plain text: the alternative part of an e-mail.
func Text(in Input) string {
	v := newView(in)
	var b strings.Builder
	b.WriteString(v.Title + "\n")
	for _, line := range []string{v.Subject, v.Date, organizerLine(v.Organizer), v.Version, v.Approval} {
		if line != "" && line != v.Title {
			b.WriteString(line + "\n")
		}
	}
	if v.Link != "" {
		b.WriteString("Online: " + v.Link + "\n")
	}
	if v.DocumentName != "" {
		b.WriteString("Word document: " + v.DocumentName + "\n")
	}
	if len(v.Attendees) > 0 {
		names := make([]string, len(v.Attendees))
		for i, a := range v.Attendees {
			names[i] = a.Label()
		}
		b.WriteString("\nAttendees\n" + strings.Join(names, ", ") + "\n")
	}
	if len(v.Summary) > 0 {
		b.WriteString("\nSummary\n" + strings.Join(v.Summary, "\n\n") + "\n")
	}
	if len(v.Decisions) > 0 {
		b.WriteString("\nDecisions\n")
		for i, d := range v.Decisions {
			fmt.Fprintf(&b, "%d. %s\n", i+1, d.Text)
			if q := quoteLine(d.Quote, d.At); q != "" {
				b.WriteString("   " + q + "\n")
			}
		}
	}
	if len(v.ActionItems) > 0 {
		b.WriteString("\nAction items\n")
		for i, it := range v.ActionItems {
			fmt.Fprintf(&b, "%d. %s — %s, due %s\n", i+1, it.Task, it.owner(), it.due())
		}
	}
	return b.String()
}
