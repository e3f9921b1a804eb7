package api

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"

	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/store"
)

// errLastAdmin answers a demotion of the tenant's last admin (the store's only conflict when
// changing a role). It matches store.ErrConflict.
var errLastAdmin = fmt.Errorf("%w (%w)",
	funchost.Status(http.StatusConflict, "the tenant's last admin keeps the admin role: make someone else admin first"),
	store.ErrConflict)

// listUsers answers GET /api/v1/users?limit=&after=&role=, ordered by e-mail address.
func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request) error {
	_, st, err := caller(r.Context(), store.RoleAdmin, false)
	if err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	q := r.URL.Query()
	limit, err := queryLimit(r, store.MaxLimit)
	if err != nil {
		return err
	}
	if limit == 0 {
		limit = store.DefaultLimit
	}
	after, err := base64.RawURLEncoding.DecodeString(q.Get("after"))
	if err != nil {
		return badRequest("after is not a cursor from a previous page")
	}
	role := store.Role(q.Get("role"))
	if role != "" && !role.Valid() {
		return badRequest("role %q is not a role (member, approver, admin)", clip(string(role)))
	}
	us, err := st.ListUsers(r.Context(), store.ListUsersParams{Limit: limit, AfterEmail: string(after), Role: role})
	if err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	out := page[userJSON]{Items: make([]userJSON, len(us))}
	for i, u := range us {
		out.Items[i] = userOut(u)
	}
	if len(us) == limit {
		out.Next = base64.RawURLEncoding.EncodeToString([]byte(us[len(us)-1].Email))
	}
	return reply(w, http.StatusOK, out)
}

// roleRequest is the body of PATCH /api/v1/users/{id}.
type roleRequest struct {
	// Role is member, approver or admin.
	Role store.Role `json:"role"`
}

// setUserRole answers PATCH /api/v1/users/{id}, recorded as "user.role_changed".
func (h *Handler) setUserRole(w http.ResponseWriter, r *http.Request) error {
	p, st, err := caller(r.Context(), store.RoleAdmin, true)
	if err != nil {
		return fmt.Errorf("set user role: %w", err)
	}
	id, err := pathID(r, store.ParseUserID)
	if err != nil {
		return fmt.Errorf("set user role: %w", err)
	}
	var req roleRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return fmt.Errorf("set user role: %w", err)
	}
	if !req.Role.Valid() {
		return badRequest("role must be member, approver or admin")
	}
	var out store.User
	err = st.Tx(r.Context(), func(tx store.Store) error {
		cur, err := tx.User(r.Context(), id)
		if err != nil {
			return err
		}
		if cur.Role == req.Role {
			out = cur
			return nil
		}
		if out, err = tx.SetUserRole(r.Context(), id, req.Role); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return errLastAdmin
			}
			return err
		}
		_, err = tx.Audit(r.Context(), h.entry(p, actionUserRole, "user", id.String(), map[string]any{
			"from": string(cur.Role), "to": string(out.Role),
		}))
		return err
	})
	if err != nil {
		return fmt.Errorf("set role of user %s: %w", id, err)
	}
	return reply(w, http.StatusOK, userOut(out))
}
