package graph

import (
	"context"
	"fmt"
	"html"
	"strings"

	"github.com/google/uuid"

	"github.com/meetingminutes/minutes/shared/mail"
)

// MailSender sends the product's own mail (welcome, invitations) through Graph sendMail from
// one mailbox of our own tenant, so managed installs need no SMTP relay. It implements
// mail.Sender. (Minutes are distributed from the customer's mailbox instead; see the
// publishing function.)
type MailSender struct {
	// Clients reaches Graph; Tenant is our own Entra tenant, From the sending mailbox there
	// (user id or UPN, e.g. no-reply@ourdomain), which needs the app's Mail.Send grant.
	Clients *Clients
	Tenant  uuid.UUID
	From    UserID
}

// Send sends msg. A message without an HTML part is sent as escaped, line-broken text.
func (s MailSender) Send(ctx context.Context, msg mail.Message) error {
	c, err := s.Clients.For(s.Tenant)
	if err != nil {
		return fmt.Errorf("send mail through graph: %w", err)
	}
	to := make([]Address, 0, len(msg.To)+len(msg.Cc))
	for _, a := range append(append([]mail.Address{}, msg.To...), msg.Cc...) {
		to = append(to, Address{Address: a.Email, Name: a.Name})
	}
	body := msg.HTML
	if body == "" {
		body = "<p>" + strings.ReplaceAll(html.EscapeString(msg.Text), "\n", "<br>") + "</p>"
	}
	if err := c.SendMail(ctx, s.From, Mail{To: to, Subject: msg.Subject, HTMLBody: body}); err != nil {
		return fmt.Errorf("send mail through graph: %w", err)
	}
	return nil
}

var _ mail.Sender = MailSender{}
