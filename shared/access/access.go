package access

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/logging"
	"github.com/meetingminutes/minutes/shared/session"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// Principal is the caller of one request.
type Principal struct {
	// Tenant and User are zero for an anonymous caller.
	Tenant tenancy.ID
	User   store.UserID
	Role   store.Role
	// Operator marks our own support staff (operator console).
	Operator bool
	// TenantStatus is the tenant's account state (a suspended tenant is read-only).
	TenantStatus tenancy.Status
	Name, Email  string
	// Session is the request's session (nil when none); templates need its CSRF token.
	Session *session.Session

	store store.Store
}

// SignedIn reports whether the caller is a member of a tenant.
func (p Principal) SignedIn() bool { return !p.Tenant.IsZero() && !p.User.IsZero() }

// rank orders roles: every right of a lower role belongs to the higher ones.
func rank(r store.Role) int {
	switch r {
	case store.RoleAdmin:
		return 3
	case store.RoleApprover:
		return 2
	case store.RoleMember:
		return 1
	}
	return 0
}

// AtLeast reports whether the caller holds role r or a higher one.
func (p Principal) AtLeast(r store.Role) bool { return p.SignedIn() && rank(p.Role) >= rank(r) }

// Store is the caller's tenant store: the only way a handler reaches tenant data.
func (p Principal) Store() (store.Store, error) {
	if p.store == nil {
		return nil, ErrUnauthorized
	}
	return p.store, nil
}

// Errors of the checks; they map to 401 and 403 through funchost.
var (
	ErrUnauthorized = funchost.Status(http.StatusUnauthorized, "sign in first")
	ErrForbidden    = funchost.Status(http.StatusForbidden, "your role does not allow this")
	ErrReadOnly     = funchost.Status(http.StatusForbidden, "this account is suspended: the portal is read-only until billing is resolved")
)

// Require returns the caller when signed in with at least role r.
func Require(ctx context.Context, r store.Role) (Principal, error) {
	p := FromContext(ctx)
	switch {
	case !p.SignedIn():
		return p, ErrUnauthorized
	case !p.AtLeast(r):
		return p, ErrForbidden
	}
	return p, nil
}

// RequireWrite is Require for a change: a suspended or cancelled tenant may read, not write.
func RequireWrite(ctx context.Context, r store.Role) (Principal, error) {
	p, err := Require(ctx, r)
	if err == nil && p.TenantStatus != tenancy.StatusActive {
		return p, ErrReadOnly
	}
	return p, err
}

// RequireOperator returns the caller when they are an operator.
func RequireOperator(ctx context.Context) (Principal, error) {
	p := FromContext(ctx)
	if !p.Operator {
		if p.Session == nil || (!p.SignedIn() && p.Session.UserID == "") {
			return p, ErrUnauthorized
		}
		return p, ErrForbidden
	}
	return p, nil
}

type ctxKey struct{}

// FromContext returns the request's principal (anonymous when the middleware found none).
func FromContext(ctx context.Context) Principal {
	p, _ := ctx.Value(ctxKey{}).(Principal)
	return p
}

// WithPrincipal returns ctx carrying p (the middleware's job; tests and in-process callers
// use it too).
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// TenantLookup reads a tenant's registry row (tenancy.Registry).
type TenantLookup interface {
	Get(ctx context.Context, id tenancy.ID) (tenancy.Tenant, error)
}

// Authenticator builds the principal of each request.
type Authenticator struct {
	sessions *session.Manager
	stores   store.Resolver
	tenants  TenantLookup
	log      *slog.Logger
}

// NewAuthenticator returns an Authenticator.
func NewAuthenticator(sessions *session.Manager, stores store.Resolver, tenants TenantLookup, log *slog.Logger) *Authenticator {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Authenticator{sessions: sessions, stores: stores, tenants: tenants, log: log}
}

// Sessions returns the session manager (sign-in handlers save through it).
func (a *Authenticator) Sessions() *session.Manager { return a.sessions }

// Middleware puts the request's principal on its context. A missing, invalid or stale
// session makes an anonymous caller (and a tampered cookie is cleared); a failure to reach
// the database is a 503, never a silent downgrade to anonymous on a page that needs sign-in.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.principal(w, r)
		if err != nil {
			a.log.ErrorContext(r.Context(), "resolve caller", "error", err)
			funchost.WriteJSON(w, http.StatusServiceUnavailable, funchost.ErrorBody{Error: "sign-in is unavailable, try again shortly", Status: http.StatusServiceUnavailable})
			return
		}
		ctx := WithPrincipal(r.Context(), p)
		if p.SignedIn() {
			ctx = logging.With(ctx, slog.String(logging.KeyTenantID, p.Tenant.String()))
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (a *Authenticator) principal(w http.ResponseWriter, r *http.Request) (Principal, error) {
	s, err := a.sessions.Load(r)
	switch {
	case errors.Is(err, session.ErrNoSession):
		return Principal{}, nil
	case err != nil:
		a.sessions.Clear(w)
		return Principal{}, nil
	}
	p := Principal{Session: s, Operator: s.Operator, Name: s.Name, Email: s.Email}
	if s.TenantID == "" || s.UserID == "" {
		return p, nil
	}
	tid, err1 := tenancy.ParseID(s.TenantID)
	uid, err2 := store.ParseUserID(s.UserID)
	if err1 != nil || err2 != nil {
		a.sessions.Clear(w)
		return Principal{}, nil
	}
	t, err := a.tenants.Get(r.Context(), tid)
	if errors.Is(err, tenancy.ErrNotFound) {
		a.sessions.Clear(w) // the tenant was purged
		return Principal{}, nil
	}
	if err != nil {
		return Principal{}, fmt.Errorf("read tenant %s: %w", tid, err)
	}
	st, err := a.stores.For(r.Context(), tid)
	if err != nil {
		return Principal{}, fmt.Errorf("resolve store of tenant %s: %w", tid, err)
	}
	u, err := st.User(r.Context(), uid)
	if errors.Is(err, store.ErrNotFound) {
		a.sessions.Clear(w)
		return Principal{}, nil
	}
	if err != nil {
		return Principal{}, fmt.Errorf("read user of tenant %s: %w", tid, err)
	}
	if u.Status != store.UserActive {
		a.sessions.Clear(w)
		return Principal{}, nil
	}
	p.Tenant, p.User, p.Role, p.TenantStatus, p.store = tid, uid, u.Role, t.Status, st
	p.Name, p.Email = u.DisplayName, u.Email
	return p, nil
}

// AsUser returns the principal of user u of tenant t, bound to st, the tenant's store: for
// in-process callers acting for a user (and tests), which have no session.
func AsUser(t tenancy.Tenant, u store.User, st store.Store) Principal {
	return Principal{Tenant: t.ID, User: u.ID, Role: u.Role, TenantStatus: t.Status, Name: u.DisplayName, Email: u.Email, store: st}
}

// Caller checks that the principal on ctx holds role (and, for a change, that its tenant may
// write) and returns it with its tenant's store: the only store a handler uses.
func Caller(ctx context.Context, role store.Role, write bool) (Principal, store.Store, error) {
	check := Require
	if write {
		check = RequireWrite
	}
	p, err := check(ctx, role)
	if err != nil {
		return p, nil, err
	}
	st, err := p.Store()
	if err != nil {
		return p, nil, err
	}
	return p, st, nil
}
