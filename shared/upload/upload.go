package upload

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/meetingminutes/minutes/shared/audit"
	"github.com/meetingminutes/minutes/shared/blob"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/pipeline"
	"github.com/meetingminutes/minutes/shared/queue"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// MaxBytes is the default bound of an uploaded file: 50 MB, ten times a 10-hour meeting's
// WebVTT.
const MaxBytes = 50 << 20

// ExternalIDPrefix starts the external id of every uploaded transcript.
const ExternalIDPrefix = "upload:"

// Audit action and timeline stage an upload records.
const (
	ActionUploaded        = "transcript.uploaded"
	StageTranscriptStored = "transcript_stored"
)

// Bounds of the descriptive fields.
const (
	maxSubject      = 1000 // characters, the store's bound
	maxParticipants = 500
)

// Blobs stores the files; blob.Dir and blob.Azure implement it.
type Blobs interface {
	Put(ctx context.Context, key string, r io.Reader, opts blob.PutOptions) error
}

// Options are the optional settings of New; nil means all defaults.
type Options struct {
	// MaxBytes bounds the uploaded file; zero means MaxBytes (50 MB). It also bounds the text
	// extracted from a Word document.
	MaxBytes int64
	// MaxZipEntries bounds a Word document's entries; zero means MaxZipEntries.
	MaxZipEntries int
	// MaxDocumentXMLBytes bounds a Word document's decompressed main part; zero means
	// MaxDocumentXMLBytes.
	MaxDocumentXMLBytes int64
	// Now is the clock of audit entries; default time.Now.
	Now func() time.Time
}

// Service stores uploaded transcripts and queues their minutes. It is safe for concurrent
// use.
type Service struct {
	blobs Blobs
	queue queue.Sender
	log   *slog.Logger
	max   int64
	lim   docxLimits
	now   func() time.Time
}

// New returns a Service storing files in blobs and sending minutes-generate through q; log
// may be nil (discard).
func New(blobs Blobs, q queue.Sender, log *slog.Logger, opts *Options) *Service {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = MaxBytes
	}
	if o.MaxZipEntries <= 0 {
		o.MaxZipEntries = MaxZipEntries
	}
	if o.MaxDocumentXMLBytes <= 0 {
		o.MaxDocumentXMLBytes = MaxDocumentXMLBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{blobs: blobs, queue: q, log: log, max: o.MaxBytes, now: o.Now,
		lim: docxLimits{entries: o.MaxZipEntries, xml: o.MaxDocumentXMLBytes, text: int(o.MaxBytes)}}
}

// MaxBytes returns the largest file the service accepts.
func (s *Service) MaxBytes() int64 { return s.max }

// Input is one uploaded file and what the uploader said about its meeting.
type Input struct {
	// FileName is the file's name as uploaded; only its extension matters (.vtt, .txt,
	// .docx or none), and its base name is the subject when Subject is empty.
	FileName string
	// Content is the file; read up to the size bound, not closed.
	Content io.Reader
	// Subject is the meeting's title; default the file's base name. At most 1000
	// characters are kept.
	Subject string
	// StartsAt is when the meeting started; nil when unknown.
	StartsAt *time.Time
	// Participants are the attendees; nil means the transcript's speakers, by name.
	Participants []store.Participant
	// UploadedBy is the uploading user, the audit entry's actor; zero records the upload
	// as the system's (an import run by an operator's tool).
	UploadedBy store.UserID
}

// Result is what an upload produced.
type Result struct {
	// MeetingID is the meeting the transcript belongs to.
	MeetingID store.MeetingID
	// TranscriptID is the stored transcript.
	TranscriptID store.TranscriptID
	// Created is false when the same file was uploaded before: nothing new was stored.
	Created bool
	// Format is the uploaded file's format.
	Format store.TranscriptFormat
}

