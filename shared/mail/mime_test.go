package mail_test

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	mmail "github.com/meetingminutes/minutes/shared/mail"
)

var (
	at     = time.Date(2026, 3, 2, 14, 30, 0, 0, time.FixedZone("CET", 3600))
	sender = mmail.Address{Name: "Meeting Minutes", Email: "minutes@example.com"}
)

// message returns a valid message; tweak overrides fields.
func message(tweak func(*mmail.Message)) mmail.Message {
	m := mmail.Message{
		From:    mmail.Address{Name: "Zoë Ångström (Minutes)", Email: "zoe@example.com"},
		To:      []mmail.Address{{Name: "Jürgen Müller", Email: "juergen@example.de"}, {Email: "ann@example.com"}},
		Cc:      []mmail.Address{{Name: "Doe, John", Email: "john@example.com"}},
		Subject: "Protokoll: Wöchentliche Abstimmung — Budget 📈",
		Text:    "Hallo Jürgen,\nhier ist das Protokoll.\n\n-- \nMeeting Minutes\n",
		HTML:    "<p>Hallo Jürgen,</p>\n<p>hier ist das <b>Protokoll</b>.</p>\n",
		Headers: map[string]string{"Auto-Submitted": "auto-generated", "X-Tenant-Name": "Bäckerei GmbH"},
		ID:      "invitation.0195f3a2-7c41-7d2e-9b0a-3f6c2d1e4a5b",
	}
	if tweak != nil {
		tweak(&m)
	}
	return m
}

// parsed is a rendered message read back with net/mail and mime/multipart.
type parsed struct {
	header  mail.Header
	subject string
	parts   map[string]string // media type → decoded body, CRLF turned to LF
}

func parse(t *testing.T, data []byte) parsed {
	t.Helper()
	for i, line := range strings.Split(string(data), "\r\n") {
		require.LessOrEqual(t, len(line), 998, "line %d", i)
		require.NotContains(t, line, "\n", "bare LF in line %d", i)
		for _, c := range []byte(line) {
			require.Less(t, c, byte(0x80), "8-bit byte in line %d", i)
		}
	}
	m, err := mail.ReadMessage(bytes.NewReader(data))
	require.NoError(t, err)
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(m.Header.Get("Subject"))
	require.NoError(t, err)
	p := parsed{header: m.Header, subject: subject, parts: map[string]string{}}

	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	require.NoError(t, err)
	if !strings.HasPrefix(mt, "multipart/") {
		require.Equal(t, "quoted-printable", m.Header.Get("Content-Transfer-Encoding"))
		p.parts[mt] = readQP(t, m.Body)
		return p
	}
	require.Equal(t, "multipart/alternative", mt)
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextPart() // decodes quoted-printable itself
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		pt, pparams, err := mime.ParseMediaType(part.Header.Get("Content-Type"))
		require.NoError(t, err)
		require.Equal(t, "utf-8", pparams["charset"])
		b, err := io.ReadAll(part)
		require.NoError(t, err)
		p.parts[pt] = strings.ReplaceAll(string(b), "\r\n", "\n")
	}
	return p
}

func readQP(t *testing.T, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(quotedprintable.NewReader(r))
	require.NoError(t, err)
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}

