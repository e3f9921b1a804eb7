package signin

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/identity"
	"github.com/meetingminutes/minutes/shared/logging"
	mailer "github.com/meetingminutes/minutes/shared/mail"
	"github.com/meetingminutes/minutes/shared/onboarding"
	"github.com/meetingminutes/minutes/shared/session"
)

// startConsent sends a signed-in admin on to admin consent for their own directory.
func (h *Handler) startConsent(w http.ResponseWriter, r *http.Request, s *session.Session, c identity.Claims) error {
	s.Pending = h.d.Sessions.NewPending(purposeConsent, "/api/app/setup", 0)
	state, err := h.d.States.Encode(identity.StatePayload{Purpose: identity.PurposeConsent,
		Binding: session.Binding(s), ID: s.Pending.StateID})
	if err != nil {
		return fmt.Errorf("start admin consent: %w", err)
	}
	if err := h.d.Sessions.Save(w, s); err != nil {
		return fmt.Errorf("start admin consent: %w", err)
	}
	http.Redirect(w, r, h.d.Entra.AdminConsentURL(c.TenantID.String(), state), http.StatusFound)
	return nil
}

// Consent is the ConsentCallback function (GET /api/consent/callback): state first, then the
// consent's error, then the tenant, which must be the signed-in admin's own directory and is
// confirmed with an app token before anything is provisioned.
func (h *Handler) Consent(w http.ResponseWriter, r *http.Request) error {
	return h.pages(h.consent)(w, r)
}

func (h *Handler) consent(w http.ResponseWriter, r *http.Request) error {
	if h.d.Entra == nil {
		return funchost.Unavailable("sign-up with Microsoft is not configured (ENTRA_CLIENT_ID)")
	}
	s, _, err := h.takeHandshake(w, r, identity.PurposeConsent, purposeConsent)
	if err != nil {
		return err
	}
	res, err := identity.ParseConsentCallback(r.URL.Query())
	var ce *identity.ConsentError
	if errors.As(err, &ce) {
		return h.render(w, http.StatusBadRequest, page{Title: "Consent was not granted", Message: ce.UserMessage(),
			Link: "/api/app/signup", LinkText: "Try again"})
	}
	if err != nil {
		return funchost.Status(http.StatusBadRequest, "the consent response is malformed")
	}
	signedIn, perr := uuid.Parse(s.EntraTenantID)
	oid, oerr := uuid.Parse(s.EntraObjectID)
	if perr != nil || oerr != nil || res.TenantID != signedIn {
		return funchost.Status(http.StatusBadRequest, "consent was granted for a different directory than the one you signed in with")
	}
	ctx := logging.With(r.Context(), slog.String("entra_tenant_id", res.TenantID.String()))
	if _, err := h.d.Entra.ConfirmConsent(ctx, res.TenantID, requiredRoles(), h.d.Wait); err != nil {
		h.d.Log.WarnContext(ctx, "consent not confirmed", "error", err)
		return h.render(w, http.StatusServiceUnavailable, page{Title: "Consent is still being applied",
			Message: "Microsoft has not finished applying the permissions you granted. This usually takes a minute; please try again.",
			Link:    "/api/app/signup", LinkText: "Try again"})
	}
	result, err := h.d.Provisioner.Provision(ctx, onboarding.Request{AzureTenantID: res.TenantID, Name: orgName(s.Email),
		Admin: onboarding.Admin{ObjectID: oid, Email: s.Email, Name: s.Name}})
	if err != nil {
		return fmt.Errorf("provision tenant: %w", err)
	}
	ctx = logging.With(ctx, slog.String(logging.KeyTenantID, result.Tenant.ID.String()))
	h.d.Log.InfoContext(ctx, "tenant provisioned", "created", result.Created, "duration_ms", result.Duration.Milliseconds())
	if result.Created && h.d.Mail != nil {
		// Best effort: the tenant exists whether or not the welcome reaches the admin.
		if err := h.d.Mail.Send(ctx, welcomeMail(h.d.From, result)); err != nil {
			h.d.Log.WarnContext(ctx, "welcome mail not sent", "error", err)
		}
	}
	return h.signInAs(w, r, s, result.Tenant.ID, result.AdminUser, "/api/app/setup")
}

// orgName guesses a display name from the admin's mail domain; the admin renames it in settings.
func orgName(email string) string {
	if i := strings.LastIndexByte(email, '@'); i >= 0 && i+1 < len(email) {
		return email[i+1:]
	}
	return ""
}

// pages turns client errors (4xx, 503) of a browser flow into an HTML page; a 5xx stays an
// error for funchost to log and answer.
func (h *Handler) pages(fn funchost.HandlerFunc) funchost.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		err := fn(w, r)
		if err == nil {
			return nil
		}
		status := funchost.StatusOf(err)
		if status >= 500 && status != http.StatusServiceUnavailable {
			return err
		}
		title := map[int]string{400: "That did not work", 401: "Sign-in failed", 403: "Not allowed", 404: "Not found", 503: "Unavailable"}[status]
		if title == "" {
			title = http.StatusText(status)
		}
		return h.render(w, status, page{Title: title, Message: funchost.PublicMessage(err), Link: "/api/app/", LinkText: "Home"})
	}
}

// welcomeMail greets the admin who signed the organisation up and lists the next steps,
// including the two Teams settings without which no transcript ever reaches us.
func welcomeMail(from mailer.Address, r onboarding.Result) mailer.Message {
	text := "Welcome to Meeting Minutes.\n\n" +
		"Your organisation is set up, with a 14-day trial. Next steps:\n" +
		"1. Finish the setup wizard: template, approvers, where minutes are published.\n" +
		"2. Let the app read transcripts: in Teams PowerShell, New-CsApplicationAccessPolicy and Grant-CsApplicationAccessPolicy (-Global or a group).\n" +
		"3. Turn on transcript access: Set-CsTeamsMeetingConfiguration -EnableGraphTranscriptAccess $true -Identity Global.\n" +
		"4. Invite your approvers and colleagues.\n"
	return mailer.Message{From: from, To: []mailer.Address{{Name: r.AdminUser.DisplayName, Email: r.AdminUser.Email}},
		Subject: "Welcome to Meeting Minutes", Text: text, ID: "welcome-" + r.Tenant.ID.String()}
}
