package minutespublish

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/meetingminutes/minutes/shared/audit"
	"github.com/meetingminutes/minutes/shared/store"
)

// errNotPublishable: the version's status changed while it was being published.
var errNotPublishable = errors.New("minutes are no longer approved")

// finish records the publication: the version and the meeting become published, the
// meeting's timeline gets a "publish" event naming the channels, and the audit log an entry
// with ids and channels. It runs once every channel is settled, in one transaction.
func (h *Handler) finish(ctx context.Context, j *job) error {
	pubs, err := h.d.Ledger.Publications(ctx, j.tenant.ID, j.mins.ID)
	if err != nil {
		return err
	}
	var done, failed []string
	var parts []string
	for _, ch := range j.channels {
		for _, p := range pubs {
			if p.Channel != ch {
				continue
			}
			switch p.State {
			case StateDone:
				done = append(done, string(ch))
				parts = append(parts, string(ch)+" ("+p.Detail+")")
			case StateFailed:
				failed = append(failed, string(ch))
			}
		}
	}
	detail := "published"
	if len(parts) > 0 {
		detail += ": " + strings.Join(parts, ", ")
	} else {
		detail += " in the portal only (no channel configured or none succeeded)"
	}
	if len(failed) > 0 {
		detail += "; failed: " + strings.Join(failed, ", ")
	}
	if len(j.rcpt.To) == 0 {
		detail += "; no e-mail recipients"
	}
	now := h.d.Now()
	err = j.st.Tx(ctx, func(tx store.Store) error {
		cur, err := tx.Minutes(ctx, j.mins.ID)
		if err != nil {
			return fmt.Errorf("read minutes: %w", err)
		}
		if cur.Status == store.MinutesPublished || !store.CanTransition(cur.Status, store.MinutesPublished) {
			return errNotPublishable
		}
		if _, err := tx.DecideMinutes(ctx, cur.ID, store.DecideParams{Status: store.MinutesPublished, At: now}); err != nil {
			return fmt.Errorf("mark minutes published: %w", err)
		}
		if _, err := tx.SetMeetingStatus(ctx, j.meeting.ID, store.MeetingPublished, ""); err != nil {
			return fmt.Errorf("mark meeting published: %w", err)
		}
		if err := tx.AddMeetingEvent(ctx, store.MeetingEventInput{MeetingID: j.meeting.ID, Stage: StagePublish,
			Outcome: store.OutcomeOK, Detail: detail}); err != nil {
			return fmt.Errorf("record publish event: %w", err)
		}
		_, err = tx.Audit(ctx, audit.Entry{
			At:     now,
			Actor:  audit.Actor{Type: audit.ActorSystem, ID: "MinutesPublish"},
			Action: ActionPublished,
			Target: audit.Target{Type: "minutes", ID: j.mins.ID.String()},
			Details: map[string]any{
				"meeting_id": j.meeting.ID.String(),
				"version":    j.mins.Version,
				"channels":   nonNil(done),
				"failed":     nonNil(failed),
			},
		})
		if err != nil {
			return fmt.Errorf("audit publication: %w", err)
		}
		return nil
	})
	switch {
	case err == nil:
		h.d.Log.InfoContext(ctx, "minutes published", "version", j.mins.Version, "channels", done, "failed", failed)
		return nil
	case errors.Is(err, errNotPublishable), errors.Is(err, store.ErrConflict):
		// Another delivery finished first, or the version was decided otherwise meanwhile.
		cur, rerr := j.st.Minutes(ctx, j.mins.ID)
		if rerr != nil {
			return fmt.Errorf("read minutes: %w", rerr)
		}
		h.d.Log.InfoContext(ctx, "minutes not marked published by this delivery", "status", string(cur.Status))
		return nil
	}
	return err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