func TestRenderMultipart(t *testing.T) {
	t.Parallel()
	msg := message(func(m *mmail.Message) {
		m.Headers["Reply-To"] = "Jürgen Müller <juergen@example.de>"
	})
	data, err := mmail.Render(msg, sender, at)
	require.NoError(t, err)
	p := parse(t, data)

	require.Equal(t, msg.Subject, p.subject)
	from, err := p.header.AddressList("From")
	require.NoError(t, err)
	require.Equal(t, []*mail.Address{{Name: msg.From.Name, Address: msg.From.Email}}, from)
	to, err := p.header.AddressList("To")
	require.NoError(t, err)
	require.Equal(t, []*mail.Address{{Name: "Jürgen Müller", Address: "juergen@example.de"}, {Address: "ann@example.com"}}, to)
	cc, err := p.header.AddressList("Cc")
	require.NoError(t, err)
	require.Equal(t, []*mail.Address{{Name: "Doe, John", Address: "john@example.com"}}, cc)
	replyTo, err := p.header.AddressList("Reply-To")
	require.NoError(t, err)
	require.Equal(t, "Jürgen Müller", replyTo[0].Name)

	require.Equal(t, "<invitation.0195f3a2-7c41-7d2e-9b0a-3f6c2d1e4a5b@example.com>", p.header.Get("Message-ID"))
	date, err := p.header.Date()
	require.NoError(t, err)
	require.True(t, date.Equal(at))
	require.Equal(t, "1.0", p.header.Get("MIME-Version"))
	require.Equal(t, "auto-generated", p.header.Get("Auto-Submitted"))
	var dec mime.WordDecoder
	tenant, err := dec.DecodeHeader(p.header.Get("X-Tenant-Name"))
	require.NoError(t, err)
	require.Equal(t, "Bäckerei GmbH", tenant)
	require.Empty(t, p.header.Get("Bcc"))

	require.Len(t, p.parts, 2)
	require.Equal(t, msg.Text, p.parts["text/plain"])
	require.Equal(t, msg.HTML, p.parts["text/html"])

	again, err := mmail.Render(msg, sender, at)
	require.NoError(t, err)
	require.Equal(t, data, again, "rendering is deterministic for one ID and time")
}

func TestRenderTextOnly(t *testing.T) {
	t.Parallel()
	msg := message(func(m *mmail.Message) {
		m.HTML = ""
		m.From = mmail.Address{}
		m.Text = strings.Repeat("lange Zeile ", 40) + "\nend" // a line over 76 characters
	})
	data, err := mmail.Render(msg, sender, at)
	require.NoError(t, err)
	p := parse(t, data)
	require.Equal(t, map[string]string{"text/plain": msg.Text}, p.parts)
	from, err := p.header.AddressList("From")
	require.NoError(t, err)
	require.Equal(t, sender.Email, from[0].Address, "the default From fills a zero From")
}

func TestRenderFoldsLongHeaders(t *testing.T) {
	t.Parallel()
	subject := strings.Repeat("Entscheidungen und Aufgaben für das Quartal ", 12)
	var to []mmail.Address
	for _, n := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		to = append(to, mmail.Address{Name: "Teilnehmerin " + strings.ToUpper(n) + " Müller", Email: n + "@example.com"})
	}
	msg := message(func(m *mmail.Message) { m.Subject, m.To = subject, to })
	data, err := mmail.Render(msg, sender, at)
	require.NoError(t, err)
	head, _, _ := strings.Cut(string(data), "\r\n\r\n")
	for _, line := range strings.Split(head, "\r\n") {
		require.LessOrEqual(t, len(line), 78, line)
	}
	p := parse(t, data)
	require.Equal(t, subject, p.subject)
	got, err := p.header.AddressList("To")
	require.NoError(t, err)
	require.Len(t, got, len(to))
	require.Equal(t, to[7].Name, got[7].Name)
}

