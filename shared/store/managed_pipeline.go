package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// Bounds of the pipeline-state columns (migrations/tenant/00003_pipeline_state.sql).
const (
	maxEventDetail = 2000
	maxFetchError  = 2000
	maxAlertTitle  = 200
	maxAlertDetail = 4000
)

var (
	stagePattern     = regexp.MustCompile(`^[a-z][a-z_]{0,39}$`)
	alertKindPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,59}$`)
)

// cut shortens s to at most n characters, on a rune boundary, for columns whose bound a
// caller should not have to know (an upstream error message can be any length).
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

const insertMeetingEventSQL = `
INSERT INTO meeting_events (tenant_id, meeting_id, stage, outcome, detail)
SELECT $1, m.id, $3, $4, $5 FROM meetings m WHERE m.tenant_id = $1 AND m.id = $2`

// AddMeetingEvent implements Store.
func (s *Managed) AddMeetingEvent(ctx context.Context, in MeetingEventInput) error {
	switch {
	case in.MeetingID.IsZero():
		return fmt.Errorf("add meeting event: %w", invalid("no meeting"))
	case !stagePattern.MatchString(in.Stage):
		return fmt.Errorf("add meeting event: %w", invalid("stage %q", in.Stage))
	case !in.Outcome.Valid():
		return fmt.Errorf("add meeting event: %w", invalid("outcome %q", in.Outcome))
	}
	err := s.write(ctx, func(q querier) error {
		tag, err := q.Exec(ctx, insertMeetingEventSQL, s.tenant, in.MeetingID, in.Stage, in.Outcome, cut(in.Detail, maxEventDetail))
		if err == nil && tag.RowsAffected() == 0 {
			return pgx.ErrNoRows
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("add event to meeting %s: %w", in.MeetingID, translate(err))
	}
	return nil
}

// maxMeetingEvents bounds a timeline read: a meeting retried for days must not make its
// page unbounded; the newest events are the ones that matter.
const maxMeetingEvents = 200

const meetingEventsSQL = `
SELECT at, stage, outcome, detail FROM (
    SELECT id, at, stage, outcome, detail FROM meeting_events
     WHERE tenant_id = $1 AND meeting_id = $2 ORDER BY id DESC LIMIT $3
) e ORDER BY id`

// MeetingEvents implements Store.
func (s *Managed) MeetingEvents(ctx context.Context, meetingID MeetingID) ([]MeetingEvent, error) {
	var out []MeetingEvent
	err := s.read(ctx, func(q querier) error {
		ok, err := exists(ctx, q, `SELECT EXISTS (SELECT 1 FROM meetings WHERE tenant_id = $1 AND id = $2)`, s.tenant, meetingID)
		if err != nil {
			return err
		}
		if !ok {
			return pgx.ErrNoRows
		}
		out, err = all(ctx, q, func(row pgx.CollectableRow) (MeetingEvent, error) {
			var e MeetingEvent
			err := row.Scan(&e.At, &e.Stage, &e.Outcome, &e.Detail)
			return e, err
		}, meetingEventsSQL, s.tenant, meetingID, maxMeetingEvents)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read events of meeting %s: %w", meetingID, translate(err))
	}
	return out, nil
}

const fetchColumns = `external_id, meeting_id, status, attempts, first_attempt_at, last_attempt_at, last_error`

func scanFetch(row pgx.CollectableRow) (TranscriptFetch, error) {
	var (
		f       TranscriptFetch
		meeting *MeetingID
	)
	err := row.Scan(&f.ExternalID, &meeting, &f.Status, &f.Attempts, &f.FirstAttemptAt, &f.LastAttemptAt, &f.LastError)
	if meeting != nil {
		f.MeetingID = *meeting
	}
	return f, err
}

// noteFetchSQL upserts a fetch; a meeting id that does not exist (deleted meanwhile) is
// recorded as null rather than failing the foreign key.
const noteFetchSQL = `
INSERT INTO transcript_fetches AS f (tenant_id, external_id, meeting_id, status, attempts, last_error)
VALUES ($1, $2, (SELECT id FROM meetings WHERE tenant_id = $1 AND id = $3), $4, CASE WHEN $5 THEN 1 ELSE 0 END, $6)
ON CONFLICT (tenant_id, external_id) DO UPDATE
SET meeting_id = coalesce(EXCLUDED.meeting_id, f.meeting_id),
    status = EXCLUDED.status,
    attempts = f.attempts + CASE WHEN $5 THEN 1 ELSE 0 END,
    last_attempt_at = CASE WHEN $5 THEN now() ELSE f.last_attempt_at END,
    last_error = EXCLUDED.last_error
