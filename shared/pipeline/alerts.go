package pipeline

import (
	"fmt"
	"time"

	"github.com/meetingminutes/minutes/shared/store"
)

// Alert kinds a tenant admin acts on (tenant_alerts.kind). The 403 kinds match
// graph.AccessDenial values, so a denial names its alert.
const (
	AlertTranscriptAPI  = "transcript_api_disabled"
	AlertAccessPolicy   = "application_access_policy"
	AlertGraphForbidden = "graph_forbidden"
	AlertMetering       = "transcript_metering"
)

// AlertFor returns the alert telling the admin how to open the gate that refused us. appID is
// our application (client) id, named in the access-policy commands.
func AlertFor(kind, appID string) store.AlertInput {
	if appID == "" {
		appID = "<Meeting Minutes application id>"
	}
	switch kind {
	case AlertTranscriptAPI:
		return store.AlertInput{Kind: kind, Title: "Turn on Transcript API access in Teams",
			Detail: "Microsoft Teams refused to hand transcripts to applications: the tenant's \"Transcript API access\" " +
				"setting is off (the default). A Teams administrator runs, in PowerShell with the MicrosoftTeams module:\n\n" +
				"    Connect-MicrosoftTeams\n" +
				"    Set-CsTeamsMeetingConfiguration -EnableGraphTranscriptAccess $true\n\n" +
				"Meetings waiting for their transcript are retried automatically for three days; after that, upload the transcript from the meeting's page."}
	case AlertAccessPolicy:
		return store.AlertInput{Kind: kind, Title: "Grant Meeting Minutes the Teams application access policy",
			Detail: "Microsoft Teams refused to let Meeting Minutes read the organizer's meetings: no application access policy " +
				"covers them. A Teams administrator runs, in PowerShell with the MicrosoftTeams module:\n\n" +
				"    Connect-MicrosoftTeams\n" +
				fmt.Sprintf("    New-CsApplicationAccessPolicy -Identity MeetingMinutes -AppIds \"%s\" -Description \"Meeting Minutes\"\n", appID) +
				"    Grant-CsApplicationAccessPolicy -PolicyName MeetingMinutes -Global\n\n" +
				"(or -Identity <user> / -Group <group id> instead of -Global). The change takes up to 30 minutes; waiting meetings are retried automatically."}
	case AlertMetering:
		return store.AlertInput{Kind: kind, Title: "Transcript downloads are paused by Microsoft's metering",
			Detail: "Microsoft Graph answered 402 Payment Required: the monthly free allowance of transcript minutes is used up. " +
				"Our operations team has been alerted; meetings are retried automatically and nothing is lost."}
	}
	return store.AlertInput{Kind: AlertGraphForbidden, Title: "Microsoft Graph refused access to meeting transcripts",
		Detail: "Microsoft Graph answered 403 Forbidden. Check that an administrator granted admin consent to Meeting Minutes " +
			"(Settings → Microsoft 365 connection → Grant consent) and that the consent was not revoked. Waiting meetings are retried automatically."}
}

// Retry is how long a transcript fetch is retried before it is given up.
type Retry struct {
	// First is the delay after the first failure; each next one doubles, up to Max.
	First, Max time.Duration
	// Attempts is the most attempts; MaxAge the longest time since the first. Whichever comes
	// first ends the retries.
	Attempts int
	MaxAge   time.Duration
}

// DefaultRetry waits 2, 4, 8 … minutes up to 2 hours between attempts, for at most 30 attempts
// or 3 days: Graph documents transcript notifications up to 60 minutes late, and a tenant
// admin switching on a Teams setting may take a day.
func DefaultRetry() Retry {
	return Retry{First: 2 * time.Minute, Max: 2 * time.Hour, Attempts: 30, MaxAge: 72 * time.Hour}
}

// Next returns the delay before attempt number attempts+1, and false when the retries are
// over (attempts made so far, first attempt at first).
func (r Retry) Next(attempts int, first, now time.Time) (time.Duration, bool) {
	if attempts >= r.Attempts || now.Sub(first) >= r.MaxAge {
		return 0, false
	}
	d := r.First
	for i := 1; i < attempts && d < r.Max; i++ {
		d *= 2
	}
	return min(d, r.Max), true
}
