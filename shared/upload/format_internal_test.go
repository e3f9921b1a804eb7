package upload

import (
	"bytes"
	"errors"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/minutes"
	"github.com/meetingminutes/minutes/shared/store"
)

var update = flag.Bool("update", false, "rewrite testdata/teams-transcript.docx")

// testLimits are the default bounds.
var testLimits = docxLimits{entries: MaxZipEntries, xml: MaxDocumentXMLBytes, text: MaxBytes}

const vttSample = "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Priya Raman>Morning, everyone.</v>\n\n" +
	"00:00:05.000 --> 00:00:09.000\n<v Tomás Ortega>Backend is merged.</v>\n"

// cue is a cue's speaker, start and text, what the tests compare.
type cue struct {
	speaker string
	start   time.Duration
	text    string
}

func cuesOf(tr *minutes.Transcript) []cue {
	out := make([]cue, len(tr.Cues))
	for i, c := range tr.Cues {
		out[i] = cue{c.Speaker, c.Start, c.Text}
	}
	return out
}

func TestPrepareFormats(t *testing.T) {
	t.Parallel()
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }
	teams := para("Weekly sync-20260310_150241-Meeting Recording") + para("March 10, 2026, 3:02PM") + para("1m 40s") +
		para("Priya Raman", "   0:04") + para("Morning, everyone. Let's keep this short.") +
		para("Tomás Ortega", "   0:10") + para("Backend is merged.") +
		para("Smith, Jane (Guest)\t1:02:10") + para("We meet again at", " 10:30") + para("Bo   1:03:00") + para("OK.")
	cases := []struct {
		name    string
		file    string
		content []byte
		format  store.TranscriptFormat
		ext     string
		want    []cue
	}{
		{name: "webvtt", file: "sync.vtt", content: []byte(vttSample), format: store.FormatVTT, ext: ".vtt",
			want: []cue{{"Priya Raman", sec(1), "Morning, everyone."}, {"Tomás Ortega", sec(5), "Backend is merged."}}},
		{name: "webvtt with BOM and CRLF named .txt", file: "sync.txt", content: []byte("\ufeff" + strings.ReplaceAll(vttSample, "\n", "\r\n")),
			format: store.FormatVTT, ext: ".vtt",
			want: []cue{{"Priya Raman", sec(1), "Morning, everyone."}, {"Tomás Ortega", sec(5), "Backend is merged."}}},
		{name: "webvtt without a name", file: "", content: []byte(vttSample), format: store.FormatVTT, ext: ".vtt",
			want: []cue{{"Priya Raman", sec(1), "Morning, everyone."}, {"Tomás Ortega", sec(5), "Backend is merged."}}},
		{name: "teams text export", file: "Weekly sync.txt", format: store.FormatTXT, ext: ".txt",
			content: []byte("Weekly sync-20260310_150241-Meeting Recording\nMarch 10, 2026, 3:02PM\n1m 40s\n\n" +
				"Priya Raman   0:04\nMorning, everyone.\n\nTomás Ortega   0:10\nBackend is merged.\n"),
			want: []cue{{"Priya Raman", sec(4), "Morning, everyone."}, {"Tomás Ortega", sec(10), "Backend is merged."}}},
		{name: "bracketed lines", file: "notes.TXT", format: store.FormatTXT, ext: ".txt",
			content: []byte("[00:00:03] Priya Raman: Morning.\n[00:00:10] Tomás Ortega: Merged.\n"),
			want:    []cue{{"Priya Raman", sec(3), "Morning."}, {"Tomás Ortega", sec(10), "Merged."}}},
		{name: "teams docx export", file: "Weekly sync.docx", content: nil, format: store.FormatDOCX, ext: ".txt",
			want: []cue{{"Priya Raman", sec(4), "Morning, everyone. Let's keep this short."}, {"Tomás Ortega", sec(10), "Backend is merged."},
				{"Smith, Jane (Guest)", sec(3730), "We meet again at 10:30"}, {"Bo", sec(3780), "OK."}}},
		{name: "older teams docx export (timings)", file: "old.docx", format: store.FormatDOCX, ext: ".txt",
			content: docx(t, para("0:0:0.0 --> 0:0:3.590")+para("Raman, Priya")+para("Morning, everyone.")+
				para("0:0:3.590 --> 0:1:5.250")+para("Tomás Ortega")+para("Backend is merged.")+para("The service still fails.")+
				para("1:0:5.0 --> 1:0:6.0")+para("Unattributed words here.")),
			want: []cue{{"Raman, Priya", 0, "Morning, everyone."}, {"Tomás Ortega", 3590 * time.Millisecond, "Backend is merged. The service still fails."},
				{"", sec(3605), "Unattributed words here."}}},
		{name: "webvtt pasted into word", file: "pasted.docx", format: store.FormatDOCX, ext: ".vtt",
			content: docx(t, para("WEBVTT")+para("")+para("00:00:01.000 --> 00:00:04.000")+para("<v Priya Raman>Morning.</v>")),
			want:    []cue{{"Priya Raman", sec(1), "Morning."}}},
		{name: "docx with the wrong extension", file: "transcript.txt", format: store.FormatDOCX, ext: ".txt",
			content: docx(t, para("Ann  0:01")+para("Hello.")),
			want:    []cue{{"Ann", sec(1), "Hello."}}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			content := tt.content
			if content == nil {
				content = docx(t, teams)
			}
			p, err := prepare(tt.file, content, testLimits)
			require.NoError(t, err)
			require.Equal(t, tt.format, p.format)
			require.Equal(t, tt.ext, p.ext)
			require.Equal(t, tt.want, cuesOf(p.transcript))
			// What is stored reads back the same way MinutesGenerate reads it.
			again, err := minutes.Parse("x"+p.ext, bytes.NewReader(p.text))
			require.NoError(t, err)
			require.Equal(t, tt.want, cuesOf(again))
		})
	}
}

