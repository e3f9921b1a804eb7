// Package minutesgenerate implements the MinutesGenerate function: one minutes-generate message
// (pipeline.GenerateMessage) turns a meeting's stored transcripts into draft minutes.
//
// In order: the tenant (unknown or cancelled: acknowledged); the meeting; the debounce (a
// message whose transcript count is no longer the meeting's is stale: a later message covers
// the newer transcripts); idempotency (minutes already generated from the meeting's latest
// transcript: only the routing is redone); the entitlement (a meeting beyond the plan's quota
// or of a suspended tenant is held as over_quota, kept, and released by billing); then the
// transcripts are read from the blob store, parsed and merged in order, the tenant's default
// template shapes the generator's input, and the minutes version and its action items are
// stored in one transaction. Routing: approval mode "none" approves at once and queues
// minutes-publish; otherwise the version waits as pending_approval and the approvers are
// mailed a link. Every step lands on the meeting's timeline.
package minutesgenerate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/meetingminutes/minutes/shared/billing"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/generate"
	"github.com/meetingminutes/minutes/shared/minutes"
	"github.com/meetingminutes/minutes/shared/pipeline"
	"github.com/meetingminutes/minutes/shared/queue"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// Timeline stages this function writes.
const (
	StageGeneration = "generation"
	StageApproval   = "approval"
)

// maxTranscriptBytes bounds one stored transcript read back (TranscriptIngest stores at most
// 50 MB; uploads the same).
const maxTranscriptBytes = 50 << 20

// Tenants reads the registry; *tenancy.Registry implements it.
type Tenants interface {
	Get(ctx context.Context, id tenancy.ID) (tenancy.Tenant, error)
}

// Blobs reads stored transcript files.
type Blobs interface {
	Get(ctx context.Context, key string) (io.ReadCloser, error)
}

// Admitter is the billing gate; *billing.Entitlements implements it.
type Admitter interface {
	Admit(ctx context.Context, tenant tenancy.ID, meeting store.MeetingID) (billing.Decision, error)
}

// Approvers tells a tenant's approvers that minutes wait for them.
type Approvers interface {
	NotifyApprovers(ctx context.Context, t tenancy.Tenant, st store.Store, m store.Meeting, mins store.Minutes) error
}

// Deps are the function's collaborators.
type Deps struct {
	Tenants Tenants
	Stores  store.Resolver
	Blobs   Blobs
	// Generator drafts the minutes (the LLM generator falls back to the offline one by itself).
	Generator generate.Generator
	// Admitter, nil: every meeting is admitted (self-hosted installs without billing).
	Admitter Admitter
	// Queue sends minutes-publish.
	Queue queue.Sender
	// Approvers, nil: approvers see pending minutes in the portal only.
	Approvers Approvers
	Now       func() time.Time
	Log       *slog.Logger
}

// Handler serves MinutesGenerate.
type Handler struct{ d Deps }

// New returns the handler.
func New(d Deps) *Handler {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Handler{d: d}
}

// PublishMessage is the body of a minutes-publish message (the contract lives in
// shared/pipeline).
type PublishMessage = pipeline.PublishMessage

// PublishKey is its dedupe id.
func PublishKey(m PublishMessage) string { return pipeline.PublishKey(m) }

