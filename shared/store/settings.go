package store

import "time"

// ApprovalMode says who must approve minutes before they are published
// (tenant_settings.approval_mode).
type ApprovalMode string

// Approval modes.
const (
	// ApprovalNone publishes minutes without review.
	ApprovalNone ApprovalMode = "none"
	// ApprovalAny lets any approver or admin approve; the default.
	ApprovalAny ApprovalMode = "any"
	// ApprovalNamed lets only Settings.ApproverIDs approve.
	ApprovalNamed ApprovalMode = "named"
)

// Valid reports whether m is one of the defined modes.
func (m ApprovalMode) Valid() bool {
	switch m {
	case ApprovalNone, ApprovalAny, ApprovalNamed:
		return true
	}
	return false
}

// Distribution says who receives published minutes.
type Distribution struct {
	// Attendees sends them to every attendee.
	Attendees bool `json:"attendees"`
	// Extra are further addresses.
	Extra []string `json:"extra,omitempty"`
	// OrganizerOnly sends them to the organizer alone (Attendees ignored).
	OrganizerOnly bool `json:"organizer_only,omitempty"`
}

// Settings is the tenant's configuration of the product. A tenant that never saved any gets
// DefaultSettings.
type Settings struct {
	// ApprovalMode says who must approve minutes.
	ApprovalMode ApprovalMode
	// ApproverIDs are the approvers under ApprovalNamed; each must be a user of the tenant.
	ApproverIDs []UserID
	// ReminderAfter is how long pending minutes wait before approvers are reminded, stored
	// with microsecond precision; not negative.
	ReminderAfter time.Duration
	// SharePointSiteID is the Graph site id of the publishing library, "" before setup.
	SharePointSiteID string
	// SharePointDriveID is the Graph drive id of the publishing library, "" before setup.
	SharePointDriveID string
	// SharePointFolder is the folder minutes are published to.
	SharePointFolder string
	// Distribution says who receives published minutes.
	Distribution Distribution
	// RetentionDays is how long meetings' data is kept, 1 to 36500 days.
	RetentionDays int
	// DefaultTemplateID is the default template; zero when none. SaveSettings and
	// SetDefaultTemplate keep it equal to the template flagged IsDefault.
	DefaultTemplateID TemplateID
	// SetupCompletedAt is when the setup wizard finished, nil before.
	SetupCompletedAt *time.Time
	// UpdatedAt is the last save; zero when the tenant never saved settings.
	UpdatedAt time.Time
}

// DefaultSettings returns the settings of a tenant that never saved any: the schema's column
// defaults.
func DefaultSettings() Settings {
	return Settings{
		ApprovalMode:     ApprovalAny,
		ApproverIDs:      []UserID{},
		ReminderAfter:    24 * time.Hour,
		SharePointFolder: "Meeting Minutes",
		Distribution:     Distribution{Attendees: true},
		RetentionDays:    365,
	}
}
