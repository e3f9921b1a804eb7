package api

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/meetingminutes/minutes/shared/audit"
	"github.com/meetingminutes/minutes/shared/store"
)

// The response bodies. Each lists exactly what a caller may see; store structs are never
// marshalled directly (they hold Graph and Entra ids, transcript ids and other internals).

// page is a list with the cursor of the next page ("" when this is the last).
type page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next"`
}

// list is a list without paging.
type list[T any] struct {
	Items []T `json:"items"`
}

// optionalID is an id as a string, or null for the zero id.
func optionalID(id fmt.Stringer) *string {
	s := id.String()
	if s == "" {
		return nil
	}
	return &s
}

type meJSON struct {
	TenantID     string `json:"tenant_id"`
	UserID       string `json:"user_id"`
	Role         string `json:"role"`
	Name         string `json:"name"`
	Email        string `json:"email"`
	TenantStatus string `json:"tenant_status"`
}

type personJSON struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

type meetingJSON struct {
	ID            string              `json:"id"`
	Subject       string              `json:"subject"`
	Source        string              `json:"source"`
	Organizer     personJSON          `json:"organizer"`
	StartsAt      *time.Time          `json:"starts_at"`
	EndsAt        *time.Time          `json:"ends_at"`
	Participants  []personJSON        `json:"participants"`
	Status        string              `json:"status"`
	StatusDetail  string              `json:"status_detail"`
	CreatedAt     time.Time           `json:"created_at"`
	UpdatedAt     time.Time           `json:"updated_at"`
	LatestMinutes *minutesSummaryJSON `json:"latest_minutes,omitempty"`
}

func meetingOut(m store.Meeting) meetingJSON {
	ps := make([]personJSON, len(m.Participants))
	for i, p := range m.Participants {
		ps[i] = personJSON{Name: p.Name, Email: p.Email}
	}
	return meetingJSON{
		ID: m.ID.String(), Subject: m.Subject, Source: string(m.Source),
		Organizer: personJSON{Name: m.OrganizerName, Email: m.OrganizerEmail},
		StartsAt:  m.StartsAt, EndsAt: m.EndsAt, Participants: ps, Status: string(m.Status),
		StatusDetail: m.StatusDetail, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt,
	}
}

// minutesSummaryJSON is a minutes version without its content.
type minutesSummaryJSON struct {
	ID             string     `json:"id"`
	MeetingID      string     `json:"meeting_id"`
	Version        int        `json:"version"`
	Status         string     `json:"status"`
	Generator      string     `json:"generator"`
	CreatedBy      *string    `json:"created_by"`
	CreatedAt      time.Time  `json:"created_at"`
	DecidedBy      *string    `json:"decided_by"`
	DecidedAt      *time.Time `json:"decided_at"`
	DecisionReason string     `json:"decision_reason"`
	PublishedAt    *time.Time `json:"published_at"`
}

func minutesSummaryOut(m store.Minutes) minutesSummaryJSON {
	return minutesSummaryJSON{
		ID: m.ID.String(), MeetingID: m.MeetingID.String(), Version: m.Version, Status: string(m.Status),
		Generator: m.Generator, CreatedBy: optionalID(m.CreatedBy), CreatedAt: m.CreatedAt,
		DecidedBy: optionalID(m.DecidedBy), DecidedAt: m.DecidedAt, DecisionReason: m.DecisionReason,
		PublishedAt: m.PublishedAt,
	}
}

// minutesJSON is a minutes version with its content.
type minutesJSON struct {
	minutesSummaryJSON
	TemplateID *string         `json:"template_id"`
	Content    json.RawMessage `json:"content"`
}

func minutesOut(m store.Minutes) minutesJSON {
	return minutesJSON{minutesSummaryJSON: minutesSummaryOut(m), TemplateID: optionalID(m.TemplateID), Content: m.Content}
}

type ownerJSON struct {
	UserID *string `json:"user_id"`
	Name   string  `json:"name"`
	Email  string  `json:"email"`
}

type sourceJSON struct {
	Quote    string  `json:"quote"`
	At       *string `json:"at"`
	AtMillis *int64  `json:"at_ms"`
	Verified bool    `json:"verified"`
}

