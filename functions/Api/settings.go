package api

import (
	"fmt"
	"net/http"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/meetingminutes/minutes/shared/store"
)

// Limits of the settings an admin may set.
const (
	maxReminderAfter = 30 * 24 * time.Hour
	maxRetentionDays = 36500
	maxExtraAddrs    = 50
	maxFolderLength  = 255
)

// getSettings answers GET /api/v1/settings.
func (h *Handler) getSettings(w http.ResponseWriter, r *http.Request) error {
	_, st, err := caller(r.Context(), store.RoleAdmin, false)
	if err != nil {
		return fmt.Errorf("get settings: %w", err)
	}
	s, err := st.Settings(r.Context())
	if err != nil {
		return fmt.Errorf("get settings: %w", err)
	}
	return reply(w, http.StatusOK, settingsOut(s))
}

// settingsRequest is the body of PUT /api/v1/settings: the settings an admin may change here.
// An absent (or null) field keeps its value. The SharePoint site and drive are chosen in the
// setup wizard, which checks them against Graph; they are read-only here, and sending them
// is an unknown field like any other.
type settingsRequest struct {
	// ApprovalMode is none, any or named.
	ApprovalMode *store.ApprovalMode `json:"approval_mode"`
	// ApproverIDs are the named approvers: active approvers or admins of the tenant.
	ApproverIDs *[]string `json:"approver_ids"`
	// ReminderAfterSeconds is how long pending minutes wait before a reminder, 0 to 30 days.
	ReminderAfterSeconds *int64 `json:"reminder_after_seconds"`
	// SharePointFolder is the publishing folder, 1 to 255 characters.
	SharePointFolder *string `json:"sharepoint_folder"`
	// Distribution says who receives published minutes.
	Distribution *distributionRequest `json:"distribution"`
	// RetentionDays is how long meetings are kept, 1 to 36500.
	RetentionDays *int `json:"retention_days"`
	// DefaultTemplateID is a template of the tenant, or "" for none.
	DefaultTemplateID *string `json:"default_template_id"`
}

// distributionRequest replaces the distribution as a whole.
type distributionRequest struct {
	Attendees     bool     `json:"attendees"`
	Extra         []string `json:"extra"`
	OrganizerOnly bool     `json:"organizer_only"`
}

// putSettings answers PUT /api/v1/settings: the fields sent are checked and saved together,
// with a "settings.updated" audit entry naming them.
func (h *Handler) putSettings(w http.ResponseWriter, r *http.Request) error {
	p, st, err := caller(r.Context(), store.RoleAdmin, true)
	if err != nil {
		return fmt.Errorf("update settings: %w", err)
	}
	var req settingsRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return fmt.Errorf("update settings: %w", err)
	}
	var out store.Settings
	err = st.Tx(r.Context(), func(tx store.Store) error {
		cur, err := tx.Settings(r.Context())
		if err != nil {
			return err
		}
		next, changed, err := applySettings(r, tx, cur, req)
		if err != nil {
			return err
		}
		if next.ApprovalMode == store.ApprovalNamed && cur.ApprovalMode != store.ApprovalNamed {
			if err := h.allows(r.Context(), p.Tenant, featureNamedApprovers, "Named approvers"); err != nil {
				return err
			}
		}
		if len(changed) == 0 {
			out = cur
			return nil
		}
		if out, err = tx.SaveSettings(r.Context(), next); err != nil {
			return err
		}
		_, err = tx.Audit(r.Context(), h.entry(p, actionSettingsUpdated, "settings", "", map[string]any{
			"changed":       changed,
			"approval_mode": string(out.ApprovalMode),
			"approvers":     len(out.ApproverIDs),
		}))
		return err
	})
	if err != nil {
		return fmt.Errorf("update settings: %w", err)
	}
	return reply(w, http.StatusOK, settingsOut(out))
}

