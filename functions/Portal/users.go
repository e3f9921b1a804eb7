package portal

import (
	"errors"
	"net/http"
	"net/mail"
	"net/url"
	"strings"

	"github.com/meetingminutes/minutes/shared/access"
	"github.com/meetingminutes/minutes/shared/audit"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/session"
	"github.com/meetingminutes/minutes/shared/store"
)

// usersPageSize is the number of users per page.
const usersPageSize = 100

// inviteForm is the invitation form's input and problems.
type inviteForm struct {
	Email, Role string
	EmailErr    string
	// Problem is a refusal of the invitation as a whole (already invited, no seats left).
	Problem string
}

// inviteView is what the invite-form template needs.
type inviteView struct {
	Form     *inviteForm
	CSRF     string
	Back     string
	ReadOnly bool
	Disabled bool
}

// userRow is one row of the users table.
type userRow struct {
	User store.User
	// Self marks the caller (whose own role change would lock them out).
	Self bool
}

// usersData is the data of the users page.
type usersData struct {
	Users   []userRow
	Next    string
	Pending []store.Invitation
	Invite  inviteView
	// Sent is the invitation just created (?done=invited&invitation=id), nil otherwise.
	Sent *store.Invitation
}

// users serves GET /api/app/users.
func (h *Handler) users(w http.ResponseWriter, r *http.Request) error {
	if _, err := access.Require(r.Context(), store.RoleAdmin); err != nil {
		return err
	}
	return h.renderUsers(w, r, http.StatusOK, &inviteForm{Role: string(store.RoleMember)})
}

func (h *Handler) renderUsers(w http.ResponseWriter, r *http.Request, status int, inv *inviteForm) error {
	ctx := r.Context()
	p, st, err := access.Caller(ctx, store.RoleAdmin, false)
	if err != nil {
		return err
	}
	after := r.URL.Query().Get("after")
	list, err := st.ListUsers(ctx, store.ListUsersParams{Limit: usersPageSize + 1, AfterEmail: after})
	if err != nil {
		return err
	}
	data := usersData{}
	if len(list) > usersPageSize {
		list = list[:usersPageSize]
		data.Next = "/api/app/users?after=" + url.QueryEscape(list[len(list)-1].Email)
	}
	for _, u := range list {
		data.Users = append(data.Users, userRow{User: u, Self: u.ID == p.User})
	}
	if data.Pending, err = st.ListInvitations(ctx, store.ListInvitationsParams{PendingAt: h.d.Now(), Limit: store.MaxLimit}); err != nil {
		return err
	}
	if id := r.URL.Query().Get("invitation"); id != "" {
		for i := range data.Pending {
			if data.Pending[i].ID.String() == id {
				data.Sent = &data.Pending[i]
			}
		}
	}
	v := h.newView(r, "Users and invitations", "users")
	data.Invite = inviteView{Form: inv, CSRF: v.CSRF, Back: "/api/app/users", ReadOnly: v.ReadOnly, Disabled: h.d.Invites == nil}
	v.Data = data
	return h.render(w, status, "users", v)
}

// setRole serves POST /api/app/users/{id}/role.
func (h *Handler) setRole(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, err := access.RequireWrite(ctx, store.RoleAdmin)
	if err != nil {
		return err
	}
	id, err := store.ParseUserID(r.PathValue("id"))
	if err != nil {
		return errNotFound
	}
	role := store.Role(r.PostFormValue("role"))
	if !role.Valid() {
		return funchost.Status(http.StatusBadRequest, "unknown role")
	}
	st, err := p.Store()
	if err != nil {
		return err
	}
	err = st.Tx(ctx, func(tx store.Store) error {
		before, err := tx.User(ctx, id)
		if err != nil {
			return err
		}
		if _, err := tx.SetUserRole(ctx, id, role); err != nil {
			return err
		}
		_, err = tx.Audit(ctx, audit.Entry{At: h.d.Now(), Actor: audit.Actor{Type: audit.ActorUser, ID: p.User.String()},
			Action: "user.role_changed", Target: audit.Target{Type: "user", ID: id.String()},
			Details: map[string]any{"from": string(before.Role), "to": string(role)}})
		return err
	})
	switch {
	case errors.Is(err, store.ErrConflict):
		return redirect(w, r, "/api/app/users?error=last_admin")
	case err != nil:
		return err
	}
	return redirect(w, r, "/api/app/users?done=role")
}