func TestRenderRefuses(t *testing.T) {
	t.Parallel()
	cases := map[string]func(*mmail.Message){
		"CRLF in subject":              func(m *mmail.Message) { m.Subject = "Hi\r\nBcc: victim@example.org" },
		"LF in subject":                func(m *mmail.Message) { m.Subject = "Hi\nBcc: victim@example.org" },
		"CR in subject":                func(m *mmail.Message) { m.Subject = "Hi\rthere" },
		"NUL in subject":               func(m *mmail.Message) { m.Subject = "Hi\x00" },
		"line separator in subject":    func(m *mmail.Message) { m.Subject = "Hi\u2028Bcc: x@example.org" },
		"CRLF in display name":         func(m *mmail.Message) { m.To[0].Name = "Eve\r\nBcc: victim@example.org" },
		"LF in address":                func(m *mmail.Message) { m.To[0].Email = "eve@example.org\nBcc: victim@example.org" },
		"CRLF in Cc address":           func(m *mmail.Message) { m.Cc[0].Email = "john@example.com\r\n" },
		"CRLF in From name":            func(m *mmail.Message) { m.From.Name = "x\r\nReply-To: eve@example.org" },
		"CRLF in extra header value":   func(m *mmail.Message) { m.Headers["X-Note"] = "a\r\nBcc: victim@example.org" },
		"colon in header name":         func(m *mmail.Message) { m.Headers["X-A: b"] = "c" },
		"space in header name":         func(m *mmail.Message) { m.Headers["X A"] = "c" },
		"Bcc header":                   func(m *mmail.Message) { m.Headers["bcc"] = "victim@example.org" },
		"Content-Type header":          func(m *mmail.Message) { m.Headers["Content-Type"] = "text/html" },
		"Message-ID header":            func(m *mmail.Message) { m.Headers["Message-Id"] = "<x@y>" },
		"bad Reply-To":                 func(m *mmail.Message) { m.Headers["Reply-To"] = "not an address" },
		"two addresses in one":         func(m *mmail.Message) { m.To[0].Email = "a@example.com, b@example.com" },
		"name inside Email":            func(m *mmail.Message) { m.To[0].Email = "Eve <eve@example.org>" },
		"not an address":               func(m *mmail.Message) { m.To[0].Email = "eve" },
		"non-ASCII address":            func(m *mmail.Message) { m.To[0].Email = "jürgen@example.de" },
		"empty address":                func(m *mmail.Message) { m.Cc[0].Email = "" },
		"no recipients":                func(m *mmail.Message) { m.To, m.Cc = nil, nil },
		"no text body":                 func(m *mmail.Message) { m.Text = " \n" },
		"ID with slash":                func(m *mmail.Message) { m.ID = "../../etc/passwd" },
		"ID with leading dot":          func(m *mmail.Message) { m.ID = ".hidden" },
		"ID with double dot":           func(m *mmail.Message) { m.ID = "a..b" },
		"ID with colon":                func(m *mmail.Message) { m.ID = "invite:1" },
		"ID with CRLF":                 func(m *mmail.Message) { m.ID = "a\r\nb" },
		"ID too long":                  func(m *mmail.Message) { m.ID = strings.Repeat("a", 129) },
		"invalid UTF-8 body":           func(m *mmail.Message) { m.Text = "\xff" },
		"unbreakable long header word": func(m *mmail.Message) { m.Headers["X-Long"] = strings.Repeat("a", 1000) },
	}
	for name, tweak := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := mmail.Render(message(tweak), sender, at)
			require.ErrorIs(t, err, mmail.ErrInvalidMessage)
			require.True(t, mmail.Permanent(err))
			require.NotContains(t, err.Error(), "victim", "errors do not echo the hostile value")
		})
	}
	_, err := mmail.Render(message(func(m *mmail.Message) { m.From = mmail.Address{} }), mmail.Address{}, at)
	require.ErrorIs(t, err, mmail.ErrInvalidMessage, "no From at all")
}

func TestParseAddress(t *testing.T) {
	t.Parallel()
	a, err := mmail.ParseAddress("Minutes <minutes@example.com>")
	require.NoError(t, err)
	require.Equal(t, mmail.Address{Name: "Minutes", Email: "minutes@example.com"}, a)
	a, err = mmail.ParseAddress("=?utf-8?q?Zo=C3=AB?= <zoe@example.com>")
	require.NoError(t, err)
	require.Equal(t, "Zoë", a.Name)
	for _, bad := range []string{"", "minutes", "a@b.example, c@d.example", "x <a@b.example>\r\nBcc: v@example.org"} {
		_, err := mmail.ParseAddress(bad)
		require.ErrorIs(t, err, mmail.ErrInvalidMessage, bad)
	}
}

func TestPermanent(t *testing.T) {
	t.Parallel()
	require.True(t, mmail.Permanent(&textproto.Error{Code: 550, Msg: "no such user"}))
	require.False(t, mmail.Permanent(&textproto.Error{Code: 451, Msg: "try later"}))
	require.False(t, mmail.Permanent(errors.New("connection reset")))
	require.False(t, mmail.Permanent(nil))
}
