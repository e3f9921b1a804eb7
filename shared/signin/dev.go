package signin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/meetingminutes/minutes/shared/onboarding"
	"github.com/meetingminutes/minutes/shared/session"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// DevTenant is the demo tenant of make run, with one user per role.
type DevTenant struct {
	Tenant tenancy.ID
	Users  map[store.Role]store.User
}

// devAzureTenant is the demo tenant's (fictitious) Entra tenant id.
const devAzureTenant = "00000000-0000-4000-8000-00000000de00"

// EnsureDevTenant provisions the demo tenant (idempotently) with an admin, an approver, a
// member and one meeting whose draft minutes await approval, so make run shows a working
// product at once.
func EnsureDevTenant(ctx context.Context, prov *onboarding.Provisioner, stores store.Resolver, now time.Time) (*DevTenant, error) {
	res, err := prov.Provision(ctx, onboarding.Request{AzureTenantID: uuid.MustParse(devAzureTenant), Name: "Demo Organisation",
		Admin: onboarding.Admin{ObjectID: uuid.MustParse("00000000-0000-4000-8000-0000000000a1"), Email: "admin@demo.localhost", Name: "Dana Admin"}})
	if err != nil {
		return nil, fmt.Errorf("provision demo tenant: %w", err)
	}
	st, err := stores.For(ctx, res.Tenant.ID)
	if err != nil {
		return nil, fmt.Errorf("demo tenant: %w", err)
	}
	dev := &DevTenant{Tenant: res.Tenant.ID, Users: map[store.Role]store.User{store.RoleAdmin: res.AdminUser}}
	for role, u := range map[store.Role][2]string{
		store.RoleApprover: {"approver@demo.localhost", "Avery Approver"},
		store.RoleMember:   {"member@demo.localhost", "Morgan Member"},
	} {
		user, _, err := st.UpsertUserByEmail(ctx, store.UserInput{Email: u[0], DisplayName: u[1], Role: role})
		if err != nil {
			return nil, fmt.Errorf("demo user %s: %w", role, err)
		}
		dev.Users[role] = user
	}
	if err := seedDemoMeeting(ctx, st, dev, now); err != nil {
		return nil, err
	}
	return dev, nil
}

func seedDemoMeeting(ctx context.Context, st store.Store, dev *DevTenant, now time.Time) error {
	start := now.Truncate(24 * time.Hour).Add(-24*time.Hour + 9*time.Hour)
	m, created, err := st.UpsertMeeting(ctx, store.MeetingInput{Source: store.SourceUpload, ExternalID: "demo-weekly-sync",
		Subject: "Weekly product sync", OrganizerName: "Dana Admin", OrganizerEmail: "admin@demo.localhost",
		StartsAt: &start, EndsAt: ptr(start.Add(30 * time.Minute))})
	if err != nil {
		return fmt.Errorf("demo meeting: %w", err)
	}
	if !created {
		return nil // seeded by an earlier start
	}
	content, _ := json.Marshal(map[string]any{
		"title":     "Weekly product sync",
		"summary":   "The team reviewed the beta feedback and agreed to ship the export feature next sprint.",
		"decisions": []map[string]string{{"text": "Ship CSV export in the next sprint", "quote": "let's ship the export next sprint", "at": "00:12:04"}},
		"action_items": []map[string]string{{"task": "Write the release note for CSV export", "owner": "Morgan Member",
			"due": start.AddDate(0, 0, 7).Format("2006-01-02"), "quote": "Morgan, can you draft the release note by next week?", "at": "00:14:31"}},
		"attendees": []string{"Dana Admin", "Avery Approver", "Morgan Member"}, "generator": "offline", "language": "en",
	})
	mins, err := st.AddMinutesVersion(ctx, store.MinutesInput{MeetingID: m.ID, Content: content, Generator: "offline"})
	if err != nil {
		return fmt.Errorf("demo minutes: %w", err)
	}
	due := start.AddDate(0, 0, 7)
	if _, err := st.ReplaceActionItems(ctx, mins.ID, []store.ActionItemInput{{Task: "Write the release note for CSV export",
		OwnerUserID: dev.Users[store.RoleMember].ID, OwnerName: "Morgan Member", DueDate: &due,
		SourceQuote: "Morgan, can you draft the release note by next week?", SourceOffset: ptr(14*time.Minute + 31*time.Second), Verified: true}}); err != nil {
		return fmt.Errorf("demo action items: %w", err)
	}
	if _, err := st.DecideMinutes(ctx, mins.ID, store.DecideParams{Status: store.MinutesPendingApproval, At: now}); err != nil {
		return fmt.Errorf("demo minutes status: %w", err)
	}
	_, err = st.SetMeetingStatus(ctx, m.ID, store.MeetingPendingApproval, "")
	return err
}

const devFormSource = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dev sign-in · Meeting Minutes</title><link rel="stylesheet" href="/api/app/static/app.css"></head>
<body><main class="narrow"><h1>Dev sign-in</h1>
<p>Local development only: this page exists because DEV_AUTH=1 and you are on this machine.</p>
<form method="post" action="/api/app/auth/dev">
<input type="hidden" name="csrf_token" value="{{.CSRF}}"><input type="hidden" name="return_to" value="{{.ReturnTo}}">
<button name="role" value="admin">Sign in as Dana (admin)</button>
<button name="role" value="approver">Sign in as Avery (approver)</button>
<button name="role" value="member">Sign in as Morgan (member)</button>
<button name="role" value="operator">Sign in as an operator</button>
</form></main></body></html>`

// devForm is GET /api/app/auth/dev: loopback only, else it does not exist.
func (h *Handler) devForm(w http.ResponseWriter, r *http.Request) error {
	if !h.d.DevAuth || !isLoopback(r) || h.d.Dev == nil {
		return store.ErrNotFound
	}
	s := h.session(r)
	if err := h.d.Sessions.Save(w, s); err != nil {
		return fmt.Errorf("dev sign-in: %w", err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	return h.dev.Execute(w, map[string]string{"CSRF": session.CSRFToken(s), "ReturnTo": localPath(r.URL.Query().Get("return_to"), "/api/app/meetings")})
}

// devSignIn is POST /api/app/auth/dev (behind the CSRF middleware).
func (h *Handler) devSignIn(w http.ResponseWriter, r *http.Request) error {
	if !h.d.DevAuth || !isLoopback(r) || h.d.Dev == nil {
		return store.ErrNotFound
	}
	s := h.session(r)
	role := r.PostFormValue("role")
	if role == "operator" {
		s.Operator, s.TenantID, s.UserID, s.Role, s.Name, s.Email = true, "", "", "", "Olive Operator", "operator@demo.localhost"
		if err := h.d.Sessions.Renew(w, s); err != nil {
			return fmt.Errorf("dev sign-in: %w", err)
		}
		http.Redirect(w, r, "/api/app/operator", http.StatusSeeOther)
		return nil
	}
	u, ok := h.d.Dev.Users[store.Role(role)]
	if !ok {
		return store.ErrNotFound
	}
	return h.signInAs(w, r, s, h.d.Dev.Tenant, u, r.PostFormValue("return_to"))
}

func ptr[T any](v T) *T { return &v }

// UseDevTenant sets the demo tenant the dev sign-in uses; call it before serving requests.
func (h *Handler) UseDevTenant(dev *DevTenant) { h.d.Dev = dev }
