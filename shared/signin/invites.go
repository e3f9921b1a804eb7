package signin

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/meetingminutes/minutes/shared/access"
	"github.com/meetingminutes/minutes/shared/audit"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/identity"
	mailer "github.com/meetingminutes/minutes/shared/mail"
	"github.com/meetingminutes/minutes/shared/session"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// InvitationTTL is how long an invitation link works.
const InvitationTTL = 7 * 24 * time.Hour

const linkPurposeInvite = "invite"

// Invites creates invitations (signed single-use links, mailed) and accepts them.
type Invites struct {
	seats   Seats
	links   session.LinkCodec
	stores  store.Resolver
	tenants Tenants
	mail    mailer.Sender
	base    *url.URL
	from    mailer.Address
	now     func() time.Time
	log     *slog.Logger
}

// NewInvites returns the invitation service; mail may be nil (the link is then only shown to
// the admin), base is PUBLIC_BASE_URL.
func NewInvites(links session.LinkCodec, stores store.Resolver, tenants Tenants, m mailer.Sender, base *url.URL, from mailer.Address, now func() time.Time, log *slog.Logger) *Invites {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Invites{links: links, stores: stores, tenants: tenants, mail: m, base: base, from: from, now: now, log: log}
}

// Sent is an invitation and the link it carries.
type Sent struct {
	Invitation store.Invitation
	// Link is the acceptance URL; shown to the admin when no mail could be sent.
	Link   string
	Mailed bool
	// Warning is set when the invitation goes beyond a soft seat limit (Enterprise).
	Warning string
}

// Seats limits invitations to the seats the tenant pays for (the billing issue's gate).
type Seats interface {
	// Check returns a warning to show the admin (a soft limit), or an error refusing the
	// invitation with a message for the admin (a 409).
	Check(ctx context.Context, tenant tenancy.ID, st store.Store) (warning string, err error)
}

// WithSeats makes Invite check seats first; nil (the default) means no seat limit.
func (i *Invites) WithSeats(s Seats) *Invites {
	i.seats = s
	return i
}

// Invite invites email with role into the caller's tenant (admin only).
func (i *Invites) Invite(ctx context.Context, email string, role store.Role) (Sent, error) {
	p, err := access.RequireWrite(ctx, store.RoleAdmin)
	if err != nil {
		return Sent{}, err
	}
	addr, err := mail.ParseAddress(strings.TrimSpace(email))
	if err != nil || addr.Name != "" || strings.ContainsAny(addr.Address, "\r\n") {
		return Sent{}, fmt.Errorf("invite %q: %w", clip(email, 80), funchost.Status(http.StatusBadRequest, "enter one email address"))
	}
	if !role.Valid() {
		return Sent{}, funchost.Status(http.StatusBadRequest, "choose a role: admin, approver or member")
	}
	st, err := p.Store()
	if err != nil {
		return Sent{}, err
	}
	var warning string
	if i.seats != nil {
		if warning, err = i.seats.Check(ctx, p.Tenant, st); err != nil {
			return Sent{}, fmt.Errorf("invite: %w", err)
		}
	}
	var object [16]byte
	if _, err := rand.Read(object[:]); err != nil {
		return Sent{}, fmt.Errorf("invite: %w", err)
	}
	token, hash, err := i.links.Issue(linkPurposeInvite, p.Tenant.UUID(), object)
	if err != nil {
		return Sent{}, fmt.Errorf("invite: %w", err)
	}
	now := i.now()
	var inv store.Invitation
	err = st.Tx(ctx, func(tx store.Store) error {
		var err error
		if inv, err = tx.CreateInvitation(ctx, store.InvitationInput{Email: addr.Address, Role: role, TokenSHA256: hash,
			InvitedBy: p.User, ExpiresAt: now.Add(InvitationTTL)}); err != nil {
			return err
		}
		_, err = tx.Audit(ctx, audit.Entry{At: now, Actor: audit.Actor{Type: audit.ActorUser, ID: p.User.String()},
			Action: "invitation.created", Target: audit.Target{Type: "invitation", ID: inv.ID.String()},
			Details: map[string]any{"role": string(role)}})
		return err
	})
	if err != nil {
		return Sent{}, fmt.Errorf("invite: %w", err)
	}
	sent := Sent{Invitation: inv, Link: i.acceptURL(token), Warning: warning}
	if i.mail != nil {
		t, _ := i.tenants.Get(ctx, p.Tenant)
		if err := i.mail.Send(ctx, invitationMail(i.from, addr.Address, p.Name, t.Name, sent.Link, inv.ID.String())); err != nil {
			i.log.WarnContext(ctx, "invitation mail not sent; the admin can share the link", "error", err)
		} else {
			sent.Mailed = true
		}
	}
	return sent, nil
}

func (i *Invites) acceptURL(token string) string {
	u := url.URL{Path: "/api/app/invitations/accept", RawQuery: url.Values{"token": {token}}.Encode()}
	if i.base != nil {
		return i.base.ResolveReference(&u).String()
	}
	return u.String()
}

func invitationMail(from mailer.Address, to, inviter, org, link, id string) mailer.Message {
	if inviter == "" {
		inviter = "An administrator"
	}
	subject := fmt.Sprintf("%s invited you to Meeting Minutes", inviter)
	text := fmt.Sprintf("%s invited you to join %s in Meeting Minutes.\n\nAccept the invitation (valid for 7 days, once):\n%s\n", inviter, org, link)
	htmlBody := fmt.Sprintf(`<p>%s invited you to join <strong>%s</strong> in Meeting Minutes.</p><p><a href="%s">Accept the invitation</a> (valid for 7 days, once).</p>`,
		html.EscapeString(inviter), html.EscapeString(org), html.EscapeString(link))
	return mailer.Message{From: from, To: []mailer.Address{{Email: to}}, Subject: subject, Text: text, HTML: htmlBody, ID: "invitation-" + id}
}

