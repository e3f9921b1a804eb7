package billing

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/meetingminutes/minutes/shared/logging"
	"github.com/meetingminutes/minutes/shared/mail"
	"github.com/meetingminutes/minutes/shared/store"
)

// Notifier emails a tenant's admins about its billing. Sending is best effort, after the
// change it reports has committed: a failure is logged, never undoes the change.
type Notifier struct {
	stores store.Resolver
	mail   mail.Sender
	from   mail.Address
	base   *url.URL
	log    *slog.Logger
}

// NewNotifier returns a notifier; sender nil only logs the notices. base (PUBLIC_BASE_URL)
// makes the links absolute.
func NewNotifier(stores store.Resolver, sender mail.Sender, from mail.Address, base *url.URL, log *slog.Logger) *Notifier {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Notifier{stores: stores, mail: sender, from: from, base: base, log: log}
}

// Send emails each notice to its tenant's active admins.
func (n *Notifier) Send(ctx context.Context, notices []Notice) {
	if n == nil {
		return
	}
	for _, nt := range notices {
		ctx := logging.With(ctx, slog.String(logging.KeyTenantID, nt.Tenant.String()))
		if err := n.send(ctx, nt); err != nil {
			n.log.WarnContext(ctx, "billing notice not sent", "notice", string(nt.Kind), "error", err)
			continue
		}
		n.log.InfoContext(ctx, "billing notice sent", "notice", string(nt.Kind))
	}
}

func (n *Notifier) send(ctx context.Context, nt Notice) error {
	if n.mail == nil || n.stores == nil {
		return fmt.Errorf("no mail configured")
	}
	st, err := n.stores.For(ctx, nt.Tenant)
	if err != nil {
		return err
	}
	admins, err := st.ListUsers(ctx, store.ListUsersParams{Role: store.RoleAdmin, Limit: store.MaxLimit})
	if err != nil {
		return err
	}
	var to []mail.Address
	for _, u := range admins {
		if u.Status == store.UserActive {
			to = append(to, mail.Address{Name: u.DisplayName, Email: u.Email})
		}
	}
	if len(to) == 0 {
		return fmt.Errorf("the tenant has no active admin")
	}
	msg := n.message(nt)
	msg.From, msg.To = n.from, to
	return n.mail.Send(ctx, msg)
}

// message renders a notice (plain text; the portal's billing page has the details).
func (n *Notifier) message(nt Notice) mail.Message {
	link := BillingPath
	if n.base != nil {
		link = n.base.JoinPath(BillingPath).String()
	}
	date := ""
	if nt.At != nil {
		date = nt.At.UTC().Format("2 January 2006 15:04 UTC")
	}
	var subject, text string
	switch nt.Kind {
	case NoticeTrialEnding:
		subject = "Your Meeting Minutes trial ends soon"
		text = "Your trial ends on " + date + ". To keep your minutes flowing, check your payment details:\n\n" + link
	case NoticePaymentFailed:
		subject = "Payment failed: action needed to keep Meeting Minutes running"
		text = "We could not collect your latest payment. Meeting Minutes keeps working until " + date +
			"; after that the account is suspended (your data is kept, nothing new is processed).\n\nUpdate your payment details: " + link
		if nt.URL != "" {
			text += "\nPay the invoice: " + nt.URL
		}
	case NoticeSuspended:
		subject = "Your Meeting Minutes account is suspended"
		text = "Payment is still outstanding, so the account is suspended: the portal is read-only and no new meetings are processed. " +
			"Your data is kept. Paying the open invoice reinstates it at once:\n\n" + link
	case NoticeReinstated:
		subject = "Your Meeting Minutes account is active again"
		text = "Thank you: the account is active again. Meetings held while it was suspended are being processed now.\n\n" + link
	case NoticeCancelled:
		subject = "Your Meeting Minutes subscription has ended"
		text = "The subscription has ended and the account is read-only. Your data is kept for the retention period, then deleted. " +
			"Subscribe again to continue:\n\n" + link
	}
	return mail.Message{Subject: subject, Text: text + "\n",
		Headers: map[string]string{"Auto-Submitted": "auto-generated"}, ID: noticeID(nt)}
}

// noticeID is the idempotent Message-ID of a notice: the same notice is one email.
func noticeID(nt Notice) string {
	id := "billing." + string(nt.Kind) + "." + nt.Tenant.String() + "." + nt.Key
	id = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		if r == '.' {
			return '.'
		}
		return '-'
	}, id)
	if len(id) > 128 {
		id = id[:128]
	}
	return strings.TrimRight(id, ".")
}
