package portal

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/meetingminutes/minutes/shared/access"
	"github.com/meetingminutes/minutes/shared/store"
)

// meetingsPageSize is the number of meetings per page of the list.
const meetingsPageSize = 25

// landingData is the data of the landing page.
type landingData struct {
	Plans []Plan
}

// landing serves GET /api/app/: the pitch for visitors; signed-in users go to their work.
func (h *Handler) landing(w http.ResponseWriter, r *http.Request) error {
	p := access.FromContext(r.Context())
	switch {
	case p.SignedIn():
		return redirect(w, r, "/api/app/meetings")
	case p.Operator:
		return redirect(w, r, "/api/app/operator")
	}
	v := h.newView(r, "Meeting minutes your team approves", "")
	v.Data = landingData{Plans: h.d.Plans}
	return h.render(w, http.StatusOK, "landing", v)
}

// meetingRow is one row of the meetings list.
type meetingRow struct {
	ID        store.MeetingID
	Subject   string
	StartsAt  *time.Time
	Organizer string
	Badge     badge
}

// meetingsData is the data of the meetings list.
type meetingsData struct {
	Rows []meetingRow
	// Older is the link to the next page, "" on the last one.
	Older string
	// First says this is the first page.
	First bool
	// SetupPending asks an admin to finish the setup wizard.
	SetupPending bool
	// Alerts are the tenant's open problems (a Teams setting to switch on); the steps are
	// shown to admins, who can act on them.
	Alerts []store.Alert
	// ShowAlertSteps says the caller is an admin.
	ShowAlertSteps bool
}

// meetings serves GET /api/app/meetings.
func (h *Handler) meetings(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, st, err := access.Caller(ctx, store.RoleMember, false)
	if err != nil {
		return err
	}
	before, err := store.ParseMeetingCursor(r.URL.Query().Get("before"))
	if err != nil {
		before = store.MeetingCursor{} // a damaged link starts at the top
	}
	data, err := meetingsPage(ctx, p, st, before)
	if err != nil {
		return err
	}
	v := h.newView(r, "Meetings", "meetings")
	v.Data = data
	return h.render(w, http.StatusOK, "meetings", v)
}

// meetingsPage builds the meetings list from before on (the zero cursor: the first page).
func meetingsPage(ctx context.Context, p access.Principal, st store.Store, before store.MeetingCursor) (meetingsData, error) {
	list, err := st.ListMeetings(ctx, store.ListMeetingsParams{Limit: meetingsPageSize + 1, Before: before})
	if err != nil {
		return meetingsData{}, err
	}
	data := meetingsData{First: before.IsZero()}
	if len(list) > meetingsPageSize {
		list = list[:meetingsPageSize]
		data.Older = "/api/app/meetings?before=" + list[len(list)-1].Cursor().String()
	}
	for _, m := range list {
		data.Rows = append(data.Rows, meetingRow{ID: m.ID, Subject: orDefault(m.Subject, "(no subject)"), StartsAt: m.StartsAt,
			Organizer: orDefault(m.OrganizerName, m.OrganizerEmail), Badge: meetingBadge(m.Status, m.StatusDetail)})
	}
	if p.AtLeast(store.RoleAdmin) {
		s, err := st.Settings(ctx)
		if err != nil {
			return meetingsData{}, err
		}
		data.SetupPending = s.SetupCompletedAt == nil
		data.ShowAlertSteps = true
	}
	if data.Alerts, err = st.OpenAlerts(ctx); err != nil {
		return meetingsData{}, err
	}
	return data, nil
}

// meetingData is the data of the meeting page.
type meetingData struct {
	Meeting store.Meeting
	Badge   badge
	// Events is the meeting's pipeline timeline, oldest first.
	Events []store.MeetingEvent
	// Latest is the newest minutes version, nil when there is none yet.
	Latest  *minutesDoc
	History []store.Minutes
	// CanApprove and CanReject show those forms; CanEdit the Edit link.
	CanApprove, CanReject, CanEdit bool
	// NotNamed says approval is limited to named approvers and the caller is not one.
	NotNamed bool
	// Reason and ReasonErr keep the reject form's input when it was refused.
	Reason, ReasonErr string
}

// meeting serves GET /api/app/meetings/{id}: the latest minutes for review.
func (h *Handler) meeting(w http.ResponseWriter, r *http.Request) error {
	if _, err := access.Require(r.Context(), store.RoleMember); err != nil {
		return err
	}
	id, err := store.ParseMeetingID(r.PathValue("id"))
	if err != nil {
		return errNotFound
	}
	return h.renderMeeting(w, r, id, http.StatusOK, "", "")
}

