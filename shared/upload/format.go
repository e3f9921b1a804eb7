package upload

import (
	"bytes"
	"errors"
	"net/http"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/meetingminutes/minutes/shared/minutes"
	"github.com/meetingminutes/minutes/shared/store"
)

// prepared is an accepted file: its format, the text stored for the pipeline and its parse.
type prepared struct {
	// format is the uploaded file's format.
	format store.TranscriptFormat
	// text is what MinutesGenerate reads: the file itself for WebVTT and text, the converted
	// text for a Word document.
	text []byte
	// ext is text's extension, which tells minutes.Parse how to read it (".vtt" or ".txt").
	ext string
	// transcript is text parsed.
	transcript *minutes.Transcript
}

// Signatures of formats recognised by content.
var (
	zipSignature = []byte("PK\x03\x04")
	bom          = []byte("\xef\xbb\xbf")
)

// prepare decides the format of a file named name from its content, converts a Word
// document, and parses the result. Refusals say what was wrong and what is accepted.
func prepare(name string, content []byte, lim docxLimits) (prepared, error) {
	ext := strings.ToLower(path.Ext(strings.ReplaceAll(name, "\\", "/")))
	switch ext {
	case "", ".vtt", ".txt", ".docx":
	default:
		return prepared{}, unsupported("files ending in %s are not accepted. Upload %s", clip(ext, 16), Accepted)
	}
	if len(bytes.TrimSpace(bytes.TrimPrefix(content, bom))) == 0 {
		return prepared{}, refuse(ErrEmpty, http.StatusBadRequest, "the file is empty. Upload %s", Accepted)
	}
	var p prepared
	switch {
	case bytes.HasPrefix(content, zipSignature):
		paras, err := docxParagraphs(content, lim)
		if err != nil {
			return prepared{}, err
		}
		text, as := docxText(paras)
		p = prepared{format: store.FormatDOCX, text: []byte(text), ext: ".txt"}
		if as == asVTT {
			p.ext = ".vtt"
		}
	case ext == ".docx":
		return prepared{}, unsupported("the file is named .docx but is not a Word document. Upload %s", Accepted)
	case bytes.HasPrefix(content, []byte("%PDF-")):
		return prepared{}, unsupported("PDF files are not accepted. Upload %s", Accepted)
	case bytes.HasPrefix(content, []byte("\xff\xfe")) || bytes.HasPrefix(content, []byte("\xfe\xff")):
		return prepared{}, unsupported("the file is UTF-16 text: save it as UTF-8 and upload it again")
	case bytes.IndexByte(content, 0) >= 0 || !utf8.Valid(content):
		return prepared{}, unsupported("the file is not text (binary content, or not UTF-8). Upload %s", Accepted)
	case looksLikeVTT(content):
		p = prepared{format: store.FormatVTT, text: content, ext: ".vtt"}
	default:
		p = prepared{format: store.FormatTXT, text: content, ext: ".txt"}
	}
	var err error
	if p.ext == ".vtt" {
		p.transcript, err = minutes.ParseVTT(bytes.NewReader(p.text), minutes.ParseOptions{MaxBytes: int64(len(p.text)) + 1})
	} else {
		p.transcript, err = minutes.ParseText(bytes.NewReader(p.text), minutes.ParseOptions{MaxBytes: int64(len(p.text)) + 1})
	}
	if err != nil {
		return prepared{}, parseRefusal(p.format, err)
	}
	if len(p.transcript.Cues) == 0 {
		return prepared{}, refuse(ErrNoSpeech, http.StatusBadRequest,
			"the transcript has nothing said in it: no cue with text was found")
	}
	return p, nil
}

// parseRefusal explains a parse failure without quoting the file.
func parseRefusal(f store.TranscriptFormat, err error) error {
	var pe *minutes.ParseError
	switch {
	case errors.Is(err, minutes.ErrUnsupportedFormat) && f == store.FormatDOCX:
		return unsupported("the Word document does not hold a Teams transcript: expected a speaker line such as " +
			`"Priya Raman   0:03" above what was said`)
	case errors.Is(err, minutes.ErrUnsupportedFormat):
		return unsupported("the text does not look like a transcript: expected blocks such as " +
			`"Priya Raman   0:03" above what was said (as Teams exports them), or lines such as ` +
			`"[00:00:03] Priya Raman: Morning, everyone."`)
	case errors.As(err, &pe):
		return unsupported("the transcript is malformed at line %d: %s", pe.Line, pe.Reason)
	case errors.Is(err, minutes.ErrTooLarge):
		return refuse(ErrTooLarge, http.StatusRequestEntityTooLarge, "the transcript is too large")
	}
	return unsupported("the transcript cannot be read. Upload %s", Accepted)
}

// looksLikeVTT reports whether content starts with the WebVTT signature (after a BOM).
func looksLikeVTT(content []byte) bool {
	c := bytes.TrimPrefix(content, bom)
	if !bytes.HasPrefix(c, []byte("WEBVTT")) {
		return false
	}
	return len(c) == 6 || strings.IndexByte(" \t\r\n", c[6]) >= 0
}

// clip shortens untrusted text quoted in a message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
