package pipeline

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

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

// MailApprovers mails the approvers of a tenant that minutes wait for them: the named
// approvers in "named" mode, else every active approver and admin.
type MailApprovers struct {
	Sender  mail.Sender
	From    mail.Address
	BaseURL *url.URL
}

// NotifyApprovers implements the generate function's Approvers. The message id is the
// minutes version's, so a redelivered generate message does not mail twice (SMTP and Dir
// senders are idempotent on it).
func (n MailApprovers) NotifyApprovers(ctx context.Context, t tenancy.Tenant, st store.Store, m store.Meeting, mins store.Minutes) error {
	return n.send(ctx, st, m, mins, "")
}

// send mails the approvers; reminder, when set, opens the text and marks the mail (its own
// subject and message id).
func (n MailApprovers) send(ctx context.Context, st store.Store, m store.Meeting, mins store.Minutes, reminder string) error {
	set, err := st.Settings(ctx)
	if err != nil {
		return fmt.Errorf("read settings: %w", err)
	}
	var to []mail.Address
	seen := map[string]bool{}
	add := func(u store.User) {
		if u.Status == store.UserActive && !seen[strings.ToLower(u.Email)] {
			seen[strings.ToLower(u.Email)] = true
			to = append(to, mail.Address{Name: u.DisplayName, Email: u.Email})
		}
	}
	if set.ApprovalMode == store.ApprovalNamed {
		for _, id := range set.ApproverIDs {
			if u, err := st.User(ctx, id); err == nil {
				add(u)
			}
		}
	} else {
		for _, role := range []store.Role{store.RoleApprover, store.RoleAdmin} {
			us, err := st.ListUsers(ctx, store.ListUsersParams{Role: role, Limit: maxAdmins})
			if err != nil {
				return fmt.Errorf("list approvers: %w", err)
			}
			for _, u := range us {
				add(u)
			}
		}
	}
	if len(to) == 0 {
		return nil
	}
	subject := m.Subject
	if subject == "" {
		subject = "a meeting"
	}
	text := reminder + fmt.Sprintf("Draft minutes of %s (version %d) wait for your approval.\n", subject, mins.Version)
	if n.BaseURL != nil {
		text += "\nReview them: " + n.BaseURL.JoinPath("/api/app/meetings", m.ID.String()).String() + "\n"
	}
	text += "\nNothing is distributed until an approver approves them.\n"
	msg := mail.Message{From: n.From, To: to, Subject: "Minutes to approve: " + subject, Text: text,
		ID: "approve-" + mins.ID.String(), Headers: map[string]string{"Auto-Submitted": "auto-generated"}}
	if reminder != "" {
		msg.Subject, msg.ID = "Reminder: minutes to approve: "+subject, "remind-"+mins.ID.String()
	}
	if err := n.Sender.Send(ctx, msg); err != nil {
		return fmt.Errorf("send approval mail: %w", err)
	}
	return nil
}

// Remind implements the sweep's Reminder: the approval mail again, marked as a reminder,
// under its own idempotency id.
func (n MailApprovers) Remind(ctx context.Context, t tenancy.Tenant, st store.Store, m store.Meeting, mins store.Minutes, waiting time.Duration) error {
	return n.send(ctx, st, m, mins, fmt.Sprintf("Reminder: these minutes have waited %s. ", waiting.Round(time.Hour)))
}