// Lookup checks an invitation link without using it, for the acceptance page.
func (i *Invites) Lookup(ctx context.Context, token string) (store.Invitation, tenancy.Tenant, error) {
	tid, _, hash, err := i.links.Parse(linkPurposeInvite, token)
	if err != nil {
		return store.Invitation{}, tenancy.Tenant{}, store.ErrNotFound
	}
	id, err := tenancy.ParseID(uuidString(tid))
	if err != nil {
		return store.Invitation{}, tenancy.Tenant{}, store.ErrNotFound
	}
	t, err := i.tenants.Get(ctx, id)
	if err != nil {
		return store.Invitation{}, tenancy.Tenant{}, store.ErrNotFound
	}
	st, err := i.stores.For(ctx, id)
	if err != nil {
		return store.Invitation{}, tenancy.Tenant{}, fmt.Errorf("look up invitation: %w", err)
	}
	inv, err := st.InvitationByToken(ctx, hash)
	if err != nil {
		return store.Invitation{}, tenancy.Tenant{}, err
	}
	switch inv.State(i.now()) {
	case store.InvitationPending:
		return inv, t, nil
	case store.InvitationExpired:
		return inv, t, store.ErrExpired
	}
	return inv, t, fmt.Errorf("invitation already used or revoked: %w", store.ErrConflict)
}

// Accept is the acceptance page's form: it sends the invitee to sign in, carrying the token in
// the single-use handshake.
func (i *Invites) Accept(ctx context.Context, token string) (string, error) {
	if _, _, err := i.Lookup(ctx, token); err != nil {
		return "", err
	}
	return "/api/app/auth/invite?token=" + url.QueryEscape(token), nil
}

// startInvite is GET /api/app/auth/invite: sign in to accept.
func (h *Handler) startInvite(w http.ResponseWriter, r *http.Request) error {
	token := r.URL.Query().Get("token")
	if _, _, err := h.d.Invites.Lookup(r.Context(), token); err != nil {
		return inviteError(err)
	}
	return h.startOIDC(w, r, purposeInvite, "/api/app/invitations/accept?token="+url.QueryEscape(token))
}

// complete accepts the invitation once the invitee has signed in: the user must belong to the
// inviting organisation's directory, and the link works once.
func (i *Invites) complete(w http.ResponseWriter, r *http.Request, h *Handler, s *session.Session, returnTo string, c identity.Claims) error {
	ctx := r.Context()
	u, err := url.Parse(returnTo)
	if err != nil {
		return store.ErrNotFound
	}
	inv, t, err := i.Lookup(ctx, u.Query().Get("token"))
	if err != nil {
		return inviteError(err)
	}
	if t.AzureTenantID != nil && *t.AzureTenantID != c.TenantID {
		return funchost.Status(http.StatusForbidden, "sign in with your "+t.Name+" account to accept this invitation")
	}
	st, err := i.stores.For(ctx, t.ID)
	if err != nil {
		return fmt.Errorf("accept invitation: %w", err)
	}
	var user store.User
	now := i.now()
	err = st.Tx(ctx, func(tx store.Store) error {
		var err error
		user, err = tx.UserByEntraID(ctx, c.ObjectID)
		if errors.Is(err, store.ErrNotFound) {
			user, err = tx.CreateUser(ctx, store.UserInput{Email: inv.Email, DisplayName: clip(c.Name, 200), EntraObjectID: c.ObjectID, Role: inv.Role})
		}
		if err != nil {
			return err
		}
		if _, err := tx.AcceptInvitation(ctx, inv.ID, user.ID, now); err != nil {
			return err
		}
		_, err = tx.Audit(ctx, audit.Entry{At: now, Actor: audit.Actor{Type: audit.ActorUser, ID: user.ID.String()},
			Action: "invitation.accepted", Target: audit.Target{Type: "invitation", ID: inv.ID.String()}})
		return err
	})
	if err != nil {
		return inviteError(err)
	}
	return h.signInAs(w, r, s, t.ID, user, "/api/app/meetings")
}

func inviteError(err error) error {
	switch {
	case errors.Is(err, store.ErrExpired):
		return funchost.Status(http.StatusGone, "this invitation has expired: ask for a new one")
	case errors.Is(err, store.ErrConflict):
		return funchost.Status(http.StatusConflict, "this invitation has already been used or was revoked")
	case errors.Is(err, store.ErrNotFound):
		return funchost.Status(http.StatusNotFound, "this invitation link is not valid")
	}
	return err
}

func uuidString(b [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Preview describes a pending invitation for its acceptance page: the organisation, who
// invited, the address and role. Errors as Lookup.
func (i *Invites) Preview(ctx context.Context, token string) (inv store.Invitation, t tenancy.Tenant, inviter string, err error) {
	inv, t, err = i.Lookup(ctx, token)
	if err != nil {
		return inv, t, "", err
	}
	if !inv.InvitedBy.IsZero() {
		if st, err := i.stores.For(ctx, t.ID); err == nil {
			if u, err := st.User(ctx, inv.InvitedBy); err == nil {
				inviter = u.DisplayName
				if inviter == "" {
					inviter = u.Email
				}
			}
		}
	}
	return inv, t, inviter, nil
}