// applySettings checks req and returns cur with req's fields applied and the names of the
// fields sent.
func applySettings(r *http.Request, tx store.Store, cur store.Settings, req settingsRequest) (store.Settings, []string, error) {
	ctx := r.Context()
	next, changed := cur, []string{}
	if req.ApprovalMode != nil {
		if !req.ApprovalMode.Valid() {
			return cur, nil, badRequest("approval_mode must be none, any or named")
		}
		next.ApprovalMode, changed = *req.ApprovalMode, append(changed, "approval_mode")
	}
	if req.ApproverIDs != nil {
		ids := make([]store.UserID, 0, len(*req.ApproverIDs))
		for i, s := range *req.ApproverIDs {
			id, err := store.ParseUserID(s)
			if err != nil {
				return cur, nil, fmt.Errorf("approver_ids[%d]: %w", i, errNotFound)
			}
			u, err := tx.User(ctx, id)
			if err != nil {
				return cur, nil, fmt.Errorf("approver_ids[%d]: %w", i, err)
			}
			if u.Status != store.UserActive || !(u.Role == store.RoleApprover || u.Role == store.RoleAdmin) {
				return cur, nil, badRequest("approver_ids[%d] is not an active approver or admin", i)
			}
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		next.ApproverIDs, changed = ids, append(changed, "approver_ids")
	}
	if next.ApprovalMode == store.ApprovalNamed && len(next.ApproverIDs) == 0 {
		return cur, nil, badRequest("approval_mode named needs at least one of approver_ids")
	}
	if req.ReminderAfterSeconds != nil {
		secs, most := *req.ReminderAfterSeconds, int64(maxReminderAfter/time.Second)
		if secs < 0 || secs > most { // compared in seconds: a huge value would overflow a Duration
			return cur, nil, badRequest("reminder_after_seconds must be between 0 and %d", most)
		}
		next.ReminderAfter, changed = time.Duration(secs)*time.Second, append(changed, "reminder_after_seconds")
	}
	if req.SharePointFolder != nil {
		f := strings.TrimSpace(*req.SharePointFolder)
		if err := checkFolder(f); err != nil {
			return cur, nil, err
		}
		next.SharePointFolder, changed = f, append(changed, "sharepoint_folder")
	}
	if req.Distribution != nil {
		d, err := checkDistribution(*req.Distribution)
		if err != nil {
			return cur, nil, err
		}
		next.Distribution, changed = d, append(changed, "distribution")
	}
	if req.RetentionDays != nil {
		if *req.RetentionDays < 1 || *req.RetentionDays > maxRetentionDays {
			return cur, nil, badRequest("retention_days must be between 1 and %d", maxRetentionDays)
		}
		next.RetentionDays, changed = *req.RetentionDays, append(changed, "retention_days")
	}
	if req.DefaultTemplateID != nil {
		next.DefaultTemplateID = store.TemplateID{}
		if *req.DefaultTemplateID != "" {
			id, err := store.ParseTemplateID(*req.DefaultTemplateID)
			if err != nil {
				return cur, nil, fmt.Errorf("default_template_id: %w", errNotFound)
			}
			if _, err := tx.Template(ctx, id); err != nil {
				return cur, nil, fmt.Errorf("default_template_id: %w", err)
			}
			next.DefaultTemplateID = id
		}
		changed = append(changed, "default_template_id")
	}
	return next, changed, nil
}

// checkFolder accepts a SharePoint folder path: 1 to 255 characters, no control characters,
// none of the characters SharePoint refuses, no empty, "." or ".." segments.
func checkFolder(f string) error {
	if f == "" || utf8.RuneCountInString(f) > maxFolderLength {
		return badRequest("sharepoint_folder must have 1 to %d characters", maxFolderLength)
	}
	if strings.IndexFunc(f, func(c rune) bool { return unicode.IsControl(c) || strings.ContainsRune(`"*:<>?\|#%`, c) }) >= 0 {
		return badRequest(`sharepoint_folder may not contain control characters or any of " * : < > ? \ | # %%`)
	}
	for _, seg := range strings.Split(strings.Trim(f, "/"), "/") {
		if s := strings.TrimSpace(seg); s == "" || s == "." || s == ".." {
			return badRequest("sharepoint_folder has an empty, . or .. segment")
		}
	}
	return nil
}

// checkDistribution accepts plain addresses ("a@b.example", no display names), at most 50.
func checkDistribution(d distributionRequest) (store.Distribution, error) {
	if len(d.Extra) > maxExtraAddrs {
		return store.Distribution{}, badRequest("distribution.extra has more than %d addresses", maxExtraAddrs)
	}
	extra := make([]string, 0, len(d.Extra))
	for i, a := range d.Extra {
		a = strings.TrimSpace(a)
		addr, err := mail.ParseAddress(a)
		if err != nil || addr.Address != a || len(a) > 320 {
			return store.Distribution{}, badRequest("distribution.extra[%d] is not an e-mail address", i)
		}
		if !slices.ContainsFunc(extra, func(e string) bool { return strings.EqualFold(e, a) }) {
			extra = append(extra, a)
		}
	}
	return store.Distribution{Attendees: d.Attendees, Extra: extra, OrganizerOnly: d.OrganizerOnly}, nil
}