// invite serves POST /api/app/invitations; back (the users page or the wizard's invite step)
// is where the result is shown.
func (h *Handler) invite(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if _, err := access.RequireWrite(ctx, store.RoleAdmin); err != nil {
		return err
	}
	if h.d.Invites == nil {
		return funchost.Unavailable("Invitations are not configured on this installation.")
	}
	inv := &inviteForm{Email: strings.TrimSpace(r.PostFormValue("email")), Role: r.PostFormValue("role")}
	back := backTo(r.PostFormValue("back"), "/api/app/users")
	wizard := strings.HasPrefix(back, "/api/app/setup")
	again := func(status int) error {
		if wizard {
			st, err := access.FromContext(ctx).Store()
			if err != nil {
				return err
			}
			_, f, err := loadSettings(ctx, st)
			if err != nil {
				return err
			}
			return h.renderSetup(w, r, status, stepInvite, f, inv)
		}
		return h.renderUsers(w, r, status, inv)
	}
	role := store.Role(inv.Role)
	if !role.Valid() {
		role, inv.Role = store.RoleMember, string(store.RoleMember)
	}
	addr, err := mail.ParseAddress(inv.Email)
	if err != nil || addr.Name != "" || len(addr.Address) > 320 {
		inv.EmailErr = "Enter one email address, like name@example.com."
		return again(http.StatusUnprocessableEntity)
	}
	created, err := h.d.Invites.Invite(ctx, addr.Address, role)
	if status := funchost.StatusOf(err); err != nil && status >= 400 && status < 500 && status != http.StatusUnauthorized {
		inv.Problem = "The invitation was not sent: " + funchost.PublicMessage(err) + "."
		return again(status)
	}
	if err != nil {
		return err
	}
	if wizard {
		return redirect(w, r, withQuery(back, "done", "invited"))
	}
	return redirect(w, r, "/api/app/users?"+url.Values{"done": {"invited"}, "invitation": {created.ID.String()}}.Encode())
}

// revokeInvitation serves POST /api/app/invitations/{id}/revoke.
func (h *Handler) revokeInvitation(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, err := access.RequireWrite(ctx, store.RoleAdmin)
	if err != nil {
		return err
	}
	id, err := store.ParseInvitationID(r.PathValue("id"))
	if err != nil {
		return errNotFound
	}
	st, err := p.Store()
	if err != nil {
		return err
	}
	err = st.Tx(ctx, func(tx store.Store) error {
		if _, err := tx.RevokeInvitation(ctx, id, h.d.Now()); err != nil {
			return err
		}
		_, err := tx.Audit(ctx, audit.Entry{At: h.d.Now(), Actor: audit.Actor{Type: audit.ActorUser, ID: p.User.String()},
			Action: "invitation.revoked", Target: audit.Target{Type: "invitation", ID: id.String()}})
		return err
	})
	switch {
	case errors.Is(err, store.ErrConflict):
		return redirect(w, r, "/api/app/users?error=accepted")
	case err != nil:
		return err
	}
	return redirect(w, r, "/api/app/users?done=revoked")
}

// acceptData is the data of the invitation acceptance page.
type acceptData struct {
	Invitation InvitationPreview
	Token      string
	// CSRF is the token of the form (the session may have been started by this page).
	CSRF string
	// SignIn is the sign-in link shown when no session could be started for the form.
	SignIn string
}

// acceptForm serves GET /api/app/invitations/accept?token=…: who invited whom, and a button.
func (h *Handler) acceptForm(w http.ResponseWriter, r *http.Request) error {
	if h.d.Invites == nil {
		return funchost.Unavailable("Invitations are not configured on this installation.")
	}
	token := r.URL.Query().Get("token")
	if token == "" || len(token) > 4096 {
		return errNotFound
	}
	prev, err := h.d.Invites.Preview(r.Context(), token)
	if err != nil {
		return err
	}
	data := acceptData{Invitation: prev, Token: token}
	p := access.FromContext(r.Context())
	s := p.Session
	if s == nil && h.d.Sessions != nil {
		// A first-time visitor has no session, and the CSRF check refuses a POST without one.
		s = h.d.Sessions.Start()
		if err := h.d.Sessions.Save(w, s); err != nil {
			return err
		}
	}
	if s != nil {
		data.CSRF = session.CSRFToken(s)
	} else {
		data.SignIn = loginURL(r)
	}
	v := h.newView(r, "Join "+orDefault(prev.TenantName, "your team")+" on Meeting Minutes", "")
	v.Data = data
	return h.render(w, http.StatusOK, "accept", v)
}

// accept serves POST /api/app/invitations/accept.
func (h *Handler) accept(w http.ResponseWriter, r *http.Request) error {
	if h.d.Invites == nil {
		return funchost.Unavailable("Invitations are not configured on this installation.")
	}
	token := r.PostFormValue("token")
	if token == "" || len(token) > 4096 {
		return errNotFound
	}
	next, err := h.d.Invites.Accept(r.Context(), token)
	if err != nil {
		return err
	}
	if !safeRedirect(next) {
		next = "/api/app/meetings"
	}
	return redirect(w, r, next)
}

// safeRedirect admits a local path or an https URL (an identity provider's sign-in page).
func safeRedirect(s string) bool {
	if s == "" || strings.ContainsAny(s, "\\\r\n\t") {
		return false
	}
	if strings.HasPrefix(s, "/") {
		return !strings.HasPrefix(s, "//")
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil
}
