package store

import "time"

// TranscriptFormat is the format of a stored transcript file (transcripts.format).
type TranscriptFormat string

// Transcript formats.
const (
	FormatVTT  TranscriptFormat = "vtt"
	FormatDOCX TranscriptFormat = "docx"
	FormatTXT  TranscriptFormat = "txt"
)

// Valid reports whether f is one of the defined formats.
func (f TranscriptFormat) Valid() bool {
	switch f {
	case FormatVTT, FormatDOCX, FormatTXT:
		return true
	}
	return false
}

// Transcript is a meeting's transcript: the file lives in blob storage, the row describes it.
type Transcript struct {
	// ID is the store's id for the transcript.
	ID TranscriptID
	// MeetingID is the meeting it belongs to.
	MeetingID MeetingID
	// ExternalID is the Graph transcript id, or a content hash for uploads; unique per tenant.
	ExternalID string
	// Format is the file's format.
	Format TranscriptFormat
	// BlobPath is where the file is stored (tenants/{tenant}/meetings/{meeting}/...).
	BlobPath string
	// ContentSHA256 is the SHA-256 of the file.
	ContentSHA256 [32]byte
	// SizeBytes is the file's size in bytes.
	SizeBytes int64
	// Language is the BCP 47 language tag, "" when unknown.
	Language string
	// CueCount is the number of cues parsed from the file.
	CueCount int
	// SpeakerCount is the number of distinct speakers.
	SpeakerCount int
	// WordCount is the number of words spoken.
	WordCount int
	// Duration is the transcript's length, stored with millisecond precision.
	Duration time.Duration
	// CreatedAt is when the transcript was stored.
	CreatedAt time.Time
}

// TranscriptInput describes a transcript for AddTranscript; ExternalID makes it idempotent.
type TranscriptInput struct {
	// MeetingID is the meeting the transcript belongs to; required.
	MeetingID MeetingID
	// ExternalID is required: 1 to 1024 bytes.
	ExternalID string
	// Format is required.
	Format TranscriptFormat
	// BlobPath is required.
	BlobPath string
	// ContentSHA256 is the SHA-256 of the file.
	ContentSHA256 [32]byte
	// SizeBytes must not be negative.
	SizeBytes int64
	// Language is optional.
	Language string
	// CueCount is optional.
	CueCount int
	// SpeakerCount is optional.
	SpeakerCount int
	// WordCount is optional.
	WordCount int
	// Duration is stored with millisecond precision.
	Duration time.Duration
}
