package upload

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/meetingminutes/minutes/shared/minutes"
)

// Bounds of a Word document's unpacking (zip bombs).
const (
	// MaxZipEntries is the most entries a .docx may hold; a Teams export has about a dozen.
	MaxZipEntries = 1000
	// maxCentralDirectory bounds the ZIP's central directory, read before any entry.
	maxCentralDirectory = 1 << 20
	// MaxDocumentXMLBytes is the most of word/document.xml that is decompressed: the markup
	// of a 10-hour meeting is far below it.
	MaxDocumentXMLBytes = 256 << 20
)

// wordNS is the WordprocessingML namespace of w:p, w:t and friends.
const wordNS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

// docxLimits are the bounds of one extraction.
type docxLimits struct {
	entries int   // most ZIP entries
	xml     int64 // most bytes of word/document.xml decompressed
	text    int   // most bytes of extracted text
}

// docxParagraphs unpacks a Word document and returns the text of its body's paragraphs, in
// order, one string per paragraph (a line break inside one is "\n", a tab "\t"). Deleted
// (tracked) text and field codes are left out. Errors are refusals (400, or 413 for a
// document that unpacks beyond the bounds).
func docxParagraphs(content []byte, lim docxLimits) ([]string, error) {
	if err := checkZipDirectory(content, lim.entries); err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(bytes.NewReader(content), int64(len(content)))
	if err != nil {
		return nil, unsupported("the file is not a readable Word document (a damaged ZIP). Upload %s", Accepted)
	}
	if len(zr.File) > lim.entries {
		return nil, unsupported("the Word document has %d parts, more than a transcript has (at most %d)", len(zr.File), lim.entries)
	}
	var doc *zip.File
	for _, f := range zr.File {
		if f.Name != "word/document.xml" {
			continue
		}
		if doc != nil {
			return nil, unsupported("the Word document is malformed (two document parts)")
		}
		doc = f
	}
	if doc == nil {
		return nil, unsupported("the file is a ZIP archive but not a Word document. Upload %s", Accepted)
	}
	rc, err := doc.Open()
	if err != nil {
		return nil, unsupported("the Word document is compressed in a way we do not read")
	}
	defer rc.Close()
	// The declared size may lie: the limit applies to what is actually decompressed.
	lr := &countingLimit{r: rc, n: lim.xml}
	paras, err := documentParagraphs(lr, lim.text)
	switch {
	case lr.over:
		return nil, refuse(ErrTooLarge, http.StatusRequestEntityTooLarge,
			"the Word document unpacks to more than %d MB, more than a transcript", lim.xml>>20)
	case err != nil:
		return nil, err
	}
	return paras, nil
}

// checkZipDirectory reads the ZIP's end-of-central-directory record and refuses an archive
// whose directory is too big to read safely (archive/zip reads all of it up front).
func checkZipDirectory(b []byte, maxEntries int) error {
	const eocdLen = 22
	start := max(0, len(b)-eocdLen-0xFFFF)
	i := bytes.LastIndex(b[start:], []byte("PK\x05\x06"))
	if i < 0 || start+i+eocdLen > len(b) {
		return unsupported("the file is not a readable Word document (a damaged ZIP). Upload %s", Accepted)
	}
	rec := b[start+i:]
	entries := binary.LittleEndian.Uint16(rec[10:12])
	size := binary.LittleEndian.Uint32(rec[12:16])
	switch {
	case entries == 0xFFFF || size == 0xFFFFFFFF:
		return unsupported("the Word document uses ZIP64, which a transcript never needs")
	case int(entries) > maxEntries:
		return unsupported("the Word document has %d parts, more than a transcript has (at most %d)", entries, maxEntries)
	case size > maxCentralDirectory:
		return unsupported("the Word document's index is larger than a transcript's")
	}
	return nil
}

// countingLimit reads at most n bytes of r and notes an attempt to read more.
type countingLimit struct {
	r    io.Reader
	n    int64
	over bool
}

