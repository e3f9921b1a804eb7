package portal

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/meetingminutes/minutes/shared/access"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/store"
)

// maxReason is the longest rejection reason, in characters.
const maxReason = 2000

// meetingURL is the meeting page with a ?done= or ?error= code.
func meetingURL(id store.MeetingID, key, code string) string {
	u := "/api/app/meetings/" + id.String()
	if code != "" {
		u += "?" + key + "=" + code
	}
	return u
}

// decided handles the outcome of an approval or rejection: a conflict (someone decided or
// edited first) goes back to the page with an explanation.
func decided(w http.ResponseWriter, r *http.Request, meeting store.MeetingID, done string, err error) error {
	switch {
	case err == nil:
		return redirect(w, r, meetingURL(meeting, "done", done))
	case errors.Is(err, store.ErrConflict):
		return redirect(w, r, meetingURL(meeting, "error", "conflict"))
	}
	return err
}

// minutesForChange checks the caller may make a change of role at least need, and reads the
// minutes version {id} of their tenant.
func minutesForChange(r *http.Request, need store.Role) (store.Minutes, error) {
	p, err := access.RequireWrite(r.Context(), need)
	if err != nil {
		return store.Minutes{}, err
	}
	id, err := store.ParseMinutesID(r.PathValue("id"))
	if err != nil {
		return store.Minutes{}, errNotFound
	}
	st, err := p.Store()
	if err != nil {
		return store.Minutes{}, err
	}
	return st.Minutes(r.Context(), id)
}

// approve serves POST /api/app/minutes/{id}/approve.
func (h *Handler) approve(w http.ResponseWriter, r *http.Request) error {
	m, err := minutesForChange(r, store.RoleApprover)
	if err != nil {
		return err
	}
	_, err = h.d.Review.Approve(r.Context(), m.ID)
	return decided(w, r, m.MeetingID, "approved", err)
}

