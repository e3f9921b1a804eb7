package transcriptingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/graph"
	"github.com/meetingminutes/minutes/shared/pipeline"
	"github.com/meetingminutes/minutes/shared/store"
)

// Log key of alerts operators page on (same as GraphNotifications').
const keyAlert = "graph_alert"

// throttleWait is the wait after a throttled answer without Retry-After.
const throttleWait = time.Minute

// fetchFailed decides what a Graph failure means for the transcript of j: retry later, alert
// the tenant's admins, or give up with the reason recorded. row is the meeting when it is
// already recorded (zero before the meeting itself could be read).
func (h *Handler) fetchFailed(ctx context.Context, j *job, row store.Meeting, err error) error {
	var (
		status store.FetchStatus
		reason string
		alert  string
	)
	switch {
	case graph.IsThrottled(err):
		// Graph's own back-pressure: not an attempt of ours, not a reason to give up.
		wait, ok := graph.RetryAfter(err)
		if !ok {
			wait = throttleWait
		}
		h.d.Log.WarnContext(ctx, "graph throttled the transcript fetch", "retry_after", wait.String())
		return funchost.Later(wait, err)
	case graph.IsNotFound(err):
		status, reason = store.FetchRetrying, "Teams has not made the transcript available yet"
	case graph.IsPaymentRequired(err):
		status, reason, alert = store.FetchBlocked, "Microsoft's transcript metering refused the download (402)", pipeline.AlertMetering
		h.d.Log.ErrorContext(ctx, "graph transcript metering exhausted: set up billing for the application", keyAlert, true)
	case graph.IsAccessDenied(err):
		var re *graph.ResponseError
		errors.As(err, &re)
		switch re.Denial() {
		case graph.DenialTranscriptAPIDisabled:
			alert = pipeline.AlertTranscriptAPI
			reason = "Teams' Transcript API access is off for this organisation: an admin must switch it on"
		case graph.DenialAccessPolicy:
			alert = pipeline.AlertAccessPolicy
			reason = "no Teams application access policy covers this meeting's organizer: an admin must grant it"
		default:
			alert = pipeline.AlertGraphForbidden
			reason = "Microsoft Graph refused access (403): check the admin consent"
		}
		status = store.FetchBlocked
	default:
		// Network, 5xx, a bug: abandon for redelivery with the queue's own backoff.
		return fmt.Errorf("fetch transcript: %w", err)
	}

	f, nerr := j.st.NoteTranscriptFetch(ctx, store.TranscriptFetchInput{ExternalID: j.msg.TranscriptID,
		MeetingID: row.ID, Status: status, CountAttempt: true, Error: reason})
	if nerr != nil {
		return fmt.Errorf("record fetch attempt: %w", nerr)
	}
	if alert != "" {
		if err := h.raise(ctx, j, alert); err != nil {
			return err
		}
	}
	wait, again := h.d.Retry.Next(f.Attempts, f.FirstAttemptAt, h.d.Now())
	if !again {
		reason = fmt.Sprintf("%s; gave up after %d attempts over %s. Upload the transcript from this meeting's page to get minutes.",
			reason, f.Attempts, h.d.Now().Sub(f.FirstAttemptAt).Round(time.Minute))
		return h.giveUp(ctx, j, row, reason)
	}
	if !row.ID.IsZero() {
		detail := fmt.Sprintf("%s; attempt %d, next in %s", reason, f.Attempts, wait)
		if err := h.event(ctx, j, row.ID, StageTranscriptFetch, store.OutcomeRetry, detail); err != nil {
			return err
		}
		// Still retried, so still awaiting: the detail says what it waits on.
		if _, err := j.st.SetMeetingStatus(ctx, row.ID, store.MeetingAwaitingTranscript, reason); err != nil {
			return fmt.Errorf("record meeting progress: %w", err)
		}
	}
	h.d.Log.InfoContext(ctx, "transcript fetch will be retried", "status", string(status), "attempt", f.Attempts, "retry_in", wait.String())
	return funchost.Later(wait, err)
}

// giveUp records that the transcript will not be processed and why, and acknowledges.
func (h *Handler) giveUp(ctx context.Context, j *job, row store.Meeting, reason string) error {
	if _, err := j.st.NoteTranscriptFetch(ctx, store.TranscriptFetchInput{ExternalID: j.msg.TranscriptID,
		MeetingID: row.ID, Status: store.FetchGaveUp, Error: reason}); err != nil {
		return fmt.Errorf("record fetch outcome: %w", err)
	}
	if !row.ID.IsZero() {
		if err := h.event(ctx, j, row.ID, StageTranscriptFetch, store.OutcomeFailed, reason); err != nil {
			return err
		}
		if _, err := j.st.SetMeetingStatus(ctx, row.ID, store.MeetingFailed, reason); err != nil {
			return fmt.Errorf("record meeting failure: %w", err)
		}
	}
	h.d.Log.WarnContext(ctx, "transcript given up", "reason", reason)
	return nil
}

// raise opens (or repeats) the tenant alert of kind; the first raiser of an opening mails
// the admins. A failed mail is released so a later raise tries again; it does not fail the
// message (the alert is already visible in the portal).
func (h *Handler) raise(ctx context.Context, j *job, kind string) error {
	a, notify, err := j.st.RaiseAlert(ctx, pipeline.AlertFor(kind, h.d.AppID))
	if err != nil {
		return fmt.Errorf("raise alert: %w", err)
	}
	if !notify || h.d.Notifier == nil {
		return nil
	}
	if err := h.d.Notifier.NotifyAdmins(ctx, j.tenant, j.st, a); err != nil {
		h.d.Log.WarnContext(ctx, "could not mail the admins about an alert", "alert", kind, "error", err.Error())
		if err := j.st.AlertNoticeFailed(ctx, kind); err != nil {
			return fmt.Errorf("release alert notice: %w", err)
		}
		return nil
	}
	h.d.Log.InfoContext(ctx, "admins told about an alert", "alert", kind)
	return nil
}