func (l *countingLimit) Read(p []byte) (int, error) {
	if l.n <= 0 {
		// One more byte tells a document of exactly n bytes from a longer one.
		var one [1]byte
		if n, _ := l.r.Read(one[:]); n > 0 {
			l.over = true
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// errTextTooLong stops documentParagraphs at the text bound.
var errTextTooLong = errors.New("text too long")

// documentParagraphs reads a WordprocessingML main document and returns its paragraphs'
// text. It is the part fed untrusted XML (see FuzzDocumentParagraphs).
func documentParagraphs(r io.Reader, maxText int) ([]string, error) {
	dec := xml.NewDecoder(r)
	var (
		paras  []string
		cur    strings.Builder
		inPara int  // depth of w:p (a text box's paragraphs nest in one)
		inText bool // inside w:t
		total  int
	)
	flush := func() {
		paras = append(paras, cur.String())
		cur.Reset()
	}
	add := func(s string) error {
		total += len(s)
		if total > maxText {
			return errTextTooLong
		}
		cur.WriteString(s)
		return nil
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, unsupported("the Word document's text is not well-formed XML")
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space != wordNS {
				continue
			}
			switch t.Name.Local {
			case "p":
				if inPara > 0 {
					flush() // a nested paragraph ends the text before it
				}
				inPara++
			case "t":
				inText = true
			case "tab", "ptab":
				err = add("\t")
			case "br", "cr":
				err = add("\n")
			}
		case xml.EndElement:
			if t.Name.Space != wordNS {
				continue
			}
			switch t.Name.Local {
			case "p":
				if inPara > 0 {
					inPara--
					flush()
				}
			case "t":
				inText = false
			}
		case xml.CharData:
			if inText {
				err = add(string(t))
			}
		}
		if errors.Is(err, errTextTooLong) {
			return nil, refuse(ErrTooLarge, http.StatusRequestEntityTooLarge,
				"the Word document holds more than %d MB of text, more than a transcript", maxText>>20)
		}
	}
	if inPara > 0 {
		flush()
	}
	return paras, nil
}

// docxText converts a Teams Word transcript's paragraphs to text minutes.ParseText reads.
//
// Teams writes two layouts. The current one (since 2023) is the text export's: a speaker
// line "Name   0:03", then what was said, with no empty paragraph between blocks; a blank
// line is put before each speaker line, which ParseText needs to tell it from text. Which
// "Name  [h:]m:ss"-shaped paragraphs are speaker lines, rather than speech ending in a time
// ("we meet at 10:30"), is decided as blocksLayout says.
//
// The older one (2020–2022) is WebVTT in paragraphs: "0:0:3.59 --> 0:0:5.25", the speaker,
// then the text. It is written in ParseText's lines layout, "[0:00:03.590] Name: text",
// one cue per line.
//
// A document holding a WebVTT file (its first line "WEBVTT") is returned as is, lines joined.
func docxText(paras []string) (string, storedAs) {
	lines := splitLines(paras)
	first := ""
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			first = strings.TrimSpace(l)
			break
		}
	}
	if first == "WEBVTT" || strings.HasPrefix(first, "WEBVTT ") || strings.HasPrefix(first, "WEBVTT\t") {
		return strings.Join(lines, "\n") + "\n", asVTT
	}
	for _, l := range lines {
		if _, ok := arrowLine(l); ok {
			return arrowLayout(lines), asText
		}
	}
	return blocksLayout(lines), asText
}

// storedAs is the form converted text is stored in.
type storedAs int

const (
	asText storedAs = iota
	asVTT
)

// splitLines splits paragraphs at their line breaks and drops carriage returns.
func splitLines(paras []string) []string {
	var out []string
	for _, p := range paras {
		p = strings.ReplaceAll(p, "\r", "")
		out = append(out, strings.Split(p, "\n")...)
	}
	return out
}

// speakerShaped reads "Name<white space>[h:]m:ss" and returns the offset.
func speakerShaped(line string) (time.Duration, bool) {
	line = strings.TrimRight(line, " \t\u00a0")
	sp := strings.LastIndexAny(line, " \t\u00a0")
	if sp <= 0 {
		return 0, false
	}
	_, w := utf8.DecodeRuneInString(line[sp:])
	at, err := minutes.ParseTimestamp(line[sp+w:])
	name := strings.TrimSpace(line[:sp])
	if err != nil || name == "" || len(name) > 80 || !strings.Contains(line[sp+w:], ":") {
		return 0, false
	}
	return at, true
}

