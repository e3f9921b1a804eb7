package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/meetingminutes/minutes/shared/queue"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// Stage names the sweep writes on meeting timelines.
const (
	StageApprovalReminder = "approval_reminder"
	StagePublishRequeued  = "publish_requeued"
)

// Reminder mails approvers about minutes still waiting; MailApprovers' Remind implements it.
type Reminder interface {
	Remind(ctx context.Context, t tenancy.Tenant, st store.Store, m store.Meeting, mins store.Minutes, waiting time.Duration) error
}

// TenantLister pages through the registry; *tenancy.Registry implements it.
type TenantLister interface {
	List(ctx context.Context, after tenancy.ID, limit int) ([]tenancy.Tenant, error)
}

// Sweeper is the pipeline's periodic catch-up, run by the TenantHealthSweep timer: approvers
// are reminded once about minutes waiting longer than the tenant's reminder delay, and
// approved minutes whose publication never started (the queue refused the message at approval
// time) are queued again under their publication key.
type Sweeper struct {
	Tenants  TenantLister
	Stores   store.Resolver
	Reminder Reminder // nil: no reminders
	Queue    queue.Sender
	// PublishGrace is how long approved minutes may wait before they are queued again;
	// default 10 minutes.
	PublishGrace time.Duration
	Now          func() time.Time
	Log          *slog.Logger
}

// SweepReport counts what a run did.
type SweepReport struct{ Tenants, Reminded, Requeued int }

// maxSweepMeetings bounds the meetings looked at per tenant and status in one run.
const maxSweepMeetings = 200

// Run sweeps every active tenant; one tenant's failure does not stop the others.
func (s *Sweeper) Run(ctx context.Context) (SweepReport, error) {
	now, grace := time.Now, s.PublishGrace
	if s.Now != nil {
		now = s.Now
	}
	if grace == 0 {
		grace = 10 * time.Minute
	}
	log := s.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var (
		rep   SweepReport
		after tenancy.ID
		errs  []error
	)
	for {
		page, err := s.Tenants.List(ctx, after, 200)
		if err != nil {
			return rep, fmt.Errorf("list tenants: %w", err)
		}
		for _, t := range page {
			after = t.ID
			if t.Status != tenancy.StatusActive {
				continue
			}
			rep.Tenants++
			if err := s.tenant(ctx, t, now(), grace, &rep); err != nil {
				log.WarnContext(ctx, "pipeline sweep failed for a tenant", "tenant_id", t.ID.String(), "error", err.Error())
				errs = append(errs, err)
			}
		}
		if len(page) < 200 {
			break
		}
	}
	return rep, errors.Join(errs...)
}

func (s *Sweeper) tenant(ctx context.Context, t tenancy.Tenant, now time.Time, grace time.Duration, rep *SweepReport) error {
	st, err := s.Stores.For(ctx, t.ID)
	if err != nil {
		return err
	}
	set, err := st.Settings(ctx)
	if err != nil {
		return err
	}
	if s.Reminder != nil && set.ReminderAfter > 0 {
		pending, err := st.ListMeetings(ctx, store.ListMeetingsParams{Status: store.MeetingPendingApproval, Limit: maxSweepMeetings})
		if err != nil {
			return err
		}
		for _, m := range pending {
			mins, err := st.LatestMinutes(ctx, m.ID)
			if err != nil || mins.Status != store.MinutesPendingApproval {
				continue
			}
			waiting := now.Sub(mins.CreatedAt)
			if waiting < set.ReminderAfter {
				continue
			}
			done, err := remindedSince(ctx, st, m.ID, mins.CreatedAt)
			if err != nil || done {
				continue
			}
			if err := s.Reminder.Remind(ctx, t, st, m, mins, waiting); err != nil {
				return fmt.Errorf("remind approvers: %w", err)
			}
			if err := st.AddMeetingEvent(ctx, store.MeetingEventInput{MeetingID: m.ID, Stage: StageApprovalReminder,
				Outcome: store.OutcomeWaiting, Detail: fmt.Sprintf("approvers reminded after %s", waiting.Round(time.Minute))}); err != nil {
				return err
			}
			rep.Reminded++
		}
	}
	approved, err := st.ListMeetings(ctx, store.ListMeetingsParams{Status: store.MeetingApproved, Limit: maxSweepMeetings})
	if err != nil {
		return err
	}
	for _, m := range approved {
		if now.Sub(m.UpdatedAt) < grace {
			continue
		}
		mins, err := st.LatestMinutes(ctx, m.ID)
		if err != nil || mins.Status != store.MinutesApproved {
			continue
		}
		pm := PublishMessage{TenantID: t.ID, MinutesID: mins.ID}
		// The same key as at approval: a message still pending absorbs this one.
		if err := s.Queue.Send(ctx, queue.MinutesPublish, queue.Outgoing{ID: PublishKey(pm), Body: pm, TenantID: t.ID}); err != nil {
			return fmt.Errorf("requeue publishing: %w", err)
		}
		if err := st.AddMeetingEvent(ctx, store.MeetingEventInput{MeetingID: m.ID, Stage: StagePublishRequeued,
			Outcome: store.OutcomeRetry, Detail: "approved minutes were not published yet: queued again"}); err != nil {
			return err
		}
		rep.Requeued++
	}
	return nil
}

// remindedSince reports whether the meeting's timeline has a reminder after since.
func remindedSince(ctx context.Context, st store.Store, id store.MeetingID, since time.Time) (bool, error) {
	ev, err := st.MeetingEvents(ctx, id)
	if err != nil {
		return false, err
	}
	for _, e := range ev {
		if e.Stage == StageApprovalReminder && !e.At.Before(since) {
			return true, nil
		}
	}
	return false, nil
}