// Handle handles one minutes-generate message.
func (h *Handler) Handle(ctx context.Context, m funchost.Message) error {
	var msg pipeline.GenerateMessage
	if err := m.JSON(&msg); err != nil {
		return err
	}
	if err := msg.Validate(); err != nil {
		return funchost.Poison(err)
	}
	ctx, t, ok, err := pipeline.MessageTenant(ctx, h.d.Tenants, m, msg.TenantID, "generate message", h.d.Log)
	if !ok {
		return err
	}
	st, err := h.d.Stores.For(ctx, t.ID)
	if err != nil {
		return fmt.Errorf("resolve tenant store: %w", err)
	}
	meeting, err := st.Meeting(ctx, msg.MeetingID)
	if errors.Is(err, store.ErrNotFound) {
		h.d.Log.WarnContext(ctx, "generate message for a meeting that does not exist dropped", "meeting_id", msg.MeetingID.String())
		return nil
	} else if err != nil {
		return fmt.Errorf("read meeting: %w", err)
	}
	ts, err := st.TranscriptsForMeeting(ctx, meeting.ID)
	if err != nil {
		return fmt.Errorf("read transcripts: %w", err)
	}
	if len(ts) != msg.Transcripts {
		h.d.Log.InfoContext(ctx, "stale generate message skipped: the meeting's transcripts changed since",
			"meeting_id", meeting.ID.String(), "sent_with", msg.Transcripts, "now", len(ts))
		return nil
	}
	last := ts[len(ts)-1]
	if latest, err := st.LatestMinutes(ctx, meeting.ID); err == nil && latest.TranscriptID == last.ID {
		// Generated before (a redelivery): only make sure it moved on.
		return h.route(ctx, t, st, meeting, latest)
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("read latest minutes: %w", err)
	}
	if h.d.Admitter != nil {
		d, err := h.d.Admitter.Admit(ctx, t.ID, meeting.ID)
		if err != nil {
			return fmt.Errorf("check entitlement: %w", err)
		}
		if !d.Admitted {
			if _, err := st.SetMeetingStatus(ctx, meeting.ID, store.MeetingOverQuota, d.Detail()); err != nil {
				return fmt.Errorf("hold meeting: %w", err)
			}
			h.d.Log.InfoContext(ctx, "meeting held by the plan", "meeting_id", meeting.ID.String(), "reason", string(d.Reason))
			return event(ctx, st, meeting.ID, StageGeneration, store.OutcomeWaiting, "held: "+d.Detail())
		}
	}
	if _, err := st.SetMeetingStatus(ctx, meeting.ID, store.MeetingGenerating, ""); err != nil {
		return fmt.Errorf("record meeting progress: %w", err)
	}
	tr, err := h.merged(ctx, ts)
	if err != nil {
		return h.fail(ctx, st, meeting, err)
	}
	in := generate.Input{Transcript: tr, Subject: meeting.Subject, Attendees: attendees(meeting)}
	if meeting.StartsAt != nil {
		in.Start = *meeting.StartsAt
	}
	tpl, err := st.DefaultTemplate(ctx)
	if err == nil {
		in.Template = generate.Template{Sections: tpl.Sections, Tone: string(tpl.Tone), Language: tpl.Language}
	} else if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("read template: %w", err)
	}
	started := time.Now()
	out, err := h.d.Generator.Generate(ctx, in)
	if err != nil {
		return fmt.Errorf("generate minutes: %w", err)
	}
	content, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("encode minutes: %w", err)
	}
	var mins store.Minutes
	err = st.Tx(ctx, func(tx store.Store) error {
		in := store.MinutesInput{MeetingID: meeting.ID, TranscriptID: last.ID, Content: content, Generator: out.Generator}
		if err == nil && !tpl.ID.IsZero() {
			in.TemplateID = tpl.ID
		}
		var err error
		if mins, err = tx.AddMinutesVersion(ctx, in); err != nil {
			return err
		}
		_, err = tx.ReplaceActionItems(ctx, mins.ID, actionItems(out, meeting))
		return err
	})
	if err != nil {
		return fmt.Errorf("store minutes: %w", err)
	}
	verified := 0
	for _, a := range out.ActionItems {
		if a.Verified {
			verified++
		}
	}
	detail := fmt.Sprintf("%s draft v%d: %d decisions, %d action items (%d verified)", out.Generator, mins.Version,
		len(out.Decisions), len(out.ActionItems), verified)
	if out.FallbackReason != "" {
		detail += "; the model was unavailable (" + out.FallbackReason + "): regenerate later"
	}
	if err := event(ctx, st, meeting.ID, StageGeneration, store.OutcomeOK, detail); err != nil {
		return err
	}
	h.d.Log.InfoContext(ctx, "minutes generated", "meeting_id", meeting.ID.String(), "minutes_id", mins.ID.String(),
		"generator", out.Generator, "decisions", len(out.Decisions), "action_items", len(out.ActionItems),
		"transcripts", len(ts), "elapsed_ms", time.Since(started).Milliseconds())
	return h.route(ctx, t, st, meeting, mins)
}

// route moves a draft on: approved and queued for publishing when the tenant needs no
// approval, pending approval (approvers told) otherwise. Safe to repeat.
func (h *Handler) route(ctx context.Context, t tenancy.Tenant, st store.Store, meeting store.Meeting, mins store.Minutes) error {
	set, err := st.Settings(ctx)
	if err != nil {
		return fmt.Errorf("read settings: %w", err)
	}
	switch {
	case mins.Status == store.MinutesDraft && set.ApprovalMode == store.ApprovalNone:
		if mins, err = st.DecideMinutes(ctx, mins.ID, store.DecideParams{Status: store.MinutesApproved, At: h.d.Now()}); err != nil {
			return fmt.Errorf("approve minutes: %w", err)
		}
		if _, err := st.SetMeetingStatus(ctx, meeting.ID, store.MeetingApproved, "approval not required"); err != nil {
			return fmt.Errorf("record meeting progress: %w", err)
		}
		if err := event(ctx, st, meeting.ID, StageApproval, store.OutcomeOK, "approval not required by the settings"); err != nil {
			return err
		}
		fallthrough
	case mins.Status == store.MinutesApproved:
		pm := PublishMessage{TenantID: t.ID, MinutesID: mins.ID}
		if err := h.d.Queue.Send(ctx, queue.MinutesPublish, queue.Outgoing{ID: PublishKey(pm), Body: pm, TenantID: t.ID}); err != nil {
			return fmt.Errorf("queue publishing: %w", err)
		}
		return nil
	case mins.Status == store.MinutesDraft:
		if mins, err = st.DecideMinutes(ctx, mins.ID, store.DecideParams{Status: store.MinutesPendingApproval, At: h.d.Now()}); err != nil {
			return fmt.Errorf("submit minutes for approval: %w", err)
		}
		if _, err := st.SetMeetingStatus(ctx, meeting.ID, store.MeetingPendingApproval, ""); err != nil {
			return fmt.Errorf("record meeting progress: %w", err)
		}
		if err := event(ctx, st, meeting.ID, StageApproval, store.OutcomeWaiting, "waiting for an approver"); err != nil {
			return err
		}
		if h.d.Approvers != nil {
			if err := h.d.Approvers.NotifyApprovers(ctx, t, st, meeting, mins); err != nil {
				// The minutes wait in the portal either way; a lost mail is not a lost meeting.
				h.d.Log.WarnContext(ctx, "could not mail the approvers", "error", err.Error())
			}
		}
	}
	return nil
}

