package mail

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Rendering limits.
const (
	foldAt       = 78  // preferred header line length (RFC 5322 §2.1.1)
	maxWord      = 900 // longest unbreakable header word; lines must stay under 998
	maxSubject   = 998 // bytes of subject text before encoding
	maxRcpt      = 100 // recipients per message (RFC 5321 §4.5.3.1.8 minimum a server must take)
	maxHeaderLen = 2000
)

// rendered is a validated message ready for a transport.
type rendered struct {
	id   string   // Message.ID, or the random one chosen
	from string   // envelope sender
	rcpt []string // envelope recipients, To then Cc, duplicates removed
	data []byte   // RFC 5322 message with CRLF line ends
}

// render validates msg and renders it. defaultFrom replaces a zero msg.From; now is the Date.
// Nothing is sent or written until render has succeeded.
func render(msg Message, defaultFrom Address, now time.Time) (rendered, error) {
	r := rendered{id: msg.ID}
	if r.id == "" {
		r.id = randomID()
	} else if err := validID(r.id); err != nil {
		return r, err
	}
	from := msg.From
	if from.IsZero() {
		from = defaultFrom
	}
	if from.IsZero() {
		return r, fmt.Errorf("%w: no From and no default From", ErrInvalidMessage)
	}
	if err := from.validate(); err != nil {
		return r, fmt.Errorf("From: %w", err)
	}
	r.from = from.Email
	if len(msg.To)+len(msg.Cc) == 0 {
		return r, fmt.Errorf("%w: no recipient", ErrInvalidMessage)
	}
	if len(msg.To)+len(msg.Cc) > maxRcpt {
		return r, fmt.Errorf("%w: more than %d recipients", ErrInvalidMessage, maxRcpt)
	}
	seen := make(map[string]bool)
	for _, f := range []struct {
		name string
		list []Address
	}{{"To", msg.To}, {"Cc", msg.Cc}} {
		for i, a := range f.list {
			if err := a.validate(); err != nil {
				return r, fmt.Errorf("%s[%d]: %w", f.name, i, err)
			}
		}
	}
	for _, a := range slices.Concat(msg.To, msg.Cc) {
		if k := strings.ToLower(a.Email); !seen[k] {
			seen[k] = true
			r.rcpt = append(r.rcpt, a.Email)
		}
	}
	switch {
	case hasControl(msg.Subject):
		return r, fmt.Errorf("%w: Subject contains CR, LF or another control character", ErrInvalidMessage)
	case !utf8.ValidString(msg.Subject) || len(msg.Subject) > maxSubject:
		return r, fmt.Errorf("%w: Subject is not valid UTF-8 or longer than %d bytes", ErrInvalidMessage, maxSubject)
	case strings.TrimSpace(msg.Text) == "":
		return r, fmt.Errorf("%w: Text body is required", ErrInvalidMessage)
	case !utf8.ValidString(msg.Text) || !utf8.ValidString(msg.HTML):
		return r, fmt.Errorf("%w: body is not valid UTF-8", ErrInvalidMessage)
	}
	extra, err := extraHeaders(msg.Headers)
	if err != nil {
		return r, err
	}

	var h headerWriter
	h.add("From", from.String())
	if len(msg.To) > 0 {
		h.add("To", addressList(msg.To))
	}
	if len(msg.Cc) > 0 {
		h.add("Cc", addressList(msg.Cc))
	}
	if msg.Subject != "" {
		h.add("Subject", mime.QEncoding.Encode("utf-8", msg.Subject))
	}
	h.add("Date", now.Format(time.RFC1123Z))
	h.add("Message-ID", "<"+r.id+"@"+from.domain()+">")
	h.add("MIME-Version", "1.0")
	for _, kv := range extra {
		h.add(kv[0], kv[1])
	}
	if h.err != nil {
		return r, h.err
	}

	b := &h.buf
	if msg.HTML == "" {
		h.add("Content-Type", "text/plain; charset=utf-8")
		h.add("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		if err := writeQP(b, msg.Text); err != nil {
			return r, fmt.Errorf("encode text body: %w", err)
		}
		r.data = b.Bytes()
		return r, nil
	}
	// "=_" never occurs in quoted-printable output, so this boundary cannot collide with a
	// body; deriving it from the ID keeps a message's bytes reproducible.
	sum := sha256.Sum256([]byte(r.id))
	boundary := "=_mm_" + hex.EncodeToString(sum[:12])
	h.add("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": boundary}))
	b.WriteString("\r\n")
	mw := multipart.NewWriter(b)
	if err := mw.SetBoundary(boundary); err != nil {
		return r, fmt.Errorf("set mime boundary: %w", err)
	}
	for _, part := range []struct{ ctype, body string }{
		{"text/plain; charset=utf-8", msg.Text},
		{"text/html; charset=utf-8", msg.HTML},
	} {
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.ctype},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return r, fmt.Errorf("create mime part: %w", err)
		}
		if err := writeQP(pw, part.body); err != nil {
			return r, fmt.Errorf("encode %s body: %w", part.ctype, err)
		}
	}
	if err := mw.Close(); err != nil {
		return r, fmt.Errorf("close mime body: %w", err)
	}
	r.data = b.Bytes()
	return r, nil
}

