// Package reviewtest builds review fixtures on a real database for tests of the review
// operations and of their front ends (the portal, the REST API): tenants with a user of each
// role, meetings with minutes and action items, and signed-in callers made by the production
// authenticator from a session cookie. It is for tests only.
//
//	env := reviewtest.New(t)              // a fresh database (dbtest.New)
//	a := env.NewTenant(t, "Contoso")      // admin, approver, two members, a meeting, v1 minutes…
//	ctx := env.Context(t, a, a.Approver)  // ctx carrying the approver's principal
//	req.AddCookie(env.Cookie(t, a, a.Member))
//
// A package using it must call dbtest.Main from its TestMain.
package reviewtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/meetingminutes/minutes/shared/access"
	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/session"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// Env is one test database with what it takes to sign callers in.
type Env struct {
	// DB is the database; DB.App connects as the runtime role.
	DB *dbtest.DB
	// Registry is the tenant registry.
	Registry *tenancy.Registry
	// Stores resolves tenants to their stores.
	Stores *store.ManagedResolver
	// Sessions seals the session cookies Cookie makes.
	Sessions *session.Manager
	// Auth is the production authenticator over the above.
	Auth *access.Authenticator
}

// New returns an Env over a fresh database.
func New(t testing.TB) *Env {
	t.Helper()
	db := dbtest.New(t)
	sm, err := session.New(session.Options{Keys: [][]byte{make([]byte, session.KeySize)}, Insecure: true})
	must(t, err)
	e := &Env{DB: db, Registry: tenancy.NewRegistry(db.App), Stores: store.NewManagedResolver(db.App), Sessions: sm}
	e.Auth = access.NewAuthenticator(sm, e.Stores, e.Registry, nil)
	return e
}

// Tenant is a tenant with one user of each role and one meeting under review.
type Tenant struct {
	// ID is the tenant's id.
	ID tenancy.ID
	// Name is the tenant's name, also used in its users' addresses.
	Name string
	// Store is the tenant's store (no principal needed: fixtures and checks only).
	Store store.Store
	// Admin, Approver and Member hold those roles; Other is a second member.
	Admin, Approver, Member, Other store.User
	// Meeting is a meeting whose minutes await approval.
	Meeting store.Meeting
	// Minutes is its version 1, pending approval, with Content(…) and three action items.
	Minutes store.Minutes
	// Items are the version's action items: [0] owned by Member, [1] by Other, [2] by no user.
	Items []store.ActionItem
	// Template is a template of the tenant (not the default).
	Template store.Template
}

// NewTenant registers an active tenant named name and fills it (see Tenant).
func (e *Env) NewTenant(t testing.TB, name string) *Tenant {
	t.Helper()
	ctx := context.Background()
	reg, _, err := e.Registry.Create(ctx, tenancy.NewTenant{Name: name})
	must(t, err)
	st, err := e.Stores.For(ctx, reg.ID)
	must(t, err)
	tn := &Tenant{ID: reg.ID, Name: name, Store: st}
	user := func(local string, role store.Role) store.User {
		u, err := st.CreateUser(ctx, store.UserInput{
			Email: fmt.Sprintf("%s@%s.example", local, reg.ID), DisplayName: local + " of " + name,
			EntraObjectID: uuid.New(), Role: role,
		})
		must(t, err)
		return u
	}
	tn.Admin = user("admin", store.RoleAdmin)
	tn.Approver = user("approver", store.RoleApprover)
	tn.Member = user("member", store.RoleMember)
	tn.Other = user("other", store.RoleMember)
	tn.Template, err = st.CreateTemplate(ctx, store.TemplateInput{Name: "Board " + name})
	must(t, err)
	tn.Meeting, tn.Minutes, tn.Items = tn.AddMeeting(t, MeetingOptions{})
	return tn
}

// MeetingOptions shape a meeting made by AddMeeting; the zero value is a meeting of now with
// version 1 pending approval and three action items.
type MeetingOptions struct {
	// Subject defaults to "Weekly sync".
	Subject string
	// StartsAt defaults to none.
	StartsAt *time.Time
	// Status of version 1: "" means pending_approval.
	Status store.MinutesStatus
	// NoMinutes leaves the meeting without minutes.
	NoMinutes bool
	// Items replace the default action items when not nil.
	Items []store.ActionItemInput
}