RETURNING ` + fetchColumns

// NoteTranscriptFetch implements Store.
func (s *Managed) NoteTranscriptFetch(ctx context.Context, in TranscriptFetchInput) (TranscriptFetch, error) {
	switch {
	case in.ExternalID == "" || len(in.ExternalID) > 1024:
		return TranscriptFetch{}, fmt.Errorf("note transcript fetch: %w", invalid("external id of %d bytes", len(in.ExternalID)))
	case !in.Status.Valid():
		return TranscriptFetch{}, fmt.Errorf("note transcript fetch: %w", invalid("status %q", in.Status))
	}
	var meeting *MeetingID
	if !in.MeetingID.IsZero() {
		meeting = &in.MeetingID
	}
	var f TranscriptFetch
	err := s.write(ctx, func(q querier) (err error) {
		f, err = one(ctx, q, scanFetch, noteFetchSQL, s.tenant, in.ExternalID, meeting, in.Status, in.CountAttempt, cut(in.Error, maxFetchError))
		return err
	})
	if err != nil {
		return TranscriptFetch{}, fmt.Errorf("note fetch of transcript: %w", translate(err))
	}
	return f, nil
}

// TranscriptFetch implements Store.
func (s *Managed) TranscriptFetch(ctx context.Context, externalID string) (TranscriptFetch, error) {
	var f TranscriptFetch
	err := s.read(ctx, func(q querier) (err error) {
		f, err = one(ctx, q, scanFetch, `SELECT `+fetchColumns+` FROM transcript_fetches WHERE tenant_id = $1 AND external_id = $2`, s.tenant, externalID)
		return err
	})
	if err != nil {
		return TranscriptFetch{}, fmt.Errorf("read fetch of transcript: %w", translate(err))
	}
	return f, nil
}

// TranscriptByExternalID implements Store.
func (s *Managed) TranscriptByExternalID(ctx context.Context, externalID string) (Transcript, error) {
	var t Transcript
	err := s.read(ctx, func(q querier) (err error) {
		t, err = one(ctx, q, scanTranscript, transcriptByExternalIDSQL, s.tenant, externalID)
		return err
	})
	if err != nil {
		return Transcript{}, fmt.Errorf("read transcript by external id: %w", translate(err))
	}
	return t, nil
}

const alertColumns = `kind, title, detail, occurrences, first_seen_at, last_seen_at, notified_at`

func scanAlert(row pgx.CollectableRow) (Alert, error) {
	var a Alert
	err := row.Scan(&a.Kind, &a.Title, &a.Detail, &a.Occurrences, &a.FirstSeenAt, &a.LastSeenAt, &a.NotifiedAt)
	return a, err
}

const (
	lockAlertSQL   = `SELECT resolved_at IS NOT NULL, notified_at IS NULL FROM tenant_alerts WHERE tenant_id = $1 AND kind = $2 FOR UPDATE`
	insertAlertSQL = `
INSERT INTO tenant_alerts (tenant_id, kind, title, detail, notified_at) VALUES ($1, $2, $3, $4, now())
RETURNING ` + alertColumns
	// reopenAlertSQL: a resolved alert raised again opens afresh, and the admins are told again.
	reopenAlertSQL = `
UPDATE tenant_alerts SET title = $3, detail = $4, occurrences = 1, first_seen_at = now(), last_seen_at = now(),
       notified_at = now(), resolved_at = NULL
 WHERE tenant_id = $1 AND kind = $2
RETURNING ` + alertColumns
	repeatAlertSQL = `
