package document_test

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/document"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// sample is the minutes of testdata/sample.json with the facts of its meeting.
func sample(t testing.TB) document.Input {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "sample.json"))
	require.NoError(t, err)
	m, err := document.ParseContent(raw)
	require.NoError(t, err)
	cet := time.FixedZone("CET", 3600)
	return document.Input{Minutes: m, Facts: document.Facts{
		Subject:   "Q3 hiring sync",
		Start:     time.Date(2026, 3, 5, 16, 0, 0, 0, cet),
		Organizer: "Maya Singh",
		Attendees: []document.Attendee{
			{Name: "Maya Singh", Email: "maya.singh@contoso.com"},
			{Name: "Nora Lindqvist", Email: "nora.lindqvist@contoso.com"},
			{Name: "Omar Haddad", Email: "omar.haddad@contoso.com"},
		},
		Version:      2,
		ApprovedBy:   "Ben Carter",
		ApprovedAt:   time.Date(2026, 3, 6, 9, 30, 0, 0, time.UTC),
		Link:         "https://minutes.example/api/app/meetings/7d0e6c1e-1111-4a4a-9b9b-000000000001",
		DocumentName: "Meeting Minutes/2026-03-05 Q3 hiring sync (v2).docx",
	}}
}

// unzip returns the parts of a .docx, checking it is a zip whose entries all carry the fixed
// timestamp.
func unzip(t testing.TB, docx []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(docx), int64(len(docx)))
	require.NoError(t, err, "the docx must open as a zip")
	parts := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		data, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		parts[f.Name] = data
	}
	return parts
}

// wellFormed decodes every token of data as XML 1.0, strictly; it returns the character data
// of the w:t elements, concatenated with a space between runs.
func wellFormed(data []byte) (string, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	var text strings.Builder
	inT := false
	depth := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			if depth != 0 {
				return "", errors.New("unclosed element")
			}
			return text.String(), nil
		}
		if err != nil {
			return "", err
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			depth++
			inT = tk.Name.Local == "t"
		case xml.EndElement:
			depth--
			if inT {
				text.WriteByte(' ')
			}
			inT = false
		case xml.CharData:
			if inT {
				text.Write(tk)
			}
		}
	}
}

func mustDOCX(t testing.TB, in document.Input) (map[string][]byte, string) {
	t.Helper()
	docx, err := document.DOCX(in)
	require.NoError(t, err)
	parts := unzip(t, docx)
	var text string
	for name, data := range parts {
		got, err := wellFormed(data)
		require.NoError(t, err, "%s must be well-formed XML", name)
		if name == "word/document.xml" {
			text = got
		}
	}
	return parts, text
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	require.Equal(t, string(want), string(got), "%s differs; run go test -update after checking the change", path)
}

func TestDOCX(t *testing.T) {
	t.Parallel()

	t.Run("sample has every part, well-formed, with the texts", func(t *testing.T) {
		t.Parallel()
		parts, text := mustDOCX(t, sample(t))
		for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "word/document.xml",
			"word/_rels/document.xml.rels", "word/styles.xml", "docProps/core.xml"} {
			require.Contains(t, parts, name)
		}
		for _, want := range []string{
			"Q3 engineering hiring plan", "Q3 hiring sync", "Organizer: Maya Singh", "Version 2",
			"Approved by Ben Carter on 6 March 2026 09:30 UTC", "Thursday 5 March 2026, 16:00 CET",
			"Maya Singh, Nora Lindqvist, Omar Haddad", "Budget for contractors stays at the Q2 level & will be reviewed in June.",
			"1. Hire two backend engineers and one SRE in Q3.", "“keep contractors where they are” (at 00:32:14)",
			"Publish the three job descriptions", "Nora Lindqvist", "2026-03-20", "Review <contractor> spend", "Unassigned",
		} {
			require.Contains(t, text, want)
		}
		golden(t, "sample.document.xml", parts["word/document.xml"])
		golden(t, "sample.core.xml", parts["docProps/core.xml"])
	})

	t.Run("same input gives the same bytes", func(t *testing.T) {
		t.Parallel()
		a, err := document.DOCX(sample(t))
		require.NoError(t, err)
		b, err := document.DOCX(sample(t))
		require.NoError(t, err)
		require.Equal(t, a, b)
		zr, err := zip.NewReader(bytes.NewReader(a), int64(len(a)))
		require.NoError(t, err)
		require.Equal(t, "[Content_Types].xml", zr.File[0].Name, "the content types part comes first")
		for _, f := range zr.File {
			require.Equal(t, 1980, f.Modified.Year(), "fixed timestamp on %s", f.Name)
		}
	})

	t.Run("no content still makes a document", func(t *testing.T) {
		t.Parallel()
		_, text := mustDOCX(t, document.Input{})
		require.Contains(t, text, "Meeting minutes")
		require.Contains(t, text, "No decisions or action items were recorded.")
	})
}