// itemChanger says which action items the caller may mark done or reopen: approvers and
// admins any, members their own (review.Service.SetActionItemStatus decides the same).
func itemChanger(p access.Principal) func(store.ActionItem) bool {
	return func(a store.ActionItem) bool {
		return !readOnly(p) && (p.AtLeast(store.RoleApprover) || (!a.OwnerUserID.IsZero() && a.OwnerUserID == p.User))
	}
}

// renderMeeting renders the meeting page, with the reject form's input and problem when a
// rejection was refused.
func (h *Handler) renderMeeting(w http.ResponseWriter, r *http.Request, id store.MeetingID, status int, reason, reasonErr string) error {
	ctx := r.Context()
	p, st, err := access.Caller(ctx, store.RoleMember, false)
	if err != nil {
		return err
	}
	m, err := st.Meeting(ctx, id)
	if err != nil {
		return err
	}
	history, err := h.d.Review.History(ctx, id)
	if err != nil {
		return err
	}
	events, err := st.MeetingEvents(ctx, id)
	if err != nil {
		return err
	}
	data := meetingData{Meeting: m, Badge: meetingBadge(m.Status, m.StatusDetail), History: history,
		Events: events, Reason: reason, ReasonErr: reasonErr}
	if len(history) > 0 {
		latest, err := h.d.Review.View(ctx, history[0].ID) // the read is audited
		if err != nil {
			return err
		}
		items, err := st.ActionItems(ctx, store.ActionItemFilter{MinutesID: latest.ID, Limit: store.MaxLimit})
		if err != nil {
			return err
		}
		doc := newDoc(latest, items, itemChanger(p))
		data.Latest = &doc
		if !readOnly(p) && p.AtLeast(store.RoleApprover) {
			data.CanEdit = latest.Status == store.MinutesDraft || latest.Status == store.MinutesPendingApproval
			data.CanReject = store.CanTransition(latest.Status, store.MinutesRejected)
			if store.CanTransition(latest.Status, store.MinutesApproved) {
				s, err := st.Settings(ctx)
				if err != nil {
					return err
				}
				data.NotNamed = s.ApprovalMode == store.ApprovalNamed && !slices.Contains(s.ApproverIDs, p.User)
				data.CanApprove = !data.NotNamed
			}
		}
	}
	v := h.newView(r, orDefault(m.Subject, "Meeting"), "meetings")
	v.Data = data
	return h.render(w, status, "meeting", v)
}

// versionData is the data of the read-only minutes version page.
type versionData struct {
	Meeting  store.Meeting
	Doc      minutesDoc
	IsLatest bool
	// Changes is what this version changed against the one before it; nil for version 1.
	Changes *versionChanges
}

// minutesVersion serves GET /api/app/minutes/{id}: any version, read-only.
func (h *Handler) minutesVersion(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, err := access.Require(ctx, store.RoleMember)
	if err != nil {
		return err
	}
	id, err := store.ParseMinutesID(r.PathValue("id"))
	if err != nil {
		return errNotFound
	}
	st, err := p.Store()
	if err != nil {
		return err
	}
	mv, err := h.d.Review.View(ctx, id) // the read is audited
	if err != nil {
		return err
	}
	m, err := st.Meeting(ctx, mv.MeetingID)
	if err != nil {
		return err
	}
	latest, err := st.LatestMinutes(ctx, mv.MeetingID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	items, err := st.ActionItems(ctx, store.ActionItemFilter{MinutesID: id, Limit: store.MaxLimit})
	if err != nil {
		return err
	}
	v := h.newView(r, orDefault(m.Subject, "Meeting")+" — version "+strconv.Itoa(mv.Version), "meetings")
	noChange := func(store.ActionItem) bool { return false } // an old version is read-only
	data := versionData{Meeting: m, Doc: newDoc(mv, items, noChange), IsLatest: latest.ID == mv.ID}
	if mv.Version > 1 {
		history, err := st.MinutesHistory(ctx, mv.MeetingID)
		if err != nil {
			return err
		}
		if prev, ok := previousVersion(history, mv.Version); ok {
			prevItems, err := st.ActionItems(ctx, store.ActionItemFilter{MinutesID: prev.ID, Limit: store.MaxLimit})
			if err != nil {
				return err
			}
			changes := diffVersions(newDoc(prev, prevItems, noChange), data.Doc)
			data.Changes = &changes
		}
	}
	v.Data = data
	return h.render(w, http.StatusOK, "version", v)
}
