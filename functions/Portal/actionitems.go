package portal

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/meetingminutes/minutes/shared/access"
	"github.com/meetingminutes/minutes/shared/store"
)

// actionRow is one row of the action items page.
type actionRow struct {
	ID                    store.ActionItemID
	Task, Owner, Due      string
	Status                store.ActionItemStatus
	MeetingID             store.MeetingID
	MeetingSubject        string
	Quote, At, Unverified string
	// CanChange shows the Mark done / Reopen button.
	CanChange bool
}

// actionItemsData is the data of the action items page.
type actionItemsData struct {
	// Owner is "me" or "all"; Status is "open", "done" or "all".
	Owner, Status string
	Rows          []actionRow
	// CSV is the export link of the same selection (served by the API).
	CSV string
	// Back is this page's URL, for the status forms to come back to.
	Back string
	// CanTrack shows the column of status buttons (some row may have one).
	CanTrack bool
	// Truncated says the list stops at the first store.MaxLimit items.
	Truncated bool
}

// actionItems serves GET /api/app/action-items?owner=me|all&status=open|done|all.
func (h *Handler) actionItems(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, st, err := access.Caller(ctx, store.RoleMember, false)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	data := actionItemsData{Owner: q.Get("owner"), Status: q.Get("status"), CanTrack: !readOnly(p)}
	if data.Owner != "all" {
		data.Owner = "me"
	}
	if data.Status != "done" && data.Status != "all" {
		data.Status = "open"
	}
	f := store.ActionItemFilter{Limit: store.MaxLimit}
	if data.Owner == "me" {
		f.OwnerUserID = p.User
	}
	if data.Status != "all" {
		f.Status = store.ActionItemStatus(data.Status)
	}
	items, err := st.ActionItems(ctx, f)
	if err != nil {
		return err
	}
	data.Truncated = len(items) == store.MaxLimit
	sel := url.Values{"owner": {data.Owner}, "status": {data.Status}}.Encode()
	data.CSV = "/api/v1/action-items.csv?" + sel
	data.Back = "/api/app/action-items?" + sel
	canChange := itemChanger(p)
	subjects := map[store.MeetingID]string{}
	for _, it := range items {
		subject, seen := subjects[it.MeetingID]
		if !seen {
			m, err := st.Meeting(ctx, it.MeetingID)
			switch {
			case err == nil:
				subject = orDefault(m.Subject, "(no subject)")
			case errors.Is(err, store.ErrNotFound):
				subject = "(meeting removed)"
			default:
				return err
			}
			subjects[it.MeetingID] = subject
		}
		row := actionRow{ID: it.ID, Task: it.Task, Owner: orDefault(it.OwnerName, it.OwnerEmail), Status: it.Status,
			MeetingID: it.MeetingID, MeetingSubject: subject, Quote: it.SourceQuote, At: offset(it.SourceOffset),
			CanChange: canChange(it)}
		if it.DueDate != nil {
			row.Due = it.DueDate.Format(time.DateOnly)
		}
		switch {
		case it.SourceQuote == "":
			row.Unverified = "No transcript quote supports this item."
		case !it.Verified:
			row.Unverified = "The quote was not found verbatim in the transcript."
		}
		data.Rows = append(data.Rows, row)
	}
	v := h.newView(r, "Action items", "action-items")
	v.Data = data
	return h.render(w, http.StatusOK, "action-items", v)
}