UPDATE tenant_alerts SET title = $3, detail = $4, occurrences = occurrences + 1, last_seen_at = now(),
       notified_at = coalesce(notified_at, now())
 WHERE tenant_id = $1 AND kind = $2
RETURNING ` + alertColumns
)

// RaiseAlert implements Store.
func (s *Managed) RaiseAlert(ctx context.Context, in AlertInput) (Alert, bool, error) {
	switch {
	case !alertKindPattern.MatchString(in.Kind):
		return Alert{}, false, fmt.Errorf("raise alert: %w", invalid("kind %q", in.Kind))
	case in.Title == "" || utf8.RuneCountInString(in.Title) > maxAlertTitle:
		return Alert{}, false, fmt.Errorf("raise alert: %w", invalid("title of %d characters", utf8.RuneCountInString(in.Title)))
	}
	detail := cut(in.Detail, maxAlertDetail)
	var (
		a       Alert
		claimed bool
	)
	err := retryUnique("tenant_alerts_pkey", func() error {
		return s.write(ctx, func(q querier) error {
			var resolved, unnotified bool
			err := q.QueryRow(ctx, lockAlertSQL, s.tenant, in.Kind).Scan(&resolved, &unnotified)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				a, err = one(ctx, q, scanAlert, insertAlertSQL, s.tenant, in.Kind, in.Title, detail)
				claimed = true
			case err != nil:
				return err
			case resolved:
				a, err = one(ctx, q, scanAlert, reopenAlertSQL, s.tenant, in.Kind, in.Title, detail)
				claimed = true
			default:
				a, err = one(ctx, q, scanAlert, repeatAlertSQL, s.tenant, in.Kind, in.Title, detail)
				claimed = unnotified
			}
			return err
		})
	})
	if err != nil {
		return Alert{}, false, fmt.Errorf("raise alert %s: %w", in.Kind, translate(err))
	}
	return a, claimed, nil
}

// AlertNoticeFailed implements Store.
func (s *Managed) AlertNoticeFailed(ctx context.Context, kind string) error {
	err := s.write(ctx, func(q querier) error {
		_, err := q.Exec(ctx, `UPDATE tenant_alerts SET notified_at = NULL WHERE tenant_id = $1 AND kind = $2 AND resolved_at IS NULL`, s.tenant, kind)
		return err
	})
	if err != nil {
		return fmt.Errorf("release notice of alert %s: %w", kind, translate(err))
	}
	return nil
}

// ResolveAlert implements Store.
func (s *Managed) ResolveAlert(ctx context.Context, kind string) (bool, error) {
	var n int64
	err := s.write(ctx, func(q querier) error {
		tag, err := q.Exec(ctx, `UPDATE tenant_alerts SET resolved_at = now() WHERE tenant_id = $1 AND kind = $2 AND resolved_at IS NULL`, s.tenant, kind)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("resolve alert %s: %w", kind, translate(err))
	}
	return n > 0, nil
}

// OpenAlerts implements Store.
func (s *Managed) OpenAlerts(ctx context.Context) ([]Alert, error) {
	var out []Alert
	err := s.read(ctx, func(q querier) (err error) {
		out, err = all(ctx, q, scanAlert, `SELECT `+alertColumns+` FROM tenant_alerts
 WHERE tenant_id = $1 AND resolved_at IS NULL ORDER BY first_seen_at, kind`, s.tenant)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list open alerts: %w", translate(err))
	}
	return out, nil
}

// MeetingByExternalID implements Store.
func (s *Managed) MeetingByExternalID(ctx context.Context, source MeetingSource, externalID string) (Meeting, error) {
	var m Meeting
	err := s.read(ctx, func(q querier) (err error) {
		m, err = one(ctx, q, scanMeeting, `SELECT `+meetingColumns+` FROM meetings
 WHERE tenant_id = $1 AND source = $2 AND external_id = $3`, s.tenant, source, externalID)
		return err
	})
	if err != nil {
		return Meeting{}, fmt.Errorf("read meeting by external id: %w", translate(err))
	}
	return m, nil
}
