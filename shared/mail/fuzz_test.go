package mail_test

import (
	"bytes"
	"mime"
	"net/mail"
	"slices"
	"strings"
	"testing"

	mmail "github.com/meetingminutes/minutes/shared/mail"
)

// FuzzRenderHeaders feeds arbitrary subjects, display names and extra header values to the
// renderer: it either refuses the message or produces one whose header fields are exactly
// the expected ones (no injected field) and whose subject and name decode back unchanged.
func FuzzRenderHeaders(f *testing.F) {
	f.Add("Weekly sync", "Zoë", "note")
	f.Add("x\r\nBcc: victim@example.org", "Eve\nBcc: v@example.org", "a\rb")
	f.Add("=?utf-8?q?already_encoded?=", "\"quoted\" <name>", "=?x?")
	f.Add("🚀 launch — review", "Doe, John", "ü")
	f.Fuzz(func(t *testing.T, subject, name, value string) {
		msg := mmail.Message{
			From:    mmail.Address{Name: name, Email: "from@example.com"},
			To:      []mmail.Address{{Name: name, Email: "to@example.com"}},
			Subject: subject,
			Text:    "body",
			Headers: map[string]string{"X-Note": value},
			ID:      "fuzz",
		}
		data, err := mmail.Render(msg, mmail.Address{}, at)
		if err != nil {
			return
		}
		m, err := mail.ReadMessage(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("rendered message does not parse: %v", err)
		}
		var keys []string
		for k := range m.Header {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		want := []string{"Content-Transfer-Encoding", "Content-Type", "Date", "From", "Message-Id", "Mime-Version", "To", "X-Note"}
		if subject != "" {
			want = append(want, "Subject")
			slices.Sort(want)
		}
		if !slices.Equal(keys, want) {
			t.Fatalf("header fields %v, want %v", keys, want)
		}
		var dec mime.WordDecoder
		// Parsers trim and fold whitespace runs, and ASCII text that looks like an encoded word
		// is decoded by readers: compare words, skip the look-alikes.
		got, err := dec.DecodeHeader(m.Header.Get("Subject"))
		if err == nil && !strings.Contains(subject, "=?") && !slices.Equal(strings.Fields(got), strings.Fields(subject)) {
			t.Fatalf("subject %q decoded as %q", subject, got)
		}
		for _, h := range []string{"From", "To"} {
			as, err := m.Header.AddressList(h)
			if err != nil || len(as) != 1 || as[0].Name != name {
				t.Fatalf("%s does not parse back to one address named %q: %v %v", h, name, as, err)
			}
		}
	})
}