// reject serves POST /api/app/minutes/{id}/reject; the reason is required.
func (h *Handler) reject(w http.ResponseWriter, r *http.Request) error {
	m, err := minutesForChange(r, store.RoleApprover)
	if err != nil {
		return err
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	switch {
	case reason == "":
		return h.renderMeeting(w, r, m.MeetingID, http.StatusUnprocessableEntity, reason, "Say why these minutes are rejected: the reason is kept with this version.")
	case utf8.RuneCountInString(reason) > maxReason:
		return h.renderMeeting(w, r, m.MeetingID, http.StatusUnprocessableEntity, reason, "The reason is too long (at most 2000 characters).")
	}
	_, err = h.d.Review.Reject(r.Context(), m.ID, reason)
	return decided(w, r, m.MeetingID, "rejected", err)
}

// editData is the data of the edit page.
type editData struct {
	Meeting store.Meeting
	Minutes store.Minutes
	Form    *editForm
	// Problem is a refusal of the whole edit by the review service.
	Problem string
}

// editForm serves GET /api/app/minutes/{id}/edit.
func (h *Handler) editForm(w http.ResponseWriter, r *http.Request) error {
	m, err := minutesForChange(r, store.RoleApprover)
	if err != nil {
		return err
	}
	if ok, err := editable(r, m); err != nil || !ok {
		if err != nil {
			return err
		}
		return redirect(w, r, meetingURL(m.MeetingID, "error", "not_editable"))
	}
	src, err := editSource(r, m)
	if err != nil {
		return err
	}
	return h.renderEdit(w, r, m, formFromContent(src), http.StatusOK, "")
}

// editable reports whether m can be edited: the latest version, draft or pending approval
// (review.Service.Edit enforces the same).
func editable(r *http.Request, m store.Minutes) (bool, error) {
	if m.Status != store.MinutesDraft && m.Status != store.MinutesPendingApproval {
		return false, nil
	}
	st, err := access.FromContext(r.Context()).Store()
	if err != nil {
		return false, err
	}
	latest, err := st.LatestMinutes(r.Context(), m.MeetingID)
	if err != nil {
		return false, err
	}
	return latest.ID == m.ID, nil
}

// editSource reads the version being edited with its stored action items.
func editSource(r *http.Request, m store.Minutes) (*source, error) {
	st, err := access.FromContext(r.Context()).Store()
	if err != nil {
		return nil, err
	}
	items, err := st.ActionItems(r.Context(), store.ActionItemFilter{MinutesID: m.ID, Limit: store.MaxLimit})
	if err != nil {
		return nil, err
	}
	return newSource(m.Content, items), nil
}

func (h *Handler) renderEdit(w http.ResponseWriter, r *http.Request, m store.Minutes, f *editForm, status int, problem string) error {
	p := access.FromContext(r.Context())
	st, err := p.Store()
	if err != nil {
		return err
	}
	meeting, err := st.Meeting(r.Context(), m.MeetingID)
	if err != nil {
		return err
	}
	v := h.newView(r, "Edit minutes — "+orDefault(meeting.Subject, "Meeting"), "meetings")
	v.Data = editData{Meeting: meeting, Minutes: m, Form: f, Problem: problem}
	return h.render(w, status, "edit", v)
}

// edit serves POST /api/app/minutes/{id}/edit: the form becomes a new minutes version.
func (h *Handler) edit(w http.ResponseWriter, r *http.Request) error {
	m, err := minutesForChange(r, store.RoleApprover)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errBadForm
	}
	src, err := editSource(r, m)
	if err != nil {
		return err
	}
	f, ok := parseEditForm(r.PostForm, src)
	if !ok {
		return h.renderEdit(w, r, m, f, http.StatusUnprocessableEntity, "Some fields need your attention; nothing was saved.")
	}
	content, err := f.content(src)
	if err != nil {
		return err
	}
	saved, err := h.d.Review.Edit(r.Context(), m.ID, content)
	switch status := funchost.StatusOf(err); {
	case err == nil:
		return redirect(w, r, meetingURL(saved.MeetingID, "done", "edited"))
	case errors.Is(err, store.ErrConflict):
		return redirect(w, r, meetingURL(m.MeetingID, "error", "conflict"))
	case status == http.StatusBadRequest || status == http.StatusNotFound || status == http.StatusUnprocessableEntity:
		// The content was refused (an owner who left the tenant, a value out of range).
		return h.renderEdit(w, r, m, f, http.StatusUnprocessableEntity, "These minutes could not be saved: "+funchost.PublicMessage(err)+".")
	}
	return err
}

// setActionItemStatus serves POST /api/app/action-items/{id}/status (status=done|open), then
// goes back to the page the form was on.
func (h *Handler) setActionItemStatus(w http.ResponseWriter, r *http.Request) error {
	if _, err := access.RequireWrite(r.Context(), store.RoleMember); err != nil {
		return err
	}
	id, err := store.ParseActionItemID(r.PathValue("id"))
	if err != nil {
		return errNotFound
	}
	status := store.ActionItemStatus(r.PostFormValue("status"))
	done := map[store.ActionItemStatus]string{store.ActionDone: "item_done", store.ActionOpen: "item_open"}[status]
	if done == "" {
		return funchost.Status(http.StatusBadRequest, "unknown action item status")
	}
	item, err := h.d.Review.SetActionItemStatus(r.Context(), id, status)
	if err != nil {
		return err
	}
	back := backTo(r.PostFormValue("back"), meetingURL(item.MeetingID, "", ""))
	return redirect(w, r, withQuery(back, "done", done))
}

// backTo returns p when it is a portal path (no open redirect), else def.
func backTo(p, def string) string {
	u, err := url.Parse(p)
	if p == "" || err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/api/app/") ||
		strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n\t") {
		return def
	}
	return u.RequestURI()
}

// withQuery sets key=value in the query of the local URL u.
func withQuery(u, key, value string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := parsed.Query()
	q.Del("done")
	q.Del("error")
	q.Set(key, value)
	parsed.RawQuery = q.Encode()
	return parsed.RequestURI()
}
