// Package transcriptingest implements the TranscriptIngest function: one transcript-ingest
// message (shared/pipeline.IngestMessage) at a time, delivered by the Functions host from
// Service Bus or by a River worker in standalone installs.
//
// For a transcript it fetches the meeting and the WebVTT content from Graph, stores the raw
// file in the tenant's blob store, parses it, records meeting + transcript idempotently and
// sends minutes-generate after a short debounce (several transcripts of one call are merged
// by the generator). Each step lands on the meeting's timeline (store.MeetingEvent), which the
// portal shows.
//
// Graph's documented failures:
//   - 404 (transcript not produced yet): retried with backoff (pipeline.Retry), then given up
//     with the reason on the meeting;
//   - 403 (access policy, Transcript API access switch, consent): the tenant's admins get an
//     alert in the portal and one email per opening of it, and the fetch is retried slowly so
//     it resumes by itself once the admin acts; given up after the same limit;
//   - 402 (metering): operators are alerted in the log, the tenant sees why it waits, retried;
//   - 429/503 after the SDK's own retries: retried after Graph's Retry-After.
//
// A message is acknowledged only once its effect is stored: any other error abandons it for
// redelivery, and every step is idempotent (upsert on the occurrence key, transcript on the
// Graph transcript id, messages under dedupe ids). A transcript already stored is never
// fetched again (its content is metered).
//
// A call-ended message (from a callRecords notification) records the occurrence as waiting for
// its transcript and schedules one check; if no transcript of that call exists by then the
// meeting is marked no_transcript, with what to do. A transcript arriving later still attaches
// to the same occurrence.
package transcriptingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/meetingminutes/minutes/shared/blob"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/graph"
	"github.com/meetingminutes/minutes/shared/minutes"
	"github.com/meetingminutes/minutes/shared/pipeline"
	"github.com/meetingminutes/minutes/shared/queue"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// MaxTranscriptBytes bounds a downloaded transcript: a 10-hour meeting is about 5 MB of
// WebVTT; anything far beyond is not a transcript we can summarise.
const MaxTranscriptBytes = 50 << 20

// Timeline stages this function writes.
const (
	StageMeetingEnded     = "meeting_ended"
	StageTranscriptFetch  = "transcript_fetch"
	StageTranscriptStored = "transcript_stored"
	StageGenerateQueued   = "generate_queued"
)

// GraphClient is the part of *graph.Client this function uses.
type GraphClient interface {
	Meeting(ctx context.Context, organizerID graph.UserID, meetingID graph.MeetingID) (graph.Meeting, error)
	Transcripts(ctx context.Context, organizerID graph.UserID, meetingID graph.MeetingID) ([]graph.Transcript, error)
	TranscriptContent(ctx context.Context, organizerID graph.UserID, meetingID graph.MeetingID, transcriptID graph.TranscriptID) ([]byte, error)
	CallRecord(ctx context.Context, id string) (graph.CallRecord, error)
	MeetingByJoinURL(ctx context.Context, organizerID graph.UserID, joinURL string) (graph.Meeting, error)
}

// Tenants reads our tenant registry; *tenancy.Registry implements it.
type Tenants interface {
	Get(ctx context.Context, id tenancy.ID) (tenancy.Tenant, error)
}

// Blobs stores transcript files; blob.Dir and blob.Azure implement it.
type Blobs interface {
	Put(ctx context.Context, key string, r io.Reader, opts blob.PutOptions) error
}

// Notifier tells a tenant's admins about a newly opened alert (by email).
type Notifier interface {
	NotifyAdmins(ctx context.Context, t tenancy.Tenant, st store.Store, a store.Alert) error
}