func TestHostileContent(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("word ", 30000)
	cases := []struct {
		name    string
		text    string
		want    string // what the document text must contain
		notWant string
		rtl     bool
	}{
		{name: "script tag", text: `<script>alert("x")</script>`, want: `<script>alert("x")</script>`},
		{name: "CDATA end", text: "a ]]> b <![CDATA[ c", want: "a ]]> b <![CDATA[ c"},
		{name: "entities", text: "&amp; &lt; &#0; &#x1;", want: "&amp; &lt; &#0; &#x1;"},
		{name: "XML-invalid controls", text: "nul\x00 bell\x07 esc\x1b vt\x0b ff\x0c del\x7f c1\u0085 fffe\uFFFE end", want: "nul bell esc vt ff del c1 fffe end"},
		{name: "invalid UTF-8", text: "bad\xff\xfe bytes \xc3\x28 ok", want: "bad bytes ( ok"},
		{name: "very long", text: long, want: "word word", notWant: strings.TrimSpace(long)},
		{name: "RTL", text: "שלום עולם — מחליטים", want: "שלום עולם — מחליטים", rtl: true},
		{name: "Arabic", text: "تمت الموافقة على الميزانية", want: "تمت الموافقة على الميزانية", rtl: true},
		{name: "emoji", text: "Ship it 🚀👩🏽‍💻 🇸🇪", want: "Ship it 🚀👩🏽‍💻 🇸🇪"},
		{name: "bidi override", text: "invoice\u202Egpj.exe", want: "invoice\u202Egpj.exe"},
		{name: "CRLF and tabs", text: "line one\r\nline two\rline three\tcol", want: "line one"},
		{name: "quotes in attributes", text: `" ' onerror=alert(1) x="`, want: `" ' onerror=alert(1) x="`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := document.Input{
				Minutes: document.Minutes{
					Title: tc.text, Summary: tc.text, Language: tc.text, Generator: tc.text,
					Decisions:   []document.Decision{{Text: tc.text, Quote: tc.text, At: tc.text}},
					ActionItems: []document.ActionItem{{Task: tc.text, Owner: tc.text, Due: tc.text, Quote: tc.text}},
					Attendees:   []document.Attendee{{Name: tc.text}},
				},
				Facts: document.Facts{Subject: tc.text, Organizer: tc.text, ApprovedBy: tc.text, Link: tc.text, DocumentName: tc.text},
			}
			parts, text := mustDOCX(t, in)
			require.Contains(t, text, tc.want)
			if tc.notWant != "" {
				require.NotContains(t, text, tc.notWant)
				require.Less(t, len(parts["word/document.xml"]), 3<<20, "long texts are cut")
			}
			if tc.rtl {
				require.Contains(t, string(parts["word/document.xml"]), "<w:bidi/>")
			}

			page, err := document.HTML(in)
			require.NoError(t, err)
			require.NotContains(t, page, "<script>")
			require.NotContains(t, page, "\x00")
			require.NotContains(t, page, `onerror=alert(1) x="`)
			require.NotContains(t, page, `href="<`, "a hostile link is not linked")
			htmlWellFormed(t, page)
		})
	}
}

// htmlWellFormed checks that the page's tags balance (html/template output is XHTML-ish
// except for void elements, which are skipped).
func htmlWellFormed(t *testing.T, page string) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(strings.TrimPrefix(page, "<!DOCTYPE html>\n")))
	dec.Strict = false
	dec.AutoClose = xml.HTMLAutoClose
	dec.Entity = xml.HTMLEntity
	for {
		_, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		require.NoError(t, err)
	}
}

func TestHTML(t *testing.T) {
	t.Parallel()
	in := sample(t)
	page, err := document.HTML(in)
	require.NoError(t, err)
	for _, want := range []string{
		"<title>Q3 engineering hiring plan</title>", "Hire two backend engineers and one SRE in Q3.",
		"Publish the three job descriptions", "Review &lt;contractor&gt; spend",
		`<a href="https://minutes.example/api/app/meetings/7d0e6c1e-1111-4a4a-9b9b-000000000001"`,
		"Word document: Meeting Minutes/2026-03-05 Q3 hiring sync (v2).docx",
	} {
		require.Contains(t, page, want)
	}
	golden(t, "sample.html", []byte(page))
	golden(t, "sample.txt", []byte(document.Text(in)))

	t.Run("only http links are linked", func(t *testing.T) {
		t.Parallel()
		for _, link := range []string{"javascript:alert(1)", "data:text/html,x", "//evil.example/x", "mailto:a@b", "https:///nohost"} {
			in := document.Input{Facts: document.Facts{Link: link}}
			page, err := document.HTML(in)
			require.NoError(t, err)
			require.NotContains(t, page, "<a ", link)
		}
	})
}

