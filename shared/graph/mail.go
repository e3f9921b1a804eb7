package graph

import (
	"context"
	"errors"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// Address is a mail recipient.
type Address struct {
	// Address is the email address.
	Address string
	// Name is the display name; optional.
	Name string
}

// Mail is an HTML message to send.
type Mail struct {
	// To are the recipients; at least one.
	To []Address
	// Subject is the subject line.
	Subject string
	// HTMLBody is the HTML body. It may hold meeting content: never log it.
	HTMLBody string
	// SaveToSentItems keeps a copy in the sender's Sent Items.
	SaveToSentItems bool
}

// SendMail sends m from the mailbox from (POST /users/{from}/sendMail). Graph answers 202:
// accepted, not delivered. Needs Mail.Send (restricted per mailbox by the customer's
// Exchange application access policy, whose refusal is a 403).
func (c *Client) SendMail(ctx context.Context, from UserID, m Mail) error {
	if from == "" {
		return errors.New("send mail: sender is required")
	}
	if len(m.To) == 0 {
		return errors.New("send mail: at least one recipient is required")
	}
	msg := models.NewMessage()
	msg.SetSubject(&m.Subject)
	body := models.NewItemBody()
	html := models.HTML_BODYTYPE
	body.SetContentType(&html)
	body.SetContent(&m.HTMLBody)
	msg.SetBody(body)
	to := make([]models.Recipientable, 0, len(m.To))
	for _, a := range m.To {
		if a.Address == "" {
			return errors.New("send mail: recipient address is empty")
		}
		ea := models.NewEmailAddress()
		ea.SetAddress(&a.Address)
		if a.Name != "" {
			ea.SetName(&a.Name)
		}
		r := models.NewRecipient()
		r.SetEmailAddress(ea)
		to = append(to, r)
	}
	msg.SetToRecipients(to)
	req := users.NewItemSendMailPostRequestBody()
	req.SetMessage(msg)
	req.SetSaveToSentItems(&m.SaveToSentItems)
	if err := c.sdk.Users().ByUserId(string(from)).SendMail().Post(ctx, req, nil); err != nil {
		return wrap(err, "send mail from %s to %d recipients", from, len(m.To))
	}
	return nil
}
