package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/meetingminutes/minutes/shared/access"
	"github.com/meetingminutes/minutes/shared/store"
)

// itemFilter reads the action-item filters of the list and the export:
//
//	owner=me|<user id>  that user's items
//	status=open|done|cancelled
//	meeting=<meeting id>
//	limit=1..200
//
// A user or meeting id that is not the tenant's (another tenant's, or not an id) is 404, so a
// filter cannot probe for other tenants' ids either.
func itemFilter(ctx context.Context, r *http.Request, p access.Principal, st store.Store) (store.ActionItemFilter, error) {
	q := r.URL.Query()
	var f store.ActionItemFilter
	switch owner := q.Get("owner"); owner {
	case "":
	case "me":
		f.OwnerUserID = p.User
	default:
		id, err := store.ParseUserID(owner)
		if err != nil {
			return f, errNotFound
		}
		if _, err := st.User(ctx, id); err != nil {
			return f, fmt.Errorf("owner filter: %w", err)
		}
		f.OwnerUserID = id
	}
	if s := store.ActionItemStatus(q.Get("status")); s != "" {
		if !s.Valid() {
			return f, badRequest("status %q is not an action item status (open, done, cancelled)", clip(string(s)))
		}
		f.Status = s
	}
	if m := q.Get("meeting"); m != "" {
		id, err := store.ParseMeetingID(m)
		if err != nil {
			return f, errNotFound
		}
		if _, err := st.Meeting(ctx, id); err != nil {
			return f, fmt.Errorf("meeting filter: %w", err)
		}
		f.MeetingID = id
	}
	var err error
	f.Limit, err = queryLimit(r, store.MaxLimit)
	return f, err
}

// listActionItems answers GET /api/v1/action-items: the current items (those of each
// meeting's latest minutes version) by due date.
func (h *Handler) listActionItems(w http.ResponseWriter, r *http.Request) error {
	p, st, err := caller(r.Context(), store.RoleMember, false)
	if err != nil {
		return fmt.Errorf("list action items: %w", err)
	}
	f, err := itemFilter(r.Context(), r, p, st)
	if err != nil {
		return fmt.Errorf("list action items: %w", err)
	}
	items, err := st.ActionItems(r.Context(), f)
	if err != nil {
		return fmt.Errorf("list action items: %w", err)
	}
	out := list[actionItemJSON]{Items: make([]actionItemJSON, len(items))}
	for i, a := range items {
		out.Items[i] = actionItemOut(a)
	}
	return reply(w, http.StatusOK, out)
}

// statusRequest is the body of PATCH /api/v1/action-items/{id}.
type statusRequest struct {
	// Status is open, done or cancelled.
	Status store.ActionItemStatus `json:"status"`
}

// setActionItemStatus answers PATCH /api/v1/action-items/{id}.
func (h *Handler) setActionItemStatus(w http.ResponseWriter, r *http.Request) error {
	if _, _, err := caller(r.Context(), store.RoleMember, true); err != nil {
		return fmt.Errorf("set action item status: %w", err)
	}
	id, err := pathID(r, store.ParseActionItemID)
	if err != nil {
		return fmt.Errorf("set action item status: %w", err)
	}
	var req statusRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return fmt.Errorf("set action item status: %w", err)
	}
	a, err := h.review.SetActionItemStatus(r.Context(), id, req.Status)
	if err != nil {
		return err // review says what it was doing
	}
	return reply(w, http.StatusOK, actionItemOut(a))
}