// Upload stores in.Content as a transcript of tenant, whose store is st, and queues its
// minutes. Refusals of the file are funchost.Status errors (400, or 413 for a file above the
// bound) wrapping ErrTooLarge, ErrEmpty, ErrUnsupported or ErrNoSpeech; other errors are
// internal failures, and retrying the upload is safe. A nil *Service answers 503 "uploads
// are not configured", so wiring may hand one over when the queue or blob store is missing.
func (s *Service) Upload(ctx context.Context, st store.Store, tenant tenancy.ID, in Input) (Result, error) {
	if s == nil {
		return Result{}, funchost.Unavailable("uploads are not configured")
	}
	if in.Content == nil {
		return Result{}, refuse(ErrEmpty, http.StatusBadRequest, "no file was sent. Upload %s", Accepted)
	}
	content, err := io.ReadAll(io.LimitReader(in.Content, s.max+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return Result{}, s.tooLarge()
		}
		return Result{}, fmt.Errorf("read uploaded transcript: %w", err)
	}
	if int64(len(content)) > s.max {
		return Result{}, s.tooLarge()
	}
	p, err := prepare(in.FileName, content, s.lim)
	if err != nil {
		return Result{}, err
	}
	sum := sha256.Sum256(content)
	hash := hex.EncodeToString(sum[:])
	externalID := ExternalIDPrefix + hash

	if tr, err := st.TranscriptByExternalID(ctx, externalID); err == nil {
		return s.duplicate(ctx, st, tenant, tr, p.format)
	} else if !errors.Is(err, store.ErrNotFound) {
		return Result{}, fmt.Errorf("look up uploaded transcript: %w", err)
	}

	res := Result{Format: p.format}
	err = st.Tx(ctx, func(tx store.Store) error {
		m, _, err := tx.UpsertMeeting(ctx, s.meetingInput(hash, in, p))
		if err != nil {
			return fmt.Errorf("record meeting: %w", err)
		}
		res.MeetingID = m.ID
		key := fmt.Sprintf("tenants/%s/meetings/%s/transcripts/upload-%s", tenant, m.ID, hash[:24])
		if p.format == store.FormatDOCX {
			err := s.blobs.Put(ctx, key+".docx", bytes.NewReader(content), blob.PutOptions{
				ContentType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document"})
			if err != nil {
				return fmt.Errorf("store uploaded document: %w", err)
			}
		}
		ct := "text/plain; charset=utf-8"
		if p.ext == ".vtt" {
			ct = "text/vtt"
		}
		if err := s.blobs.Put(ctx, key+p.ext, bytes.NewReader(p.text), blob.PutOptions{ContentType: ct}); err != nil {
			return fmt.Errorf("store uploaded transcript: %w", err)
		}
		tr := p.transcript
		stored, created, err := tx.AddTranscript(ctx, store.TranscriptInput{
			MeetingID: m.ID, ExternalID: externalID, Format: p.format, BlobPath: key + p.ext,
			ContentSHA256: sum, SizeBytes: int64(len(content)), Language: tr.Language, CueCount: len(tr.Cues),
			SpeakerCount: len(tr.Speakers), WordCount: tr.WordCount(), Duration: tr.Duration,
		})
		if err != nil {
			return fmt.Errorf("record transcript: %w", err)
		}
		res.TranscriptID, res.Created = stored.ID, created
		if !created {
			return nil // a concurrent upload of the same file recorded it
		}
		detail := fmt.Sprintf("uploaded %s: %d cues, %d speakers, %d words, %s", p.format, len(tr.Cues),
			len(tr.Speakers), tr.WordCount(), tr.Duration.Round(time.Second))
		if tr.Skipped > 0 {
			detail += fmt.Sprintf("; %d malformed blocks skipped", tr.Skipped)
		}
		if err := tx.AddMeetingEvent(ctx, store.MeetingEventInput{MeetingID: m.ID, Stage: StageTranscriptStored,
			Outcome: store.OutcomeOK, Detail: detail}); err != nil {
			return fmt.Errorf("record meeting event: %w", err)
		}
		if _, err := tx.SetMeetingStatus(ctx, m.ID, store.MeetingTranscriptReceived, ""); err != nil {
			return fmt.Errorf("record meeting progress: %w", err)
		}
		// Last, so the tenant's audit lock is held briefly.
		e := audit.ByUser(s.now(), in.UploadedBy.String(), ActionUploaded, "meeting", m.ID.String(),
			map[string]any{"transcript_id": stored.ID.String(), "format": string(p.format), "size_bytes": len(content),
				"cues": len(tr.Cues), "speakers": len(tr.Speakers), "words": tr.WordCount()})
		if in.UploadedBy.IsZero() {
			e.Actor = audit.Actor{Type: audit.ActorSystem, ID: "upload"}
		}
		_, err = tx.Audit(ctx, e)
		if err != nil {
			return fmt.Errorf("record audit entry: %w", err)
		}
		return nil
	})
	if err != nil {
		return Result{}, fmt.Errorf("store uploaded transcript for tenant %s: %w", tenant, err)
	}
	if !res.Created {
		return res, nil
	}
	s.log.InfoContext(ctx, "transcript uploaded", "meeting_id", res.MeetingID.String(),
		"transcript_id", res.TranscriptID.String(), "format", string(p.format), "bytes", len(content),
		"cues", len(p.transcript.Cues))
	if err := s.queueGenerate(ctx, st, tenant, res.MeetingID); err != nil {
		return Result{}, err
	}
	return res, nil
}

// duplicate answers a file uploaded before. Should the first upload have stopped between
// its commit and queueing (the uploader sees an error and retries), generation is queued
// now; the message's dedupe key makes this a no-op otherwise.
func (s *Service) duplicate(ctx context.Context, st store.Store, tenant tenancy.ID, tr store.Transcript, f store.TranscriptFormat) (Result, error) {
	res := Result{MeetingID: tr.MeetingID, TranscriptID: tr.ID, Format: f}
	m, err := st.Meeting(ctx, tr.MeetingID)
	if err != nil {
		return Result{}, fmt.Errorf("read meeting of uploaded transcript: %w", err)
	}
	if m.Status == store.MeetingTranscriptReceived {
		if err := s.queueGenerate(ctx, st, tenant, m.ID); err != nil {
			return Result{}, err
		}
	}
	return res, nil
}

// queueGenerate sends minutes-generate for the meeting's current transcript count, at once.
func (s *Service) queueGenerate(ctx context.Context, st store.Store, tenant tenancy.ID, id store.MeetingID) error {
	ts, err := st.TranscriptsForMeeting(ctx, id)
	if err != nil {
		return fmt.Errorf("count transcripts: %w", err)
	}
	gm := pipeline.GenerateMessage{TenantID: tenant, MeetingID: id, Transcripts: len(ts)}
	if gm.Transcripts == 0 {
		return nil
	}
	if err := s.queue.Send(ctx, queue.MinutesGenerate, queue.Outgoing{ID: pipeline.GenerateKey(gm), Body: gm, TenantID: tenant}); err != nil {
		return fmt.Errorf("queue minutes generation: %w", err)
	}
	return nil
}

// meetingInput describes the upload's meeting: source upload, keyed by the content hash.
func (s *Service) meetingInput(hash string, in Input, p prepared) store.MeetingInput {
	subject := strings.TrimSpace(in.Subject)
	if subject == "" {
		base := path.Base(strings.ReplaceAll(in.FileName, "\\", "/"))
		subject = strings.TrimSpace(strings.TrimSuffix(base, path.Ext(base)))
		if subject == "" || subject == "." || subject == "/" {
			subject = "Uploaded transcript"
		}
	}
	if utf8.RuneCountInString(subject) > maxSubject {
		subject = string([]rune(subject)[:maxSubject])
	}
	mi := store.MeetingInput{Source: store.SourceUpload, ExternalID: hash, Subject: subject, Participants: in.Participants}
	if in.StartsAt != nil {
		at := *in.StartsAt
		mi.StartsAt = &at
		if p.transcript.Duration > 0 {
			end := at.Add(p.transcript.Duration)
			mi.EndsAt = &end
		}
	}
	if mi.Participants == nil {
		for _, name := range p.transcript.Speakers {
			if len(mi.Participants) == maxParticipants {
				break
			}
			mi.Participants = append(mi.Participants, store.Participant{Name: name})
		}
	}
	return mi
}

func (s *Service) tooLarge() error { return tooLarge(s.max) }
