package graph

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