// AddMeeting adds a meeting and, unless opts.NoMinutes, its version 1 minutes and action
// items. Version 1's content is Content with the default items' tasks.
func (tn *Tenant) AddMeeting(t testing.TB, opts MeetingOptions) (store.Meeting, store.Minutes, []store.ActionItem) {
	t.Helper()
	ctx := context.Background()
	if opts.Subject == "" {
		opts.Subject = "Weekly sync"
	}
	m, _, err := tn.Store.UpsertMeeting(ctx, store.MeetingInput{
		Source: store.SourceUpload, ExternalID: uuid.NewString(), Subject: opts.Subject,
		OrganizerName: tn.Admin.DisplayName, OrganizerEmail: tn.Admin.Email, StartsAt: opts.StartsAt,
		Participants: []store.Participant{{Name: tn.Member.DisplayName, Email: tn.Member.Email}},
	})
	must(t, err)
	if opts.NoMinutes {
		return m, store.Minutes{}, nil
	}
	status := opts.Status
	if status == "" {
		status = store.MinutesPendingApproval
	}
	items := opts.Items
	if items == nil {
		items = []store.ActionItemInput{
			{Task: "Send the deck", OwnerUserID: tn.Member.ID, OwnerName: tn.Member.DisplayName, SourceQuote: "I'll send the deck", Verified: true},
			{Task: "Book the room", OwnerUserID: tn.Other.ID, OwnerName: tn.Other.DisplayName},
			{Task: "Ask legal", OwnerName: "Someone Outside"},
		}
	}
	initial := status // other statuses are reached by decisions after the items are stored
	switch status {
	case store.MinutesDraft, store.MinutesPendingApproval:
	case store.MinutesFailed:
		initial = store.MinutesDraft
	default:
		initial = store.MinutesPendingApproval
	}
	tasks := make([]map[string]any, len(items))
	for i, it := range items {
		tasks[i] = map[string]any{"task": it.Task, "owner": it.OwnerName}
	}
	mins, err := tn.Store.AddMinutesVersion(ctx, store.MinutesInput{
		MeetingID: m.ID, Status: initial, Content: Content("Minutes of "+opts.Subject, "Secret summary text", tasks...),
		Generator: "offline",
	})
	must(t, err)
	stored, err := tn.Store.ReplaceActionItems(ctx, mins.ID, items)
	must(t, err)
	if status != initial {
		if status == store.MinutesPublished {
			mins, err = tn.Store.DecideMinutes(ctx, mins.ID, store.DecideParams{Status: store.MinutesApproved, By: tn.Approver.ID, At: time.Now()})
			must(t, err)
		}
		mins, err = tn.Store.DecideMinutes(ctx, mins.ID, store.DecideParams{Status: status, By: tn.Approver.ID, Reason: "fixture", At: time.Now()})
		must(t, err)
	}
	return m, mins, stored
}

// Content returns a minutes content object with a title, a summary, one decision and items.
func Content(title, summary string, items ...map[string]any) json.RawMessage {
	if items == nil {
		items = []map[string]any{}
	}
	b, err := json.Marshal(map[string]any{
		"title": title, "summary": summary, "decisions": []map[string]any{{"text": "Ship it"}},
		"action_items": items, "language": "en",
	})
	if err != nil {
		panic(err) // maps of strings always marshal
	}
	return b
}

// Cookie returns a session cookie signed in as user u of tenant tn.
func (e *Env) Cookie(t testing.TB, tn *Tenant, u store.User) *http.Cookie {
	t.Helper()
	s := e.Sessions.Start()
	s.TenantID, s.UserID, s.Role = tn.ID.String(), u.ID.String(), string(u.Role)
	rec := httptest.NewRecorder()
	must(t, e.Sessions.Save(rec, s))
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("reviewtest: session saved %d cookies", len(cookies))
	}
	return cookies[0]
}

// Context returns a context carrying the principal the authenticator builds for user u of
// tenant tn right now (role and tenant status as stored).
func (e *Env) Context(t testing.TB, tn *Tenant, u store.User) context.Context {
	t.Helper()
	var ctx context.Context
	h := e.Auth.Middleware(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { ctx = r.Context() }))
	req := httptest.NewRequest(http.MethodGet, "/api/v1/me", nil)
	req.AddCookie(e.Cookie(t, tn, u))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if ctx == nil || !access.FromContext(ctx).SignedIn() {
		t.Fatalf("reviewtest: %s of %s is not signed in (status %d)", u.Email, tn.Name, rec.Code)
	}
	return ctx
}

// Anonymous returns a context without a principal.
func Anonymous() context.Context { return context.Background() }

// Suspend suspends the tenant: its users may read but not change anything.
func (e *Env) Suspend(t testing.TB, tn *Tenant) {
	t.Helper()
	must(t, e.Registry.SetStatus(context.Background(), tn.ID, tenancy.StatusSuspended, time.Now()))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("reviewtest: %v", err)
	}
}