func TestPrepareRefusals(t *testing.T) {
	t.Parallel()
	many := make([]zipEntry, 30)
	for i := range many {
		many[i] = zipEntry{name: "word/media/image" + strings.Repeat("x", i) + ".png", body: []byte("x")}
	}
	bomb := makeZip(t, zipEntry{"word/document.xml", documentXML(para(strings.Repeat("a", 4<<20)))})
	cases := []struct {
		name    string
		file    string
		content []byte
		lim     docxLimits
		status  int
		kind    error
		msg     string
	}{
		{name: "empty", file: "a.vtt", content: nil, status: 400, kind: ErrEmpty, msg: "the file is empty"},
		{name: "white space", file: "a.txt", content: []byte("\ufeff \n\t\r\n"), status: 400, kind: ErrEmpty, msg: "the file is empty"},
		{name: "pdf", file: "minutes.pdf", content: []byte("%PDF-1.7 ..."), status: 400, kind: ErrUnsupported, msg: "files ending in .pdf are not accepted"},
		{name: "pdf without its name", file: "", content: []byte("%PDF-1.7 ..."), status: 400, kind: ErrUnsupported, msg: "PDF files are not accepted"},
		{name: "binary junk", file: "x.txt", content: []byte{0x7f, 'E', 'L', 'F', 0, 1, 2, 3}, status: 400, kind: ErrUnsupported, msg: "not text"},
		{name: "latin-1", file: "x.txt", content: []byte("Ann  0:01\nCaf\xe9\n"), status: 400, kind: ErrUnsupported, msg: "not UTF-8"},
		{name: "utf-16", file: "x.txt", content: []byte("\xff\xfeA\x00n\x00"), status: 400, kind: ErrUnsupported, msg: "UTF-16"},
		{name: "prose", file: "x.txt", content: []byte("Dear all,\nplease find the notes below.\n"), status: 400, kind: ErrUnsupported,
			msg: "does not look like a transcript"},
		{name: "webvtt without cues", file: "x.vtt", content: []byte("WEBVTT\n\nNOTE nothing here\n"), status: 400, kind: ErrNoSpeech,
			msg: "nothing said"},
		{name: "named docx, not a zip", file: "x.docx", content: []byte("Ann  0:01\nHello.\n"), status: 400, kind: ErrUnsupported,
			msg: "not a Word document"},
		{name: "zip without a document", file: "x.docx", content: makeZip(t, zipEntry{"hello.txt", []byte("hi")}), status: 400,
			kind: ErrUnsupported, msg: "ZIP archive but not a Word document"},
		{name: "damaged zip", file: "x.docx", content: []byte("PK\x03\x04 not really"), status: 400, kind: ErrUnsupported, msg: "damaged ZIP"},
		{name: "too many entries", file: "x.docx", content: makeZip(t, many...), lim: docxLimits{entries: 10, xml: 1 << 20, text: 1 << 20},
			status: 400, kind: ErrUnsupported, msg: "30 parts"},
		{name: "zip bomb", file: "x.docx", content: bomb, lim: docxLimits{entries: 10, xml: 1 << 20, text: 64 << 20},
			status: 413, kind: ErrTooLarge, msg: "unpacks to more than 1 MB"},
		{name: "too much text", file: "x.docx", content: bomb, lim: docxLimits{entries: 10, xml: 64 << 20, text: 1 << 20},
			status: 413, kind: ErrTooLarge, msg: "more than 1 MB of text"},
		{name: "malformed xml", file: "x.docx", content: makeZip(t, zipEntry{"word/document.xml", []byte("<w:document><w:body><w:p>")}),
			status: 400, kind: ErrUnsupported, msg: "not well-formed XML"},
		{name: "docx with no transcript", file: "x.docx", content: docx(t, para("Agenda")+para("1. Budget")), status: 400,
			kind: ErrUnsupported, msg: "does not hold a Teams transcript"},
		{name: "unknown extension", file: "talk.mp4", content: []byte(vttSample), status: 400, kind: ErrUnsupported,
			msg: "files ending in .mp4 are not accepted"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lim := tt.lim
			if lim == (docxLimits{}) {
				lim = testLimits
			}
			_, err := prepare(tt.file, tt.content, lim)
			require.Error(t, err)
			require.ErrorIs(t, err, tt.kind)
			require.Equal(t, tt.status, funchost.StatusOf(err))
			msg := funchost.PublicMessage(err)
			require.Contains(t, msg, tt.msg)
			if tt.status == http.StatusBadRequest && tt.kind == ErrUnsupported && !strings.Contains(msg, "UTF-16") &&
				!strings.Contains(msg, "XML") && !strings.Contains(msg, "parts") && !strings.Contains(msg, "transcript:") &&
				!strings.Contains(msg, "expected") {
				require.Contains(t, msg, ".vtt", "a refusal names the accepted formats")
			}
		})
	}
}

