package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/meetingminutes/minutes/shared/audit"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/store"
)

// maxAuditPage is the largest audit page (audit.List's own bound).
const maxAuditPage = 500

// listAudit answers GET /api/v1/audit?limit=&before=, newest first; next is the seq to pass
// as before for the older page. Each record carries its chain hashes, so the tenant can
// verify what it exports.
func (h *Handler) listAudit(w http.ResponseWriter, r *http.Request) error {
	p, _, err := caller(r.Context(), store.RoleAdmin, false)
	if err != nil {
		return fmt.Errorf("list audit log: %w", err)
	}
	if h.auditLog == nil {
		return funchost.Unavailable("the audit log is not available in this deployment")
	}
	limit, err := queryLimit(r, maxAuditPage)
	if err != nil {
		return err
	}
	if limit == 0 {
		limit = store.DefaultLimit
	}
	var before int64
	if s := r.URL.Query().Get("before"); s != "" {
		if before, err = strconv.ParseInt(s, 10, 64); err != nil || before < 1 {
			return badRequest("before must be a positive sequence number")
		}
	}
	recs, err := h.auditLog.List(r.Context(), p.Tenant, audit.ListParams{Limit: limit, BeforeSeq: before})
	if err != nil {
		return fmt.Errorf("list audit log: %w", err)
	}
	out := page[auditJSON]{Items: make([]auditJSON, len(recs))}
	for i, rec := range recs {
		out.Items[i] = auditOut(rec)
	}
	if n := len(recs); n == limit && recs[n-1].Seq > 1 {
		out.Next = strconv.FormatInt(recs[n-1].Seq, 10)
	}
	return reply(w, http.StatusOK, out)
}