func TestParseContent(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		raw  string
		want document.Minutes
		err  bool
	}{
		{name: "not an object", raw: `[1,2]`, err: true},
		{name: "not JSON", raw: `{"title":`, err: true},
		{name: "empty", raw: ``, err: true},
		{name: "empty object", raw: `{}`, want: document.Minutes{}},
		{name: "wrong member types are ignored", raw: `{"title": 3, "summary": ["x"], "decisions": {}, "action_items": "no"}`},
		{name: "at as seconds, due null, items without text dropped",
			raw: `{"decisions":[{"text":"A","at":3725},{"text":"  "},{"quote":"q"},7],"action_items":[{"task":"T","due":null,"at":"01:02:03"},{"owner":"X"}]}`,
			want: document.Minutes{Decisions: []document.Decision{{Text: "A", At: "01:02:05"}},
				ActionItems: []document.ActionItem{{Task: "T", At: "01:02:03"}}}},
		{name: "attendees as strings or objects", raw: `{"attendees":["Ada",{"name":"Grace","email":"g@x"},{"email":"h@x"},{},3]}`,
			want: document.Minutes{Attendees: []document.Attendee{{Name: "Ada"}, {Name: "Grace", Email: "g@x"}, {Email: "h@x"}}}},
		{name: "absurd offsets dropped", raw: `{"decisions":[{"text":"A","at":-1},{"text":"B","at":"way too long an offset string"}]}`,
			want: document.Minutes{Decisions: []document.Decision{{Text: "A"}, {Text: "B"}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := document.ParseContent([]byte(tc.raw))
			if tc.err {
				require.ErrorIs(t, err, document.ErrInvalidContent)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestFileName(t *testing.T) {
	t.Parallel()
	day := time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)
	cases := []struct {
		name  string
		facts document.Facts
		want  string
	}{
		{name: "plain", facts: document.Facts{Subject: "Budget stand-up", Start: day, Version: 1}, want: "2026-03-10 Budget stand-up (v1).docx"},
		{name: "forbidden characters", facts: document.Facts{Subject: `a"b*c:d<e>f?g/h\i|j#k%l`, Start: day, Version: 2}, want: "2026-03-10 a b c d e f g h i j k l (v2).docx"},
		{name: "dots, tildes and spaces trimmed", facts: document.Facts{Subject: " ~$..secret.. ", Start: day, Version: 1}, want: "2026-03-10 $.secret (v1).docx"},
		{name: "control characters", facts: document.Facts{Subject: "a\x00b\nc\td", Start: day, Version: 1}, want: "2026-03-10 ab c d (v1).docx"},
		{name: "vti", facts: document.Facts{Subject: "_vti_bin", Start: day, Version: 1}, want: "2026-03-10 vtibin (v1).docx"},
		{name: "empty subject", facts: document.Facts{Subject: "???", Start: day, Version: 3}, want: "2026-03-10 Meeting (v3).docx"},
		{name: "no date", facts: document.Facts{Subject: "x", Version: 1}, want: "x (v1).docx"},
		{name: "long subject cut", facts: document.Facts{Subject: strings.Repeat("é", 300), Start: day, Version: 12},
			want: "2026-03-10 " + strings.Repeat("é", 120-len("2026-03-10 ")-len(" (v12).docx")) + " (v12).docx"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := document.FileName(tc.facts, ".docx")
			require.Equal(t, tc.want, got)
			require.LessOrEqual(t, len([]rune(got)), 120)
		})
	}
}

func FuzzRender(f *testing.F) {
	f.Add("Budget", "We agreed.", "Send <deck>", "Ada", "00:01:02", `{"title":"x"}`)
	f.Add("]]>\x00", "\xff\xfe", "\u202e", "שלום", "", `{"decisions":[{"text":"\u0000"}]}`)
	f.Add(strings.Repeat("a", 5000), "\r\n\r\n", "\t", "🚀", "99:99:99", `{"action_items":[{"task":"t","at":1e308}]}`)
	f.Fuzz(func(t *testing.T, title, summary, task, owner, at, content string) {
		m, err := document.ParseContent([]byte(content))
		if err != nil {
			m = document.Minutes{}
		}
		m.Title += title
		m.Summary += summary
		m.Decisions = append(m.Decisions, document.Decision{Text: summary, Quote: task, At: at})
		m.ActionItems = append(m.ActionItems, document.ActionItem{Task: task, Owner: owner, Due: at, Quote: title, At: at})
		in := document.Input{Minutes: m, Facts: document.Facts{Subject: title, Organizer: owner, ApprovedBy: owner, Link: summary, DocumentName: task}}
		docx, err := document.DOCX(in)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(docx), int64(len(docx)))
		if err != nil {
			t.Fatal(err)
		}
		for _, zf := range zr.File {
			rc, err := zf.Open()
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(rc)
			rc.Close()
			if _, err := wellFormed(data); err != nil {
				t.Fatalf("%s is not well-formed: %v", zf.Name, err)
			}
		}
		if _, err := document.HTML(in); err != nil {
			t.Fatal(err)
		}
		_ = document.Text(in)
		name := document.FileName(in.Facts, ".docx")
		if strings.ContainsAny(name, "\"*:<>?/\\|#%\x00") || len([]rune(name)) > 120 {
			t.Fatalf("unsafe file name %q", name)
		}
	})
}