// Deps are the handler's collaborators.
type Deps struct {
	Tenants Tenants
	Stores  store.Resolver
	// Graph returns the Graph client of an Entra tenant (graph.Clients.For).
	Graph func(azureTenant uuid.UUID) (GraphClient, error)
	Blobs Blobs
	// Queue sends minutes-generate and the transcript checks.
	Queue queue.Sender
	// Notifier mails admins; nil means alerts are shown in the portal only.
	Notifier Notifier
	// AppID is our application id, named in the access-policy instructions.
	AppID string
	// Retry bounds the retries of an unavailable or refused transcript; zero means
	// pipeline.DefaultRetry().
	Retry pipeline.Retry
	// Debounce delays minutes-generate so the parts of one call arrive first; zero means
	// DefaultDebounce, negative means none.
	Debounce time.Duration
	// TranscriptWait is how long after a meeting ends its transcript is waited for before the
	// meeting is marked no_transcript; zero means DefaultTranscriptWait.
	TranscriptWait time.Duration
	Now            func() time.Time
	Log            *slog.Logger
}

// Defaults of Deps.
const (
	DefaultDebounce       = 2 * time.Minute
	DefaultTranscriptWait = 75 * time.Minute
)

// Handler serves TranscriptIngest.
type Handler struct{ d Deps }

// New returns the handler.
func New(d Deps) *Handler {
	if d.Retry == (pipeline.Retry{}) {
		d.Retry = pipeline.DefaultRetry()
	}
	if d.Debounce == 0 {
		d.Debounce = DefaultDebounce
	}
	if d.TranscriptWait == 0 {
		d.TranscriptWait = DefaultTranscriptWait
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Handler{d: d}
}

// job is one message being handled, with what every step needs.
type job struct {
	msg    pipeline.IngestMessage
	tenant tenancy.Tenant
	st     store.Store
	gc     GraphClient
}

// Handle handles one transcript-ingest message.
func (h *Handler) Handle(ctx context.Context, m funchost.Message) error {
	var msg pipeline.IngestMessage
	if err := m.JSON(&msg); err != nil {
		return err
	}
	if err := msg.Validate(); err != nil {
		return funchost.Poison(err)
	}
	ctx, t, ok, err := pipeline.MessageTenant(ctx, h.d.Tenants, m, msg.TenantID, "transcript message", h.d.Log)
	if !ok {
		return err
	}
	if t.AzureTenantID == nil {
		return funchost.Poison(errors.New("ingest message: the tenant has no Microsoft 365 tenant"))
	}
	st, err := h.d.Stores.For(ctx, t.ID)
	if err != nil {
		return fmt.Errorf("resolve tenant store: %w", err)
	}
	gc, err := h.d.Graph(*t.AzureTenantID)
	if err != nil {
		return fmt.Errorf("graph client: %w", err)
	}
	j := &job{msg: msg, tenant: t, st: st, gc: gc}
	switch msg.Kind {
	case pipeline.IngestCallEnded:
		return h.callEnded(ctx, j)
	case pipeline.IngestTranscriptCheck:
		return h.checkTranscript(ctx, j)
	}
	return h.transcript(ctx, j)
}

// organizer returns the organizer of the message's meeting.
func organizer(msg pipeline.IngestMessage) (graph.UserID, error) {
	if msg.UserID != "" {
		return graph.UserID(msg.UserID), nil
	}
	if u, ok := graph.OrganizerFromMeetingID(graph.MeetingID(msg.MeetingID)); ok {
		return u, nil
	}
	return "", funchost.Poison(errors.New("ingest message: no organizer and the meeting id does not name one"))
}

// transcript ingests one Graph transcript.
func (h *Handler) transcript(ctx context.Context, j *job) error {
	msg := j.msg
	if msg.ChangeType == "deleted" {
		h.d.Log.InfoContext(ctx, "transcript deletion noted; stored minutes are kept")
		return nil
	}
	if tr, err := j.st.TranscriptByExternalID(ctx, msg.TranscriptID); err == nil {
		// Stored before (a redelivery, or the notification and a reconciliation both found
		// it): never fetch metered content twice; make sure generation was asked for.
		return h.queueGenerate(ctx, j, tr.MeetingID)
	} else if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("look up transcript: %w", err)
	}
	org, err := organizer(msg)
	if err != nil {
		return err
	}
	mid := graph.MeetingID(msg.MeetingID)
	meeting, err := j.gc.Meeting(ctx, org, mid)
	if err != nil {
		return h.fetchFailed(ctx, j, store.Meeting{}, err)
	}
	callID := msg.CallID
	if callID == "" {
		// A notification without resource data names no call: the transcript's metadata does.
		ts, err := j.gc.Transcripts(ctx, org, mid)
		if err != nil {
			return h.fetchFailed(ctx, j, store.Meeting{}, err)
		}
		for _, t := range ts {
			if string(t.ID) == msg.TranscriptID {
				callID = t.CallID
			}
		}
	}
	row, err := h.upsertMeeting(ctx, j, meeting, callID, nil)
	if err != nil {
		return err
	}
	content, err := j.gc.TranscriptContent(ctx, org, mid, graph.TranscriptID(msg.TranscriptID))
	if err != nil {
		return h.fetchFailed(ctx, j, row, err)
	}
	return h.store(ctx, j, row, content)
}

