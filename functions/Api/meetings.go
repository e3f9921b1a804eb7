package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/meetingminutes/minutes/shared/store"
)

// me answers GET /api/v1/me: who the caller is.
func (h *Handler) me(w http.ResponseWriter, r *http.Request) error {
	p, _, err := caller(r.Context(), store.RoleMember, false)
	if err != nil {
		return fmt.Errorf("get caller: %w", err)
	}
	return reply(w, http.StatusOK, meJSON{
		TenantID: p.Tenant.String(), UserID: p.User.String(), Role: string(p.Role), Name: p.Name,
		Email: p.Email, TenantStatus: string(p.TenantStatus),
	})
}

// listMeetings answers GET /api/v1/meetings?limit=&before=&status=, newest first.
func (h *Handler) listMeetings(w http.ResponseWriter, r *http.Request) error {
	_, st, err := caller(r.Context(), store.RoleMember, false)
	if err != nil {
		return fmt.Errorf("list meetings: %w", err)
	}
	q := r.URL.Query()
	limit, err := queryLimit(r, store.MaxLimit)
	if err != nil {
		return err
	}
	if limit == 0 {
		limit = store.DefaultLimit
	}
	before, err := store.ParseMeetingCursor(q.Get("before"))
	if err != nil {
		return badRequest("before is not a cursor from a previous page")
	}
	status := store.MeetingStatus(q.Get("status"))
	if status != "" && !status.Valid() {
		return badRequest("status %q is not a meeting status", clip(string(status)))
	}
	ms, err := st.ListMeetings(r.Context(), store.ListMeetingsParams{Limit: limit, Before: before, Status: status})
	if err != nil {
		return fmt.Errorf("list meetings: %w", err)
	}
	out := page[meetingJSON]{Items: make([]meetingJSON, len(ms))}
	for i, m := range ms {
		out.Items[i] = meetingOut(m)
	}
	if len(ms) == limit {
		out.Next = ms[len(ms)-1].Cursor().String()
	}
	return reply(w, http.StatusOK, out)
}

// getMeeting answers GET /api/v1/meetings/{id}, with the latest minutes' summary.
func (h *Handler) getMeeting(w http.ResponseWriter, r *http.Request) error {
	_, st, err := caller(r.Context(), store.RoleMember, false)
	if err != nil {
		return fmt.Errorf("get meeting: %w", err)
	}
	id, err := pathID(r, store.ParseMeetingID)
	if err != nil {
		return fmt.Errorf("get meeting: %w", err)
	}
	m, err := st.Meeting(r.Context(), id)
	if err != nil {
		return fmt.Errorf("get meeting: %w", err)
	}
	out := meetingOut(m)
	latest, err := st.LatestMinutes(r.Context(), id)
	switch {
	case err == nil:
		s := minutesSummaryOut(latest)
		out.LatestMinutes = &s
	case !errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("get meeting: %w", err)
	}
	return reply(w, http.StatusOK, out)
}

// minutesHistory answers GET /api/v1/meetings/{id}/minutes: every version, newest first,
// without content (GET /api/v1/minutes/{id} reads one, and records that it was read).
func (h *Handler) minutesHistory(w http.ResponseWriter, r *http.Request) error {
	if _, _, err := caller(r.Context(), store.RoleMember, false); err != nil {
		return fmt.Errorf("minutes history: %w", err)
	}
	id, err := pathID(r, store.ParseMeetingID)
	if err != nil {
		return fmt.Errorf("minutes history: %w", err)
	}
	ms, err := h.review.History(r.Context(), id)
	if err != nil {
		return err // review says what it was doing
	}
	out := list[minutesSummaryJSON]{Items: make([]minutesSummaryJSON, len(ms))}
	for i, m := range ms {
		out.Items[i] = minutesSummaryOut(m)
	}
	return reply(w, http.StatusOK, out)
}

// clip shortens untrusted input quoted in a message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
