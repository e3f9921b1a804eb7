package minutes

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// Parse parses a transcript named name (a file name, a blob path, or "-" for standard
// input) with default [ParseOptions], choosing the parser by extension, then by content:
//
//   - ".vtt": [ParseVTT];
//   - ".txt": [ParseVTT] if the content starts with the WebVTT signature (a renamed
//     .vtt), else [ParseText];
//   - ".docx": [ErrUnsupportedFormat], without reading r (Graph stopped serving .docx
//     transcripts in 2023; Teams still exports them);
//   - anything else: [ParseVTT] if the content starts with the WebVTT signature,
//     [ErrUnsupportedFormat] for a ZIP (such as .docx) or PDF signature, else [ParseText].
//
// The extension is matched without regard to case. For other options, call ParseVTT or
// ParseText directly.
func Parse(name string, r io.Reader) (*Transcript, error) {
	var opts ParseOptions
	ext := strings.ToLower(filepath.Ext(name))
	if ext == ".docx" {
		return nil, fmt.Errorf("parse transcript %q: %w (.docx)", name, ErrUnsupportedFormat)
	}
	br := bufio.NewReader(r)
	head, err := br.Peek(len(bom) + len("WEBVTT") + 1)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, fmt.Errorf("parse transcript %q: read: %w", name, err)
	}
	var t *Transcript
	switch {
	case ext == ".vtt" || looksLikeVTT(head):
		t, err = ParseVTT(br, opts)
	case ext != ".txt" && (bytes.HasPrefix(head, []byte("PK\x03\x04")) || bytes.HasPrefix(head, []byte("%PDF-"))):
		return nil, fmt.Errorf("parse transcript %q: %w (binary file)", name, ErrUnsupportedFormat)
	default:
		t, err = ParseText(br, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("parse transcript %q: %w", name, err)
	}
	return t, nil
}

// looksLikeVTT reports whether head, the first bytes of an input, starts with the WebVTT
// signature.
func looksLikeVTT(head []byte) bool {
	head = bytes.TrimPrefix(head, bom)
	if !bytes.HasPrefix(head, []byte("WEBVTT")) {
		return false
	}
	return len(head) == 6 || strings.IndexByte(" \t\r\n", head[6]) >= 0
}
