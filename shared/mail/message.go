package mail

import (
	"crypto/rand"
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// ErrInvalidMessage is wrapped by every validation failure of a [Message] or [Address]. The
// message names the field, never its value.
var ErrInvalidMessage = errors.New("invalid mail message")

// Address is a mailbox: an optional display name (UTF-8, at most 512 bytes) and an ASCII
// e-mail address.
type Address struct {
	// Name is the display name, "" for none.
	Name string
	// Email is the bare address, "user@example.com".
	Email string
}

// String formats a as a header value ("Name <user@example.com>"), quoting an ASCII name as
// needed and RFC 2047 B-encoding a non-ASCII one. It does not validate.
func (a Address) String() string {
	if isASCII(a.Name) {
		return (&mail.Address{Name: a.Name, Address: a.Email}).String()
	}
	// net/mail would Q-encode, leaving characters such as '\' bare, which RFC 2047 §5 forbids
	// in a phrase and net/mail itself then fails to parse; B-encoding is phrase-safe.
	return mime.BEncoding.Encode("utf-8", a.Name) + " <" + a.Email + ">"
}

// IsZero reports whether a is the zero Address.
func (a Address) IsZero() bool { return a == Address{} }

// ParseAddress parses one RFC 5322 mailbox ("Minutes <minutes@example.com>" or a bare
// address) and validates it like a message address.
func ParseAddress(s string) (Address, error) {
	if hasControl(s) {
		return Address{}, fmt.Errorf("%w: address contains a control character", ErrInvalidMessage)
	}
	p, err := mail.ParseAddress(s)
	if err != nil {
		return Address{}, fmt.Errorf("%w: address does not parse", ErrInvalidMessage)
	}
	a := Address{Name: p.Name, Email: p.Address}
	if err := a.validate(); err != nil {
		return Address{}, err
	}
	return a, nil
}

// validate checks that a has a bare ASCII address net/mail accepts and a name without
// control characters. Errors do not include the address (it may be hostile or personal).
func (a Address) validate() error {
	switch {
	case a.Email == "":
		return fmt.Errorf("%w: empty address", ErrInvalidMessage)
	case hasControl(a.Name) || hasControl(a.Email):
		return fmt.Errorf("%w: CR, LF or another control character in an address or name", ErrInvalidMessage)
	case !utf8.ValidString(a.Name):
		return fmt.Errorf("%w: name is not valid UTF-8", ErrInvalidMessage)
	case !isASCII(a.Email):
		return fmt.Errorf("%w: non-ASCII address (SMTPUTF8 is not supported; use the punycode domain)", ErrInvalidMessage)
	case len(a.Email) > 254:
		return fmt.Errorf("%w: address longer than 254 bytes", ErrInvalidMessage)
	case len(a.Name) > maxNameLen:
		return fmt.Errorf("%w: name longer than %d bytes", ErrInvalidMessage, maxNameLen)
	}
	p, err := mail.ParseAddress(a.Email)
	if err != nil || p.Address != a.Email || p.Name != "" {
		return fmt.Errorf("%w: not a bare e-mail address", ErrInvalidMessage)
	}
	return nil
}

// domain returns the part after the last '@'.
func (a Address) domain() string { return a.Email[strings.LastIndexByte(a.Email, '@')+1:] }

// Message is one e-mail. To and Cc together need at least one recipient; Text is required
// (a plain-text alternative for every HTML mail).
type Message struct {
	// From is the author; zero means the sender's configured default.
	From Address
	// To and Cc are the recipients (all receive the same bytes; there is no Bcc).
	To, Cc []Address
	// Subject is any single-line UTF-8 text.
	Subject string
	// Text is the plain-text body. Required.
	Text string
	// HTML is the HTML body, optional; with it the message is multipart/alternative.
	HTML string
	// Headers are extra headers ("List-Unsubscribe", "Auto-Submitted", "Reply-To", "X-…").
	// Names must be RFC 5322 field names; headers the renderer writes itself (From, To, Cc,
	// Bcc, Subject, Date, Message-ID, MIME-Version, Content-*, Sender, Return-Path) are
	// refused. Values are single-line; non-ASCII values are RFC 2047 encoded. Reply-To is
	// parsed as an address list and validated like To.
	Headers map[string]string
	// ID is the idempotency key, rendered as Message-ID <ID@from-domain> and used as the
	// Dir file name: 1 to 128 characters of A-Z a-z 0-9 . _ - + =, starting with a letter or
	// digit, no "..", not ending in '.'. Empty means a random ID (no idempotency).
	ID string
}

// Length limits.
const (
	maxIDLen   = 128 // Message.ID
	maxNameLen = 512 // Address.Name, bytes
)

// reserved are the header names the renderer writes or that must never come from a caller.
var reserved = map[string]bool{
	"from": true, "to": true, "cc": true, "bcc": true, "subject": true, "date": true,
	"message-id": true, "mime-version": true, "content-type": true,
	"content-transfer-encoding": true, "content-disposition": true, "content-id": true,
	"sender": true, "return-path": true,
}

// validID checks Message.ID.
func validID(id string) error {
	if id == "" || len(id) > maxIDLen {
		return fmt.Errorf("%w: ID must be 1 to %d characters", ErrInvalidMessage, maxIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if i == 0 && !alnum {
			return fmt.Errorf("%w: ID must start with a letter or digit", ErrInvalidMessage)
		}
		if !alnum && !strings.ContainsRune("._-+=", rune(c)) {
			return fmt.Errorf("%w: ID may hold only A-Z a-z 0-9 . _ - + =", ErrInvalidMessage)
		}
	}
	if strings.Contains(id, "..") || strings.HasSuffix(id, ".") {
		return fmt.Errorf("%w: ID has \"..\" or ends in '.'", ErrInvalidMessage)
	}
	return nil
}

// randomID returns a fresh 128-bit message ID.
func randomID() string { return strings.ToLower(rand.Text()) }

// validHeaderName reports whether name is an RFC 5322 field name (printable ASCII but ':').
func validHeaderName(name string) bool {
	if name == "" || len(name) > 76 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 33 || c > 126 || c == ':' {
			return false
		}
	}
	return true
}

// hasControl reports whether s holds an ASCII control character (tab, CR and LF included),
// DEL, or a Unicode line break (NEL, LS, PS) that some clients would render as one.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return true
		}
	}
	return strings.ContainsRune(s, '\u2028') || strings.ContainsRune(s, '\u2029') || strings.ContainsRune(s, '\u0085')
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