// blocksLayout writes the current Teams layout with a blank line before each speaker line.
//
// Speaker lines and speech alternate, so in a run of consecutive speaker-shaped lines the
// last one is a speaker line when text follows it (text otherwise), the one before it is
// speech, and so on back. A speaker line whose offset goes back in time is speech too.
func blocksLayout(lines []string) string {
	var kept []string
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			// A blank paragraph inside a block would end it early; ParseText joins
			// blank-separated paragraphs to the cue anyway, so blanks are dropped.
			kept = append(kept, l)
		}
	}
	at := make([]time.Duration, len(kept))
	shaped := make([]bool, len(kept))
	for i, l := range kept {
		at[i], shaped[i] = speakerShaped(l)
	}
	speaker := make([]bool, len(kept))
	for i := len(kept) - 1; i >= 0; {
		if !shaped[i] {
			i--
			continue
		}
		// kept[j..i] is a run of speaker-shaped lines.
		j := i
		for j > 0 && shaped[j-1] {
			j--
		}
		isSpeaker := i+1 < len(kept) // text follows the run
		for k := i; k >= j; k-- {
			speaker[k] = isSpeaker
			isSpeaker = !isSpeaker
		}
		i = j - 1
	}
	var b strings.Builder
	last := time.Duration(-1)
	for i, l := range kept {
		if speaker[i] && at[i] >= last {
			last = at[i]
			b.WriteString("\n")
			// ParseText splits the name from the offset at the last white space, which a
			// no-break space is not.
			l = strings.ReplaceAll(strings.TrimRight(l, " \t\u00a0"), "\u00a0", " ")
		}
		b.WriteString(l)
		b.WriteString("\n")
	}
	return b.String()
}

// arrowLine reads "start --> end" (start and end [h:]m:s[.f], unpadded as Teams writes
// them) and returns the start.
func arrowLine(line string) (time.Duration, bool) {
	start, end, ok := strings.Cut(strings.TrimSpace(line), "-->")
	if !ok {
		return 0, false
	}
	at, ok := looseClock(strings.TrimSpace(start))
	if !ok {
		return 0, false
	}
	if _, ok := looseClock(strings.TrimSpace(end)); !ok {
		return 0, false
	}
	return at, true
}

// looseClock parses h:m:s[.f] or m:s[.f] with unpadded fields ("0:0:3.59").
func looseClock(s string) (time.Duration, bool) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	sec := parts[len(parts)-1]
	whole, frac, hasFrac := strings.Cut(sec, ".")
	var d time.Duration
	for i, p := range parts[:len(parts)-1] {
		n, ok := digits(p, 6)
		if !ok {
			return 0, false
		}
		unit := time.Minute
		if len(parts) == 3 && i == 0 {
			unit = time.Hour
		}
		d += time.Duration(n) * unit
	}
	n, ok := digits(whole, 2)
	if !ok || n > 59 {
		return 0, false
	}
	d += time.Duration(n) * time.Second
	if hasFrac {
		if frac == "" || len(frac) > 9 {
			return 0, false
		}
		f, ok := digits(frac, 9)
		if !ok {
			return 0, false
		}
		for range 9 - len(frac) {
			f *= 10
		}
		d += time.Duration(f)
	}
	return d, true
}

// digits parses 1 to most ASCII digits.
func digits(s string, most int) (int64, bool) {
	if s == "" || len(s) > most {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, true
}

// arrowLayout writes the older Teams layout as "[h:mm:ss.mmm] Name: text" lines. A block
// with one line under its timing has no speaker.
func arrowLayout(lines []string) string {
	var b strings.Builder
	for i := 0; i < len(lines); i++ {
		at, ok := arrowLine(lines[i])
		if !ok {
			continue
		}
		var block []string
		j := i + 1
		for ; j < len(lines); j++ {
			if _, ok := arrowLine(lines[j]); ok {
				break
			}
			if s := strings.Join(strings.Fields(lines[j]), " "); s != "" {
				block = append(block, s)
			}
		}
		i = j - 1
		if len(block) == 0 {
			continue
		}
		fmt.Fprintf(&b, "[%s] ", offset(at))
		if len(block) > 1 && !strings.Contains(block[0], ": ") {
			b.WriteString(block[0])
			b.WriteString(": ")
			block = block[1:]
		}
		b.WriteString(strings.Join(block, " "))
		b.WriteString("\n")
	}
	return b.String()
}

// offset writes d as h:mm:ss.mmm.
func offset(d time.Duration) string {
	ms := d.Milliseconds()
	return fmt.Sprintf("%d:%02d:%02d.%03d", ms/3_600_000, ms/60_000%60, ms/1000%60, ms%1000)
}
