package transcriptingest

import (
	"context"
	"errors"
	"fmt"

	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/graph"
	"github.com/meetingminutes/minutes/shared/pipeline"
	"github.com/meetingminutes/minutes/shared/queue"
	"github.com/meetingminutes/minutes/shared/store"
)

// noTranscriptDetail tells the tenant what to do about a meeting without a transcript.
const noTranscriptDetail = "The meeting ended without a transcript. Turn on transcription in the meeting next time " +
	"(More actions → Record and transcribe → Start transcription), or upload a transcript file on this page to get minutes."

// callEnded records a meeting that ended, and schedules the check for its transcript.
func (h *Handler) callEnded(ctx context.Context, j *job) error {
	rec, err := j.gc.CallRecord(ctx, j.msg.CallID)
	switch {
	case graph.IsNotFound(err):
		// Records are kept 30 days; a missing one is a call we can no longer describe.
		h.d.Log.InfoContext(ctx, "call record not found; ignored")
		return nil
	case err != nil:
		return h.graphTransient(err, "read call record")
	}
	if rec.JoinURL == "" || rec.OrganizerID == "" {
		// Not an online meeting (a 1:1 or PSTN call): no minutes to make.
		h.d.Log.InfoContext(ctx, "call is not an online meeting; ignored", "call_type", rec.Type)
		return nil
	}
	m, err := j.gc.MeetingByJoinURL(ctx, rec.OrganizerID, rec.JoinURL)
	switch {
	case graph.IsNotFound(err):
		h.d.Log.InfoContext(ctx, "call has no online meeting; ignored")
		return nil
	case graph.IsAccessDenied(err):
		// The same gates as the transcript: tell the admins, nothing to wait for.
		j.msg.TranscriptID = "call:" + rec.ID
		return h.fetchFailed(ctx, j, store.Meeting{}, err)
	case err != nil:
		return h.graphTransient(err, "find the call's meeting")
	}
	row, err := h.upsertMeeting(ctx, j, m, rec.ID, &rec)
	if err != nil {
		return err
	}
	ts, err := j.st.TranscriptsForMeeting(ctx, row.ID)
	if err != nil {
		return fmt.Errorf("count transcripts: %w", err)
	}
	if len(ts) > 0 {
		return nil // the transcript came first
	}
	if row.Status == store.MeetingEnded {
		if _, err := j.st.SetMeetingStatus(ctx, row.ID, store.MeetingAwaitingTranscript, "waiting for Teams to publish the transcript"); err != nil {
			return fmt.Errorf("record meeting progress: %w", err)
		}
		if err := h.event(ctx, j, row.ID, StageMeetingEnded, store.OutcomeWaiting,
			fmt.Sprintf("meeting ended; waiting up to %s for its transcript", h.d.TranscriptWait)); err != nil {
			return err
		}
	}
	check := pipeline.IngestMessage{Kind: pipeline.IngestTranscriptCheck, TenantID: j.tenant.ID,
		MeetingID: string(m.ID), CallID: rec.ID, UserID: string(rec.OrganizerID)}
	if err := h.d.Queue.Send(ctx, queue.TranscriptIngest, queue.Outgoing{ID: pipeline.CheckKey(j.tenant.ID, rec.ID),
		Body: check, Delay: h.d.TranscriptWait, TenantID: j.tenant.ID}); err != nil {
		return fmt.Errorf("schedule transcript check: %w", err)
	}
	return nil
}

// checkTranscript runs when the wait for an ended meeting's transcript is over: a transcript
// of the call that Graph has but we missed is ingested; none at all marks the meeting.
func (h *Handler) checkTranscript(ctx context.Context, j *job) error {
	key := pipeline.OccurrenceKey(j.msg.MeetingID, j.msg.CallID)
	row, err := j.st.MeetingByExternalID(ctx, store.SourceGraph, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	} else if err != nil {
		return fmt.Errorf("read meeting: %w", err)
	}
	ts, err := j.st.TranscriptsForMeeting(ctx, row.ID)
	if err != nil {
		return fmt.Errorf("count transcripts: %w", err)
	}
	if len(ts) > 0 || row.Status != store.MeetingAwaitingTranscript {
		return nil
	}
	org, err := organizer(j.msg)
	if err != nil {
		return err
	}
	list, err := j.gc.Transcripts(ctx, org, graph.MeetingID(j.msg.MeetingID))
	if err != nil && !graph.IsNotFound(err) {
		if graph.IsAccessDenied(err) {
			j.msg.TranscriptID = "call:" + j.msg.CallID
			return h.fetchFailed(ctx, j, row, err)
		}
		return h.graphTransient(err, "list transcripts")
	}
	found := 0
	for _, t := range list {
		if t.CallID != j.msg.CallID {
			continue
		}
		found++
		// Missed notification: send it through the same queue under the same dedupe key
		// as GraphNotifications would have, so the two paths never both ingest it.
		in := pipeline.IngestMessage{Kind: pipeline.IngestTranscript, TenantID: j.tenant.ID, UserID: string(org),
			MeetingID: j.msg.MeetingID, TranscriptID: string(t.ID), ChangeType: "created", CallID: t.CallID}
		if err := h.d.Queue.Send(ctx, queue.TranscriptIngest, queue.Outgoing{
			ID: pipeline.TranscriptKey(j.tenant.AzureTenantID.String(), string(t.ID)), Body: in, TenantID: j.tenant.ID}); err != nil {
			return fmt.Errorf("queue missed transcript: %w", err)
		}
	}
	if found > 0 {
		h.d.Log.InfoContext(ctx, "transcripts found by the check after the meeting ended", "count", found)
		return h.event(ctx, j, row.ID, StageTranscriptFetch, store.OutcomeWaiting, fmt.Sprintf("%d transcript(s) found; fetching", found))
	}
	if _, err := j.st.SetMeetingStatus(ctx, row.ID, store.MeetingNoTranscript, noTranscriptDetail); err != nil {
		return fmt.Errorf("record meeting progress: %w", err)
	}
	return h.event(ctx, j, row.ID, StageMeetingEnded, store.OutcomeFailed, noTranscriptDetail)
}

// graphTransient maps a Graph failure that is nobody's configuration to a retry.
func (h *Handler) graphTransient(err error, what string) error {
	if wait, ok := graph.RetryAfter(err); ok {
		return funchost.Later(wait, fmt.Errorf("%s: %w", what, err))
	}
	return fmt.Errorf("%s: %w", what, err)
}