// extraHeaders validates Message.Headers and returns them encoded, sorted by name.
func extraHeaders(hs map[string]string) ([][2]string, error) {
	out := make([][2]string, 0, len(hs))
	for name, value := range hs {
		switch {
		case !validHeaderName(name):
			return nil, fmt.Errorf("%w: header name %q is not an RFC 5322 field name", ErrInvalidMessage, name)
		case reserved[strings.ToLower(name)]:
			return nil, fmt.Errorf("%w: header %s is set by the renderer", ErrInvalidMessage, name)
		case hasControl(value):
			return nil, fmt.Errorf("%w: header %s contains CR, LF or another control character", ErrInvalidMessage, name)
		case !utf8.ValidString(value) || len(value) > maxHeaderLen:
			return nil, fmt.Errorf("%w: header %s is not valid UTF-8 or longer than %d bytes", ErrInvalidMessage, name, maxHeaderLen)
		}
		name = textproto.CanonicalMIMEHeaderKey(name)
		if strings.EqualFold(name, "Reply-To") {
			list, err := mail.ParseAddressList(value)
			if err != nil || len(list) == 0 {
				return nil, fmt.Errorf("%w: header Reply-To is not an address list", ErrInvalidMessage)
			}
			as := make([]Address, len(list))
			for i, p := range list {
				as[i] = Address{Name: p.Name, Email: p.Address}
				if err := as[i].validate(); err != nil {
					return nil, fmt.Errorf("Reply-To[%d]: %w", i, err)
				}
			}
			out = append(out, [2]string{name, addressList(as)})
			continue
		}
		out = append(out, [2]string{name, mime.QEncoding.Encode("utf-8", value)})
	}
	slices.SortFunc(out, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return out, nil
}

// addressList formats addresses as a comma-separated header value.
func addressList(as []Address) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = a.String()
	}
	return strings.Join(parts, ", ")
}

// headerWriter writes folded header lines; the first error sticks.
type headerWriter struct {
	buf bytes.Buffer
	err error
}

// add writes "name: value" folded before spaces so lines stay near foldAt characters. value
// is already encoded (ASCII, no control characters); unfolding restores it exactly.
func (h *headerWriter) add(name, value string) {
	if h.err != nil {
		return
	}
	h.buf.WriteString(name)
	h.buf.WriteString(":")
	n := len(name) + 1
	for _, w := range strings.Split(value, " ") {
		if len(w) > maxWord {
			h.err = fmt.Errorf("%w: header %s has a word longer than %d bytes", ErrInvalidMessage, name, maxWord)
			return
		}
		if n+1+len(w) > foldAt {
			h.buf.WriteString("\r\n")
			n = 0
		}
		h.buf.WriteByte(' ')
		h.buf.WriteString(w)
		n += 1 + len(w)
	}
	h.buf.WriteString("\r\n")
}

// writeQP writes s quoted-printable (line breaks become CRLF, long lines get soft breaks).
func writeQP(w interface{ Write([]byte) (int, error) }, s string) error {
	qw := quotedprintable.NewWriter(w)
	if _, err := qw.Write([]byte(s)); err != nil {
		return err
	}
	return qw.Close()
}