// fail records a generation that cannot succeed (unreadable stored files) and acknowledges.
func (h *Handler) fail(ctx context.Context, st store.Store, meeting store.Meeting, cause error) error {
	reason := "the stored transcript could not be read: " + cause.Error()
	h.d.Log.WarnContext(ctx, "minutes generation failed", "meeting_id", meeting.ID.String(), "error", cause.Error())
	if _, err := st.SetMeetingStatus(ctx, meeting.ID, store.MeetingFailed, reason); err != nil {
		return fmt.Errorf("record failure: %w", err)
	}
	return event(ctx, st, meeting.ID, StageGeneration, store.OutcomeFailed, reason)
}

// errUnreadable marks a stored transcript that parses no more.
var errUnreadable = errors.New("unreadable transcript")

// merged reads, parses and joins the meeting's transcripts in the order they were stored:
// the parts of one call (transcription stopped and started) each count time from their own
// start, so each part is shifted by the length of those before it.
func (h *Handler) merged(ctx context.Context, ts []store.Transcript) (*minutes.Transcript, error) {
	out := &minutes.Transcript{}
	var offset time.Duration
	for _, t := range ts {
		rc, err := h.d.Blobs.Get(ctx, t.BlobPath)
		if err != nil {
			return nil, fmt.Errorf("read transcript file: %w", err)
		}
		part, err := minutes.Parse(path.Base(t.BlobPath), io.LimitReader(rc, maxTranscriptBytes))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%w %s: %v", errUnreadable, t.ID, err)
		}
		for _, c := range part.Cues {
			c.Start += offset
			c.End += offset
			out.Cues = append(out.Cues, c)
		}
		for _, s := range part.Speakers {
			if !slices.Contains(out.Speakers, s) {
				out.Speakers = append(out.Speakers, s)
			}
		}
		if out.Language == "" {
			out.Language = part.Language
		}
		offset += part.Duration
	}
	out.Duration = offset
	return out, nil
}

// attendees are the meeting's organizer and participants, for owner matching.
func attendees(m store.Meeting) []generate.Attendee {
	var out []generate.Attendee
	seen := map[string]bool{}
	add := func(name, email string) {
		key := strings.ToLower(email) + "|" + strings.ToLower(name)
		if (name == "" && email == "") || seen[key] {
			return
		}
		seen[key] = true
		out = append(out, generate.Attendee{Name: name, Email: email})
	}
	add(m.OrganizerName, m.OrganizerEmail)
	for _, p := range m.Participants {
		add(p.Name, p.Email)
	}
	return out
}

// actionItems turns the generated items into the store's, with due dates and offsets.
func actionItems(out generate.Minutes, m store.Meeting) []store.ActionItemInput {
	var items []store.ActionItemInput
	for _, a := range out.ActionItems {
		in := store.ActionItemInput{Task: clip(a.Task, 2000), OwnerName: a.Owner, OwnerEmail: a.OwnerEmail,
			SourceQuote: a.Quote, Verified: a.Verified}
		if a.Due != "" {
			if d, err := time.Parse(time.DateOnly, a.Due); err == nil {
				in.DueDate = &d
			}
		}
		if a.At != "" {
			if d, err := minutes.ParseTimestamp(a.At); err == nil {
				in.SourceOffset = &d
			}
		}
		if in.Task != "" {
			items = append(items, in)
		}
	}
	return items
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

func event(ctx context.Context, st store.Store, id store.MeetingID, stage string, o store.EventOutcome, detail string) error {
	if err := st.AddMeetingEvent(ctx, store.MeetingEventInput{MeetingID: id, Stage: stage, Outcome: o, Detail: detail}); err != nil {
		return fmt.Errorf("record meeting event: %w", err)
	}
	return nil
}
