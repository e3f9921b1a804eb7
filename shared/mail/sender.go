package mail

import (
	"context"
	"errors"
	"net/textproto"
)

// Sender delivers one message. It is an interface because the product has several real
// transports — [SMTP], [Dir], and Microsoft Graph sendMail for tenants that want mail to leave
// from their own Exchange Online — chosen per deployment, and callers (invitations, minutes
// distribution) must not care which.
//
// Send validates the whole message before any I/O and returns an error wrapping
// [ErrInvalidMessage] for a message no retry can fix. Message.ID makes retries safe to
// repeat: see the package documentation.
type Sender interface {
	Send(ctx context.Context, msg Message) error
}

// Compile-time checks.
var (
	_ Sender = (*SMTP)(nil)
	_ Sender = (*Dir)(nil)
)

// Permanent reports whether err from a Sender will not go away by retrying: an invalid
// message, or an SMTP 5xx reply (unknown recipient, authentication refused, message
// rejected). Timeouts, connection failures and 4xx replies are worth a retry.
func Permanent(err error) bool {
	if errors.Is(err, ErrInvalidMessage) {
		return true
	}
	var te *textproto.Error
	return errors.As(err, &te) && te.Code >= 500 && te.Code < 600
}
