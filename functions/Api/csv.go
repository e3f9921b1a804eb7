package api

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"time"

	"github.com/meetingminutes/minutes/shared/store"
)

// csvHeader is the first record of the action-item export.
var csvHeader = []string{"task", "owner", "due", "status", "meeting", "quote", "at"}

// exportActionItems answers GET /api/v1/action-items.csv with the items the list's filters
// select (at most 200; X-Truncated: true says there may be more) as RFC 4180 CSV: CRLF line
// ends, fields quoted when needed, every cell neutralised against formula injection. The
// export is recorded as "action_items.exported" before it is sent.
func (h *Handler) exportActionItems(w http.ResponseWriter, r *http.Request) error {
	p, st, err := caller(r.Context(), store.RoleMember, false)
	if err != nil {
		return fmt.Errorf("export action items: %w", err)
	}
	f, err := itemFilter(r.Context(), r, p, st)
	if err != nil {
		return fmt.Errorf("export action items: %w", err)
	}
	if f.Limit == 0 {
		f.Limit = store.MaxLimit
	}
	var (
		items    []store.ActionItem
		subjects = map[store.MeetingID]string{}
	)
	err = st.Tx(r.Context(), func(tx store.Store) error {
		var err error
		if items, err = tx.ActionItems(r.Context(), f); err != nil {
			return err
		}
		for _, a := range items {
			if _, ok := subjects[a.MeetingID]; ok {
				continue
			}
			m, err := tx.Meeting(r.Context(), a.MeetingID)
			if err != nil {
				return err
			}
			subjects[a.MeetingID] = m.Subject
		}
		details := map[string]any{"count": len(items)}
		if f.Status != "" {
			details["status"] = string(f.Status)
		}
		if !f.MeetingID.IsZero() {
			details["meeting_id"] = f.MeetingID.String()
		}
		if !f.OwnerUserID.IsZero() {
			details["owner_user_id"] = f.OwnerUserID.String()
		}
		_, err = tx.Audit(r.Context(), h.entry(p, actionExported, "action_items", "", details))
		return err
	})
	if err != nil {
		return fmt.Errorf("export action items: %w", err)
	}

	hd := w.Header()
	hd.Set("Content-Type", "text/csv; charset=utf-8")
	hd.Set("Content-Disposition", `attachment; filename="action-items.csv"`)
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	if len(items) == f.Limit {
		hd.Set("X-Truncated", "true")
	}
	w.WriteHeader(http.StatusOK)
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	_ = cw.Write(csvHeader)
	for _, a := range items {
		owner := a.OwnerName
		if owner == "" {
			owner = a.OwnerEmail
		}
		due, at := "", ""
		if a.DueDate != nil {
			due = a.DueDate.Format(time.DateOnly)
		}
		if a.SourceOffset != nil {
			at = formatOffset(*a.SourceOffset)
		}
		meeting := subjects[a.MeetingID]
		if meeting == "" {
			meeting = a.MeetingID.String()
		}
		_ = cw.Write(cellsOf(a.Task, owner, due, string(a.Status), meeting, a.SourceQuote, at))
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		// The status is sent: nothing can be reported to the caller any more.
		h.log.WarnContext(r.Context(), "action item export cut short", "error", err)
	}
	return nil
}

// cellsOf neutralises each cell (see neutralise).
func cellsOf(cells ...string) []string {
	for i, c := range cells {
		cells[i] = neutralise(c)
	}
	return cells
}

// neutralise keeps a spreadsheet from running a cell as a formula: a cell starting with
// = + - @ (or tab or carriage return, which some spreadsheets skip before looking) gets a
// leading single quote, so it is shown as the text it is (OWASP "CSV injection").
func neutralise(cell string) string {
	if cell == "" {
		return cell
	}
	switch cell[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + cell
	}
	return cell
}