func TestDocxZipDirectoryChecks(t *testing.T) {
	t.Parallel()
	t.Run("entry count read before the directory", func(t *testing.T) {
		// A forged end record claiming 60,000 entries is refused without reading them.
		z := docx(t, para("Ann  0:01")+para("Hi."))
		i := bytes.LastIndex(z, []byte("PK\x05\x06"))
		z[i+10], z[i+11] = 0x60, 0xea
		_, err := docxParagraphs(z, testLimits)
		require.ErrorIs(t, err, ErrUnsupported)
		require.Contains(t, funchost.PublicMessage(err), "60000 parts")
	})
	t.Run("zip64 refused", func(t *testing.T) {
		z := docx(t, para("Ann  0:01")+para("Hi."))
		i := bytes.LastIndex(z, []byte("PK\x05\x06"))
		z[i+10], z[i+11] = 0xff, 0xff
		_, err := docxParagraphs(z, testLimits)
		require.ErrorIs(t, err, ErrUnsupported)
		require.Contains(t, funchost.PublicMessage(err), "ZIP64")
	})
}

func TestDocumentParagraphs(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		body string
		want []string
	}{
		{"runs join", para("Priya ", "Raman", "   0:03"), []string{"Priya Raman   0:03"}},
		{"tabs and breaks", `<w:p><w:r><w:t>a</w:t><w:tab/><w:t>b</w:t><w:br/><w:t>c</w:t></w:r></w:p>`, []string{"a\tb\nc"}},
		{"entities decoded", para("Tom & Jerry <3"), []string{"Tom & Jerry <3"}},
		{"deleted text and field codes left out",
			`<w:p><w:r><w:t>kept</w:t></w:r><w:del><w:r><w:delText>gone</w:delText></w:r></w:del><w:r><w:instrText>PAGE</w:instrText></w:r></w:p>`,
			[]string{"kept"}},
		{"empty paragraphs kept", para("a") + "<w:p/>" + para("b"), []string{"a", "", "b"}},
		{"table cells are paragraphs", `<w:tbl><w:tr><w:tc>` + para("x") + `</w:tc><w:tc>` + para("y") + `</w:tc></w:tr></w:tbl>`,
			[]string{"x", "y"}},
		{"text outside w:t ignored", `<w:p><w:r>stray<w:t>t</w:t></w:r></w:p>`, []string{"t"}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := documentParagraphs(bytes.NewReader(documentXML(tt.body)), 1<<20)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestDocxText(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		paras []string
		want  string
	}{
		{"blank line before each speaker line",
			[]string{"Title", "Ann   0:01", "Hello.", "Bo\t0:05", "Hi."},
			"Title\n\nAnn   0:01\nHello.\n\nBo\t0:05\nHi.\n"},
		{"a time in the text stays text when a speaker line follows it",
			[]string{"Ann  0:01", "We start", "at 10:30", "Bo  0:09", "OK."},
			"\nAnn  0:01\nWe start\nat 10:30\n\nBo  0:09\nOK.\n"},
		{"an offset going back in time is text",
			[]string{"Ann  5:01", "We said", "Call at 2:00", "more words", "Bo  5:09", "OK."},
			"\nAnn  5:01\nWe said\nCall at 2:00\nmore words\n\nBo  5:09\nOK.\n"},
		{"no-break space between name and offset",
			[]string{"Ann\u00a00:01", "Hi."},
			"\nAnn 0:01\nHi.\n"},
		{"empty paragraphs dropped", []string{"Ann  0:01", "", "Hi.", ""}, "\nAnn  0:01\nHi.\n"},
		{"older layout", []string{"0:0:1.5 --> 0:0:3.0", "Ann", "Hi", "there", "", "0:1:0.0 --> 0:1:2.0", "Only text"},
			"[0:00:01.500] Ann: Hi there\n[0:01:00.000] Only text\n"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, _ := docxText(tt.paras)
			require.Equal(t, tt.want, got)
		})
	}
}