// upsertMeeting records the occurrence of meeting in call callID. A call record's actual
// times, when known, replace the scheduled ones.
func (h *Handler) upsertMeeting(ctx context.Context, j *job, m graph.Meeting, callID string, rec *graph.CallRecord) (store.Meeting, error) {
	in := store.MeetingInput{
		Source: store.SourceGraph, ExternalID: pipeline.OccurrenceKey(string(m.ID), callID), CallID: callID,
		Subject: m.Subject, OrganizerID: string(m.Organizer.ID), OrganizerName: m.Organizer.Name,
		OrganizerEmail: m.Organizer.Email, StartsAt: timePtr(m.Start), EndsAt: timePtr(m.End),
	}
	if rec != nil {
		if !rec.Start.IsZero() {
			in.StartsAt = timePtr(rec.Start)
		}
		if !rec.End.IsZero() {
			in.EndsAt = timePtr(rec.End)
		}
	} else if prev, err := j.st.MeetingByExternalID(ctx, store.SourceGraph, in.ExternalID); err == nil {
		// Keep the actual times a call record stored earlier.
		in.StartsAt, in.EndsAt = prev.StartsAt, prev.EndsAt
	}
	for _, p := range m.Participants {
		in.Participants = append(in.Participants, store.Participant{ExternalID: string(p.ID), Name: p.Name, Email: p.Email})
	}
	row, _, err := j.st.UpsertMeeting(ctx, in)
	if err != nil {
		return store.Meeting{}, fmt.Errorf("record meeting: %w", err)
	}
	return row, nil
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// store keeps the file, parses it, records the transcript and queues generation.
func (h *Handler) store(ctx context.Context, j *job, row store.Meeting, content []byte) error {
	msg := j.msg
	if len(content) > MaxTranscriptBytes {
		return h.giveUp(ctx, j, row, fmt.Sprintf("the transcript is %d MB, more than the %d MB we process", len(content)>>20, MaxTranscriptBytes>>20))
	}
	sum := sha256.Sum256(content)
	idHash := sha256.Sum256([]byte(msg.TranscriptID))
	key := fmt.Sprintf("tenants/%s/meetings/%s/transcripts/%s.vtt", j.tenant.ID, row.ID, hex.EncodeToString(idHash[:12]))
	if err := h.d.Blobs.Put(ctx, key, bytes.NewReader(content), blob.PutOptions{ContentType: "text/vtt"}); err != nil {
		return fmt.Errorf("store transcript file: %w", err)
	}
	tr, err := minutes.ParseVTT(bytes.NewReader(content), minutes.ParseOptions{})
	if err != nil {
		// The file is kept (an operator can look at it); the meeting says what happened.
		return h.giveUp(ctx, j, row, "Teams returned a transcript that is not readable WebVTT: "+parseReason(err))
	}
	if len(tr.Cues) == 0 {
		return h.giveUp(ctx, j, row, "the transcript is empty: nothing was said, or transcription captured no speech")
	}
	stored, created, err := j.st.AddTranscript(ctx, store.TranscriptInput{
		MeetingID: row.ID, ExternalID: msg.TranscriptID, Format: store.FormatVTT, BlobPath: key,
		ContentSHA256: sum, SizeBytes: int64(len(content)), Language: tr.Language, CueCount: len(tr.Cues),
		SpeakerCount: len(tr.Speakers), WordCount: tr.WordCount(), Duration: tr.Duration,
	})
	if err != nil {
		return fmt.Errorf("record transcript: %w", err)
	}
	if _, err := j.st.NoteTranscriptFetch(ctx, store.TranscriptFetchInput{ExternalID: msg.TranscriptID, MeetingID: row.ID, Status: store.FetchStored}); err != nil {
		return fmt.Errorf("record fetch: %w", err)
	}
	if created {
		detail := fmt.Sprintf("%d cues, %d speakers, %d words, %s", len(tr.Cues), len(tr.Speakers), tr.WordCount(), tr.Duration.Round(time.Second))
		if tr.Skipped > 0 {
			detail += fmt.Sprintf("; %d malformed blocks skipped", tr.Skipped)
		}
		if err := h.event(ctx, j, row.ID, StageTranscriptStored, store.OutcomeOK, detail); err != nil {
			return err
		}
		h.d.Log.InfoContext(ctx, "transcript stored", "meeting_id", row.ID.String(), "transcript_id", stored.ID.String(),
			"cues", len(tr.Cues), "speakers", len(tr.Speakers), "bytes", len(content))
	}
	// A fetch that works proves the gates are open: close their alerts.
	for _, kind := range []string{pipeline.AlertTranscriptAPI, pipeline.AlertAccessPolicy, pipeline.AlertGraphForbidden, pipeline.AlertMetering} {
		if _, err := j.st.ResolveAlert(ctx, kind); err != nil {
			return err
		}
	}
	switch row.Status {
	case store.MeetingEnded, store.MeetingAwaitingTranscript, store.MeetingNoTranscript, store.MeetingFailed:
		if _, err := j.st.SetMeetingStatus(ctx, row.ID, store.MeetingTranscriptReceived, ""); err != nil {
			return fmt.Errorf("record meeting progress: %w", err)
		}
	}
	return h.queueGenerate(ctx, j, row.ID)
}

func parseReason(err error) string {
	var pe *minutes.ParseError
	if errors.As(err, &pe) {
		return pe.Error()
	}
	return "unreadable"
}

// queueGenerate sends minutes-generate for the meeting's current transcript count, after the
// debounce; the same count is the same message id, so a redelivery sends nothing new.
func (h *Handler) queueGenerate(ctx context.Context, j *job, meetingID store.MeetingID) error {
	ts, err := j.st.TranscriptsForMeeting(ctx, meetingID)
	if err != nil {
		return fmt.Errorf("count transcripts: %w", err)
	}
	gm := pipeline.GenerateMessage{TenantID: j.tenant.ID, MeetingID: meetingID, Transcripts: len(ts)}
	if gm.Transcripts == 0 {
		return nil
	}
	err = h.d.Queue.Send(ctx, queue.MinutesGenerate, queue.Outgoing{ID: pipeline.GenerateKey(gm), Body: gm,
		Delay: max(h.d.Debounce, 0), TenantID: j.tenant.ID})
	if err != nil {
		return fmt.Errorf("queue minutes generation: %w", err)
	}
	h.d.Log.InfoContext(ctx, "minutes generation queued", "meeting_id", meetingID.String(), "transcripts", len(ts))
	return nil
}

// event appends to the meeting's timeline.
func (h *Handler) event(ctx context.Context, j *job, id store.MeetingID, stage string, o store.EventOutcome, detail string) error {
	if err := j.st.AddMeetingEvent(ctx, store.MeetingEventInput{MeetingID: id, Stage: stage, Outcome: o, Detail: detail}); err != nil {
		return fmt.Errorf("record meeting event: %w", err)
	}
	return nil
}
