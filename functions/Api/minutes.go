package api

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/meetingminutes/minutes/shared/store"
)

// Every minutes route checks the caller's role before it looks at the id or the body, so the
// answer to a caller without the role is 401 or 403 whatever they send; shared/review checks
// it again as it runs the operation.

// getMinutes answers GET /api/v1/minutes/{id}: one version with its content.
func (h *Handler) getMinutes(w http.ResponseWriter, r *http.Request) error {
	if _, _, err := caller(r.Context(), store.RoleMember, false); err != nil {
		return fmt.Errorf("get minutes: %w", err)
	}
	id, err := pathID(r, store.ParseMinutesID)
	if err != nil {
		return fmt.Errorf("get minutes: %w", err)
	}
	m, err := h.review.View(r.Context(), id)
	if err != nil {
		return err // review says what it was doing
	}
	return reply(w, http.StatusOK, minutesOut(m))
}

// editRequest is the body of PUT /api/v1/minutes/{id}.
type editRequest struct {
	// Content is the whole new minutes content (see shared/review).
	Content json.RawMessage `json:"content"`
}

// editMinutes answers PUT /api/v1/minutes/{id}: the edit becomes a new version, answered
// with 201 and its Location.
func (h *Handler) editMinutes(w http.ResponseWriter, r *http.Request) error {
	if _, _, err := caller(r.Context(), store.RoleApprover, true); err != nil {
		return fmt.Errorf("edit minutes: %w", err)
	}
	id, err := pathID(r, store.ParseMinutesID)
	if err != nil {
		return fmt.Errorf("edit minutes: %w", err)
	}
	var req editRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return fmt.Errorf("edit minutes: %w", err)
	}
	if len(req.Content) == 0 || string(req.Content) == "null" {
		return badRequest("content is required: the whole minutes object")
	}
	m, err := h.review.Edit(r.Context(), id, req.Content)
	if err != nil {
		return err // review says what it was doing
	}
	w.Header().Set("Location", "/api/v1/minutes/"+m.ID.String())
	return reply(w, http.StatusCreated, minutesOut(m))
}

// approveMinutes answers POST /api/v1/minutes/{id}/approve. It takes no body.
func (h *Handler) approveMinutes(w http.ResponseWriter, r *http.Request) error {
	if _, _, err := caller(r.Context(), store.RoleApprover, true); err != nil {
		return fmt.Errorf("approve minutes: %w", err)
	}
	id, err := pathID(r, store.ParseMinutesID)
	if err != nil {
		return fmt.Errorf("approve minutes: %w", err)
	}
	m, err := h.review.Approve(r.Context(), id)
	if err != nil {
		return err // review says what it was doing
	}
	return reply(w, http.StatusOK, minutesOut(m))
}

// rejectRequest is the body of POST /api/v1/minutes/{id}/reject.
type rejectRequest struct {
	// Reason says what is wrong: 1 to 2000 characters.
	Reason string `json:"reason"`
}

// rejectMinutes answers POST /api/v1/minutes/{id}/reject.
func (h *Handler) rejectMinutes(w http.ResponseWriter, r *http.Request) error {
	if _, _, err := caller(r.Context(), store.RoleApprover, true); err != nil {
		return fmt.Errorf("reject minutes: %w", err)
	}
	id, err := pathID(r, store.ParseMinutesID)
	if err != nil {
		return fmt.Errorf("reject minutes: %w", err)
	}
	var req rejectRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return fmt.Errorf("reject minutes: %w", err)
	}
	m, err := h.review.Reject(r.Context(), id, req.Reason)
	if err != nil {
		return err // review says what it was doing
	}
	return reply(w, http.StatusOK, minutesOut(m))
}
