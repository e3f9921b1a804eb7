package document

import (
	"archive/zip"
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ContentTypeDOCX is the media type of a .docx file.
const ContentTypeDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

// zipTime is the modification time of every zip entry: the earliest MS-DOS date, so the
// bytes depend on the input only.
var zipTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// DOCX renders in as a Word document (Office Open XML, WordprocessingML). The same input
// gives the same bytes.
func DOCX(in Input) ([]byte, error) {
	v := newView(in)
	var buf bytes.Buffer
	buf.Grow(16 << 10)
	zw := zip.NewWriter(&buf)
	parts := []struct {
		name string
		body func(*strings.Builder)
	}{
		{"[Content_Types].xml", func(b *strings.Builder) { b.WriteString(contentTypesXML) }},
		{"_rels/.rels", func(b *strings.Builder) { b.WriteString(packageRelsXML) }},
		{"docProps/core.xml", v.coreXML},
		{"word/_rels/document.xml.rels", func(b *strings.Builder) { b.WriteString(documentRelsXML) }},
		{"word/styles.xml", func(b *strings.Builder) { b.WriteString(stylesXML) }},
		{"word/document.xml", v.documentXML},
	}
	var b strings.Builder
	for _, p := range parts {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: p.name, Method: zip.Deflate, Modified: zipTime})
		if err != nil {
			return nil, fmt.Errorf("docx: add %s: %w", p.name, err)
		}
		b.Reset()
		p.body(&b)
		if _, err := w.Write([]byte(b.String())); err != nil {
			return nil, fmt.Errorf("docx: write %s: %w", p.name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("docx: close zip: %w", err)
	}
	return buf.Bytes(), nil
}

const xmlHeader = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"

const contentTypesXML = xmlHeader +
	`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
	`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
	`<Default Extension="xml" ContentType="application/xml"/>` +
	`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>` +
	`<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>` +
	`<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>` +
	`</Types>`

const packageRelsXML = xmlHeader +
	`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
	`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>` +
	`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>` +
	`</Relationships>`

const documentRelsXML = xmlHeader +
	`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
	`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
	`</Relationships>`

// stylesXML defines the styles document.xml names: Normal, Title, Heading1, Heading2,
// Subtle (meta lines), Quote and the TableGrid table style.
const stylesXML = xmlHeader +
	`<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">` +
	`<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Calibri" w:hAnsi="Calibri" w:eastAsia="Calibri" w:cs="Arial"/>` +
	`<w:sz w:val="22"/><w:szCs w:val="22"/><w:lang w:val="en-US"/></w:rPr></w:rPrDefault>` +
	`<w:pPrDefault><w:pPr><w:spacing w:after="120" w:line="264" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>` +
	`<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/></w:style>` +
	`<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/>` +
	`<w:pPr><w:spacing w:after="200"/></w:pPr><w:rPr><w:b/><w:color w:val="1F3864"/><w:sz w:val="48"/><w:szCs w:val="48"/></w:rPr></w:style>` +
	`<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/>` +
	`<w:pPr><w:keepNext/><w:spacing w:before="360" w:after="120"/><w:outlineLvl w:val="0"/></w:pPr>` +
	`<w:rPr><w:b/><w:color w:val="2F5496"/><w:sz w:val="32"/><w:szCs w:val="32"/></w:rPr></w:style>` +
	`<w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/>` +
	`<w:pPr><w:keepNext/><w:spacing w:before="240" w:after="80"/><w:outlineLvl w:val="1"/></w:pPr>` +
	`<w:rPr><w:b/><w:color w:val="2F5496"/><w:sz w:val="26"/><w:szCs w:val="26"/></w:rPr></w:style>` +
	`<w:style w:type="paragraph" w:customStyle="1" w:styleId="Subtle"><w:name w:val="Subtle"/><w:basedOn w:val="Normal"/>` +
	`<w:pPr><w:spacing w:after="40"/></w:pPr><w:rPr><w:color w:val="595959"/><w:sz w:val="20"/><w:szCs w:val="20"/></w:rPr></w:style>` +
	`<w:style w:type="paragraph" w:styleId="Quote"><w:name w:val="Quote"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/>` +
	`<w:pPr><w:ind w:left="567"/></w:pPr><w:rPr><w:i/><w:color w:val="595959"/><w:sz w:val="20"/><w:szCs w:val="20"/></w:rPr></w:style>` +
	`<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/>` +
	`<w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>` +
	`<w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/><w:basedOn w:val="TableNormal"/>` +
	`<w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr><w:tblPr><w:tblBorders>` +
	`<w:top w:val="single" w:sz="4" w:space="0" w:color="A6A6A6"/><w:left w:val="single" w:sz="4" w:space="0" w:color="A6A6A6"/>` +
	`<w:bottom w:val="single" w:sz="4" w:space="0" w:color="A6A6A6"/><w:right w:val="single" w:sz="4" w:space="0" w:color="A6A6A6"/>` +
	`<w:insideH w:val="single" w:sz="4" w:space="0" w:color="A6A6A6"/><w:insideV w:val="single" w:sz="4" w:space="0" w:color="A6A6A6"/>` +
	`</w:tblBorders></w:tblPr></w:style>` +
	`</w:styles>`

// coreXML writes docProps/core.xml: title, creator, revision and dates from the facts.
func (v view) coreXML(b *strings.Builder) {
	at := v.Created.Format("2006-01-02T15:04:05Z")
	b.WriteString(xmlHeader)
	b.WriteString(`<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"` +
		` xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"` +
		` xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">`)
	b.WriteString(`<dc:title>`)
	escape(b, v.Title)
	b.WriteString(`</dc:title><dc:subject>`)
	escape(b, v.Subject)
	b.WriteString(`</dc:subject><dc:creator>Meeting Minutes</dc:creator>`)
	if v.Language != "" {
		b.WriteString(`<dc:language>`)
		escape(b, v.Language)
		b.WriteString(`</dc:language>`)
	}
	if v.Version != "" {
		b.WriteString(`<cp:revision>`)
		b.WriteString(strings.TrimPrefix(v.Version, "Version "))
		b.WriteString(`</cp:revision>`)
	}
	b.WriteString(`<dcterms:created xsi:type="dcterms:W3CDTF">` + at + `</dcterms:created>`)
	b.WriteString(`<dcterms:modified xsi:type="dcterms:W3CDTF">` + at + `</dcterms:modified>`)
	b.WriteString(`</cp:coreProperties>`)
}

// Table geometry: an A4 page with 2 cm margins leaves 9638 twentieths of a point.
const (
	pageWidth  = 11906
	pageHeight = 16838
	margin     = 1134
	textWidth  = pageWidth - 2*margin
)

// actionColumns are the action-item table's columns and their widths (twips).
var actionColumns = []struct {
	title string
	width int
}{{"#", 454}, {"Action", 4820}, {"Owner", 2438}, {"Due", 1926}}

// documentXML writes word/document.xml.
func (v view) documentXML(b *strings.Builder) {
	b.WriteString(xmlHeader)
	b.WriteString(`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`)
	para(b, "Title", v.Title)
	if v.Subject != "" && v.Subject != v.Title {
		para(b, "Subtle", v.Subject)
	}
	for _, line := range []string{v.Date, organizerLine(v.Organizer), v.Version, v.Approval} {
		if line != "" {
			para(b, "Subtle", line)
		}
	}
	if len(v.Attendees) > 0 {
		para(b, "Heading1", "Attendees")
		names := make([]string, len(v.Attendees))
		for i, a := range v.Attendees {
			names[i] = a.Label()
		}
		para(b, "", strings.Join(names, ", "))
	}
	if len(v.Summary) > 0 {
		para(b, "Heading1", "Summary")
		for _, p := range v.Summary {
			para(b, "", p)
		}
	}
	if len(v.Decisions) > 0 {
		para(b, "Heading1", "Decisions")
		for i, d := range v.Decisions {
			para(b, "Heading2", strconv.Itoa(i+1)+". "+firstLine(d.Text))
			if rest := restLines(d.Text); rest != "" {
				para(b, "", rest)
			}
			if q := quoteLine(d.Quote, d.At); q != "" {
				para(b, "Quote", q)
			}
		}
	}
	if len(v.ActionItems) > 0 {
		para(b, "Heading1", "Action items")
		v.actionTable(b)
		for i, it := range v.ActionItems {
			if q := quoteLine(it.Quote, it.At); q != "" {
				para(b, "Quote", strconv.Itoa(i+1)+". "+q)
			}
		}
	}
	if len(v.Decisions) == 0 && len(v.ActionItems) == 0 {
		para(b, "Subtle", "No decisions or action items were recorded.")
	}
	if v.Link != "" {
		para(b, "Subtle", "Online: "+v.Link)
	}
	if v.Generator != "" {
		para(b, "Subtle", "Drafted by "+generatorLabel(v.Generator)+"; approved minutes are authoritative.")
	}
	fmt.Fprintf(b, `<w:sectPr><w:pgSz w:w="%d" w:h="%d"/><w:pgMar w:top="%d" w:right="%d" w:bottom="%d" w:left="%d" w:header="708" w:footer="708" w:gutter="0"/></w:sectPr>`,
		pageWidth, pageHeight, margin, margin, margin, margin)
	b.WriteString(`</w:body></w:document>`)
}

func (v view) actionTable(b *strings.Builder) {
	b.WriteString(`<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/>`)
	fmt.Fprintf(b, `<w:tblW w:w="%d" w:type="dxa"/><w:tblLayout w:type="fixed"/><w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr>`, textWidth)
	b.WriteString(`<w:tblGrid>`)
	for _, c := range actionColumns {
		fmt.Fprintf(b, `<w:gridCol w:w="%d"/>`, c.width)
	}
	b.WriteString(`</w:tblGrid>`)
	b.WriteString(`<w:tr><w:trPr><w:tblHeader/></w:trPr>`)
	for _, c := range actionColumns {
		cell(b, c.width, c.title, true)
	}
	b.WriteString(`</w:tr>`)
	for i, it := range v.ActionItems {
		b.WriteString(`<w:tr><w:trPr><w:cantSplit/></w:trPr>`)
		cell(b, actionColumns[0].width, strconv.Itoa(i+1), false)
		cell(b, actionColumns[1].width, it.Task, false)
		cell(b, actionColumns[2].width, it.owner(), false)
		cell(b, actionColumns[3].width, it.due(), false)
		b.WriteString(`</w:tr>`)
	}
	b.WriteString(`</w:tbl>`)
}

// cell writes one table cell holding text, bold when header.
func cell(b *strings.Builder, width int, text string, header bool) {
	fmt.Fprintf(b, `<w:tc><w:tcPr><w:tcW w:w="%d" w:type="dxa"/>`, width)
	if header {
		b.WriteString(`<w:shd w:val="clear" w:color="auto" w:fill="D9E2F3"/>`)
	}
	b.WriteString(`</w:tcPr>`)
	paraRun(b, "", text, header)
	b.WriteString(`</w:tc>`)
}

// para writes a paragraph of style (Normal when "") holding text.
func para(b *strings.Builder, style, text string) { paraRun(b, style, text, false) }

// paraRun writes a paragraph whose one run holds text (lines become breaks, tabs tabs), right
// to left when text starts in an RTL script.
func paraRun(b *strings.Builder, style, text string, bold bool) {
	dir := rtl(text)
	b.WriteString(`<w:p>`)
	if style != "" || dir {
		b.WriteString(`<w:pPr>`)
		if style != "" {
			b.WriteString(`<w:pStyle w:val="` + style + `"/>`)
		}
		if dir {
			b.WriteString(`<w:bidi/>`)
		}
		b.WriteString(`</w:pPr>`)
	}
	b.WriteString(`<w:r>`)
	if bold || dir {
		b.WriteString(`<w:rPr>`)
		if bold {
			b.WriteString(`<w:b/>`)
		}
		if dir {
			b.WriteString(`<w:rtl/>`)
		}
		b.WriteString(`</w:rPr>`)
	}
	for i, line := range strings.Split(text, "\n") {
		if i > 0 {
			b.WriteString(`<w:br/>`)
		}
		for j, seg := range strings.Split(line, "\t") {
			if j > 0 {
				b.WriteString(`<w:tab/>`)
			}
			if seg == "" {
				continue
			}
			b.WriteString(`<w:t xml:space="preserve">`)
			escape(b, seg)
			b.WriteString(`</w:t>`)
		}
	}
	b.WriteString(`</w:r></w:p>`)
}

// escape writes s as XML character data (also safe in attribute values), dropping what
// XML 1.0 cannot carry. s is normally clean already; this is the last line of defence.
func escape(b *strings.Builder, s string) {
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&apos;")
		case '\r':
			b.WriteString("&#xD;")
		default:
			if xmlChar(r) { // an invalid byte ranges as U+FFFD: valid XML
				b.WriteRune(r)
			}
		}
	}
}

func organizerLine(name string) string {
	if name == "" {
		return ""
	}
	return "Organizer: " + name
}

// quoteLine is the supporting quote and where it was said.
func quoteLine(quote, at string) string {
	switch {
	case quote == "":
		return ""
	case at == "":
		return "“" + quote + "”"
	}
	return "“" + quote + "” (" + source(at) + ")"
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func restLines(s string) string {
	_, rest, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(rest)
}

func generatorLabel(g string) string {
	switch g {
	case "offline", "offline-fallback":
		return "the offline generator"
	case "llm":
		return "a language model"
	case "edit":
		return "hand"
	}
	return g
}
