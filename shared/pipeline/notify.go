package pipeline

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/meetingminutes/minutes/shared/mail"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// MailNotifier mails a tenant's active admins about an alert, one message to all of them.
type MailNotifier struct {
	Sender mail.Sender
	From   mail.Address
	// BaseURL is the public base URL; the mail links to the portal under it. Nil: no link.
	BaseURL *url.URL
}

// maxAdmins bounds the recipients: an alert goes to admins, and a tenant with hundreds of
// them is better served by the portal banner than by one enormous To line.
const maxAdmins = 50

var unsafeIDChars = regexp.MustCompile(`[^A-Za-z0-9._=+-]`)

// NotifyAdmins implements the ingest Notifier. The message id is derived from the tenant, the
// kind and the opening, so a retried send of the same opening is the same message.
func (n MailNotifier) NotifyAdmins(ctx context.Context, t tenancy.Tenant, st store.Store, a store.Alert) error {
	admins, err := st.ListUsers(ctx, store.ListUsersParams{Role: store.RoleAdmin, Limit: maxAdmins})
	if err != nil {
		return fmt.Errorf("list admins: %w", err)
	}
	var to []mail.Address
	for _, u := range admins {
		if u.Status == store.UserActive {
			to = append(to, mail.Address{Name: u.DisplayName, Email: u.Email})
		}
	}
	if len(to) == 0 {
		return nil // nobody to tell; the portal shows it
	}
	text := a.Title + "\n\n" + a.Detail + "\n"
	if n.BaseURL != nil {
		text += "\nOpen Meeting Minutes: " + n.BaseURL.JoinPath("/api/app/").String() + "\n"
	}
	text += "\nYou receive this because you are an administrator of " + t.Name + " in Meeting Minutes. " +
		"We write once per problem; the portal shows it until it is fixed.\n"
	id := unsafeIDChars.ReplaceAllString(fmt.Sprintf("alert-%s-%s-%d", t.ID, a.Kind, a.FirstSeenAt.Unix()), "-")
	msg := mail.Message{From: n.From, To: to, Subject: "Action needed: " + strings.TrimSpace(a.Title), Text: text, ID: id,
		Headers: map[string]string{"Auto-Submitted": "auto-generated"}}
	if err := n.Sender.Send(ctx, msg); err != nil {
		return fmt.Errorf("send alert mail: %w", err)
	}
	return nil
}