type actionItemJSON struct {
	ID          string     `json:"id"`
	MinutesID   string     `json:"minutes_id"`
	MeetingID   string     `json:"meeting_id"`
	Task        string     `json:"task"`
	Owner       ownerJSON  `json:"owner"`
	Due         *string    `json:"due"`
	Status      string     `json:"status"`
	Source      sourceJSON `json:"source"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	CompletedAt *time.Time `json:"completed_at"`
}

func actionItemOut(a store.ActionItem) actionItemJSON {
	out := actionItemJSON{
		ID: a.ID.String(), MinutesID: a.MinutesID.String(), MeetingID: a.MeetingID.String(), Task: a.Task,
		Owner:  ownerJSON{UserID: optionalID(a.OwnerUserID), Name: a.OwnerName, Email: a.OwnerEmail},
		Status: string(a.Status), Source: sourceJSON{Quote: a.SourceQuote, Verified: a.Verified},
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt, CompletedAt: a.CompletedAt,
	}
	if a.DueDate != nil {
		d := a.DueDate.Format(time.DateOnly)
		out.Due = &d
	}
	if a.SourceOffset != nil {
		s, ms := formatOffset(*a.SourceOffset), a.SourceOffset.Milliseconds()
		out.Source.At, out.Source.AtMillis = &s, &ms
	}
	return out
}

// formatOffset writes an offset into a meeting as hh:mm:ss, with .mmm when not whole seconds.
func formatOffset(d time.Duration) string {
	ms := d.Milliseconds()
	h, m, s, frac := ms/3_600_000, ms/60_000%60, ms/1000%60, ms%1000
	if frac == 0 {
		return fmt.Sprintf("%02d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%02d:%02d:%02d.%03d", h, m, s, frac)
}

type userJSON struct {
	ID          string     `json:"id"`
	Email       string     `json:"email"`
	DisplayName string     `json:"display_name"`
	Role        string     `json:"role"`
	Status      string     `json:"status"`
	CreatedAt   time.Time  `json:"created_at"`
	LastSeenAt  *time.Time `json:"last_seen_at"`
}

func userOut(u store.User) userJSON {
	return userJSON{ID: u.ID.String(), Email: u.Email, DisplayName: u.DisplayName, Role: string(u.Role),
		Status: string(u.Status), CreatedAt: u.CreatedAt, LastSeenAt: u.LastSeenAt}
}

type templateJSON struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Sections  []string  `json:"sections"`
	Tone      string    `json:"tone"`
	Language  string    `json:"language"`
	IsDefault bool      `json:"is_default"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func templateOut(t store.Template) templateJSON {
	return templateJSON{ID: t.ID.String(), Name: t.Name, Sections: t.Sections, Tone: string(t.Tone),
		Language: t.Language, IsDefault: t.IsDefault, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

type distributionJSON struct {
	Attendees     bool     `json:"attendees"`
	Extra         []string `json:"extra"`
	OrganizerOnly bool     `json:"organizer_only"`
}

type settingsJSON struct {
	ApprovalMode         string           `json:"approval_mode"`
	ApproverIDs          []string         `json:"approver_ids"`
	ReminderAfterSeconds int64            `json:"reminder_after_seconds"`
	SharePointSiteID     string           `json:"sharepoint_site_id"`
	SharePointDriveID    string           `json:"sharepoint_drive_id"`
	SharePointFolder     string           `json:"sharepoint_folder"`
	Distribution         distributionJSON `json:"distribution"`
	RetentionDays        int              `json:"retention_days"`
	DefaultTemplateID    *string          `json:"default_template_id"`
	SetupCompletedAt     *time.Time       `json:"setup_completed_at"`
	UpdatedAt            *time.Time       `json:"updated_at"`
}

func settingsOut(s store.Settings) settingsJSON {
	ids := make([]string, len(s.ApproverIDs))
	for i, id := range s.ApproverIDs {
		ids[i] = id.String()
	}
	extra := s.Distribution.Extra
	if extra == nil {
		extra = []string{}
	}
	out := settingsJSON{
		ApprovalMode: string(s.ApprovalMode), ApproverIDs: ids, ReminderAfterSeconds: int64(s.ReminderAfter / time.Second),
		SharePointSiteID: s.SharePointSiteID, SharePointDriveID: s.SharePointDriveID, SharePointFolder: s.SharePointFolder,
		Distribution:  distributionJSON{Attendees: s.Distribution.Attendees, Extra: extra, OrganizerOnly: s.Distribution.OrganizerOnly},
		RetentionDays: s.RetentionDays, DefaultTemplateID: optionalID(s.DefaultTemplateID), SetupCompletedAt: s.SetupCompletedAt,
	}
	if !s.UpdatedAt.IsZero() {
		out.UpdatedAt = &s.UpdatedAt
	}
	return out
}

type actorJSON struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

type targetJSON struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

type auditJSON struct {
	Seq      int64          `json:"seq"`
	At       time.Time      `json:"at"`
	Actor    actorJSON      `json:"actor"`
	Action   string         `json:"action"`
	Target   targetJSON     `json:"target"`
	Details  map[string]any `json:"details"`
	PrevHash string         `json:"prev_hash"`
	Hash     string         `json:"hash"`
}

func auditOut(r audit.Record) auditJSON {
	details := r.Details
	if details == nil {
		details = map[string]any{}
	}
	return auditJSON{
		Seq: r.Seq, At: r.At, Actor: actorJSON{Type: string(r.Actor.Type), ID: r.Actor.ID}, Action: r.Action,
		Target: targetJSON{Type: r.Target.Type, ID: r.Target.ID}, Details: details,
		PrevHash: hex.EncodeToString(r.PrevHash), Hash: hex.EncodeToString(r.Hash),
	}
}