// teamsDocx is the real-shaped Teams export in testdata: the parts Word and Teams write,
// a speaker line of two runs (name, then offset) above each paragraph of speech.
func teamsDocx(t testing.TB) []byte {
	body := para("Quarterly planning-20260310_150241-Meeting Recording") + para("March 10, 2026, 3:02PM") + para("12m 5s") +
		para("Priya Raman", "   0:03") + para("Morning, everyone. Let's keep this to twenty minutes.") +
		para("Tomás Ortega", "   0:41") + para("Backend for the new sign-up flow is merged. I will deploy it by Friday.") +
		para("Priya Raman", "   1:15") + para("Good. We agree to ship the sign-up flow next week.") +
		para("Smith, Jane (Guest)", "   11:58") + para("Thanks, all.")
	styles := []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Segoe UI"/><w:sz w:val="20"/></w:rPr></w:rPrDefault></w:docDefaults></w:styles>`)
	core := []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Quarterly planning</dc:title></cp:coreProperties>`)
	return makeZip(t,
		zipEntry{"[Content_Types].xml", []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>`)},
		zipEntry{"_rels/.rels", []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>`)},
		zipEntry{"word/_rels/document.xml.rels", []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`)},
		zipEntry{"word/document.xml", documentXML(body)},
		zipEntry{"word/styles.xml", styles},
		zipEntry{"docProps/core.xml", core},
	)
}

func TestTestdataDocx(t *testing.T) {
	t.Parallel()
	path := filepath.Join("testdata", "teams-transcript.docx")
	if *update {
		require.NoError(t, os.WriteFile(path, teamsDocx(t), 0o644))
	}
	content, err := os.ReadFile(path)
	require.NoError(t, err)
	p, err := prepare("Quarterly planning.docx", content, testLimits)
	require.NoError(t, err)
	require.Equal(t, store.FormatDOCX, p.format)
	require.Equal(t, []cue{
		{"Priya Raman", 3 * time.Second, "Morning, everyone. Let's keep this to twenty minutes."},
		{"Tomás Ortega", 41 * time.Second, "Backend for the new sign-up flow is merged. I will deploy it by Friday."},
		{"Priya Raman", 75 * time.Second, "Good. We agree to ship the sign-up flow next week."},
		{"Smith, Jane (Guest)", 718 * time.Second, "Thanks, all."},
	}, cuesOf(p.transcript))
	require.Equal(t, []string{"Priya Raman", "Tomás Ortega", "Smith, Jane (Guest)"}, p.transcript.Speakers)
}

// FuzzDocumentParagraphs feeds untrusted XML to the extractor and its conversion: no panic,
// the text bound holds, and what is produced parses or is refused cleanly.
func FuzzDocumentParagraphs(f *testing.F) {
	f.Add(documentXML(para("Ann  0:01") + para("Hello.")))
	f.Add(documentXML(para("0:0:1.5 --> 0:0:3.0") + para("Ann") + para("Hi")))
	f.Add(documentXML(`<w:p><w:r><w:t>a</w:t><w:tab/><w:br/></w:r><w:p><w:t>nested</w:t></w:p></w:p>`))
	f.Add([]byte(`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:p><w:t>&amp;&lt;</w:t>`))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		const maxText = 4096
		paras, err := documentParagraphs(bytes.NewReader(in), maxText)
		if err != nil {
			if !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		total := 0
		for _, p := range paras {
			total += len(p)
		}
		if total > maxText {
			t.Fatalf("text bound broken: %d bytes", total)
		}
		text, as := docxText(paras)
		var perr error
		if as == asVTT {
			_, perr = minutes.ParseVTT(strings.NewReader(text), minutes.ParseOptions{})
		} else {
			_, perr = minutes.ParseText(strings.NewReader(text), minutes.ParseOptions{})
		}
		if perr != nil && !errors.Is(perr, minutes.ErrUnsupportedFormat) && !errors.Is(perr, minutes.ErrNotVTT) {
			var pe *minutes.ParseError
			if !errors.As(perr, &pe) {
				t.Fatalf("conversion produced unreadable text: %v", perr)
			}
		}
	})
}
