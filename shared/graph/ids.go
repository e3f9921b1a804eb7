package graph

import (
	"encoding/base64"
	"strings"

	"github.com/google/uuid"
)

// UserID is an Entra user object ID (e.g. a meeting organizer, a sending mailbox) or a UPN.
type UserID string

// MeetingID is a Graph onlineMeeting ID (opaque, base64-looking).
type MeetingID string

// TranscriptID is a Graph callTranscript ID (opaque).
type TranscriptID string

// SubscriptionID is a Graph change-notification subscription ID.
type SubscriptionID string

// DriveID is a SharePoint/OneDrive drive ID.
type DriveID string

// OrganizerFromMeetingID reads the organizer's object id out of an onlineMeeting id. Teams
// meeting ids are base64 of "1*{organizerObjectId}*0**{threadId}" (the reference's fixtures
// and every id Graph returns); a tenant-level transcript notification names only the meeting,
// and the GET paths need the organizer. ok is false for an id of another shape.
func OrganizerFromMeetingID(id MeetingID) (UserID, bool) {
	raw, err := base64.StdEncoding.DecodeString(string(id))
	if err != nil {
		if raw, err = base64.RawStdEncoding.DecodeString(string(id)); err != nil {
			return "", false
		}
	}
	parts := strings.SplitN(string(raw), "*", 3)
	if len(parts) != 3 || parts[0] != "1" {
		return "", false
	}
	u, err := uuid.Parse(parts[1])
	if err != nil || len(parts[1]) != 36 {
		return "", false
	}
	return UserID(u.String()), true
}
