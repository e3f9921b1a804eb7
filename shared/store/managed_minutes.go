package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
)

const minutesColumns = `id, meeting_id, transcript_id, version, status, content, generator, template_id, created_by,
       created_at, decided_by, decided_at, decision_reason, published_at`

func scanMinutes(row pgx.CollectableRow) (Minutes, error) {
	var m Minutes
	err := row.Scan(&m.ID, &m.MeetingID, &m.TranscriptID, &m.Version, &m.Status, &m.Content, &m.Generator,
		&m.TemplateID, &m.CreatedBy, &m.CreatedAt, &m.DecidedBy, &m.DecidedAt, &m.DecisionReason,
		&m.PublishedAt)
	return m, err
}

// minutesVersionKey is the unique constraint (tenant_id, meeting_id, version).
const minutesVersionKey = "meeting_minutes_tenant_id_meeting_id_version_key"

// insertMinutesSQL numbers the new version max + 1. It runs after lockMeetingSQL, in a later
// statement, so its snapshot includes every version committed by the lock's previous holder.
const insertMinutesSQL = `
INSERT INTO meeting_minutes (tenant_id, meeting_id, transcript_id, version, status, content, generator,
                             template_id, created_by)
SELECT $1, $2::uuid, $3::uuid, coalesce(max(version), 0) + 1, $4::text, $5::jsonb, $6::text, $7::uuid, $8::uuid
  FROM meeting_minutes
 WHERE tenant_id = $1 AND meeting_id = $2::uuid
RETURNING ` + minutesColumns

const transcriptOfMeetingSQL = `SELECT EXISTS (SELECT 1 FROM transcripts WHERE tenant_id = $1 AND id = $2 AND meeting_id = $3)`

// AddMinutesVersion implements Store. The meeting row is locked while the version is numbered,
// so concurrent adds for one meeting queue up; should one still lose the race on the version
// constraint (a caller's transaction in REPEATABLE READ), it is retried.
func (s *Managed) AddMinutesVersion(ctx context.Context, in MinutesInput) (Minutes, error) {
	status := in.Status
	if status == "" {
		status = MinutesDraft
	}
	switch {
	case in.MeetingID.IsZero():
		return Minutes{}, fmt.Errorf("add minutes: %w", invalid("no meeting"))
	case status != MinutesDraft && status != MinutesPendingApproval && status != MinutesFailed:
		return Minutes{}, fmt.Errorf("add minutes to meeting %s: %w", in.MeetingID, invalid("initial status %q", status))
	case !isJSONObject(in.Content):
		return Minutes{}, fmt.Errorf("add minutes to meeting %s: %w", in.MeetingID, invalid("content is not a JSON object"))
	}
	var m Minutes
	err := retryUnique(minutesVersionKey, func() error {
		return s.write(ctx, func(q querier) (err error) {
			if err = lockMeeting(ctx, q, s.tenant, in.MeetingID); err != nil {
				return err
			}
			if !in.TranscriptID.IsZero() {
				// The foreign key only keeps the transcript in the tenant, not in the meeting.
				ok, err := exists(ctx, q, transcriptOfMeetingSQL, s.tenant, in.TranscriptID, in.MeetingID)
				if err != nil {
					return err
				}
				if !ok {
					return invalid("transcript %s is not one of the meeting's", in.TranscriptID)
				}
			}
			m, err = one(ctx, q, scanMinutes, insertMinutesSQL, s.tenant, in.MeetingID, in.TranscriptID, status,
				in.Content, in.Generator, in.TemplateID, in.CreatedBy)
			return err
		})
	})
	if err != nil {
		return Minutes{}, fmt.Errorf("add minutes to meeting %s: %w", in.MeetingID, translate(err))
	}
	return m, nil
}

// isJSONObject reports whether b is valid JSON whose value is an object.
func isJSONObject(b json.RawMessage) bool {
	return json.Valid(b) && bytes.HasPrefix(bytes.TrimLeft(b, " \t\r\n"), []byte("{"))
}

const getMinutesSQL = `SELECT ` + minutesColumns + ` FROM meeting_minutes WHERE tenant_id = $1 AND id = $2`

// Minutes implements Store.
func (s *Managed) Minutes(ctx context.Context, id MinutesID) (Minutes, error) {
	var m Minutes
	err := s.read(ctx, func(q querier) (err error) {
		m, err = one(ctx, q, scanMinutes, getMinutesSQL, s.tenant, id)
		return err
	})
	if err != nil {
		return Minutes{}, fmt.Errorf("get minutes %s: %w", id, translate(err))
	}
	return m, nil
}

const (
	minutesHistorySQL = `
SELECT ` + minutesColumns + ` FROM meeting_minutes
 WHERE tenant_id = $1 AND meeting_id = $2
 ORDER BY version DESC`

	latestMinutesSQL = minutesHistorySQL + ` LIMIT 1`
)

// LatestMinutes implements Store.
func (s *Managed) LatestMinutes(ctx context.Context, meetingID MeetingID) (Minutes, error) {
	var m Minutes
	err := s.read(ctx, func(q querier) (err error) {
		m, err = one(ctx, q, scanMinutes, latestMinutesSQL, s.tenant, meetingID)
		return err
	})
	if err != nil {
		return Minutes{}, fmt.Errorf("get latest minutes of meeting %s: %w", meetingID, translate(err))
	}
	return m, nil
}

// MinutesHistory implements Store.
func (s *Managed) MinutesHistory(ctx context.Context, meetingID MeetingID) ([]Minutes, error) {
	var ms []Minutes
	err := s.read(ctx, func(q querier) (err error) {
		if ms, err = all(ctx, q, scanMinutes, minutesHistorySQL, s.tenant, meetingID); err != nil || len(ms) > 0 {
			return err
		}
		return s.meetingMustExist(ctx, q, meetingID)
	})
	if err != nil {
		return nil, fmt.Errorf("list minutes of meeting %s: %w", meetingID, translate(err))
	}
	return ms, nil
}

// A decision runs three statements: lock the meeting the minutes belong to (serializing it
// with AddMinutesVersion, so "latest" cannot change underneath), read the current status and
// whether the version is the latest, and update.
const (
	lockMinutesMeetingSQL = `
SELECT mt.id
  FROM meeting_minutes mm
  JOIN meetings mt ON mt.tenant_id = mm.tenant_id AND mt.id = mm.meeting_id
 WHERE mm.tenant_id = $1 AND mm.id = $2
   FOR NO KEY UPDATE OF mt`

	minutesStateSQL = `
SELECT status,
       version = (SELECT max(version) FROM meeting_minutes l WHERE l.tenant_id = $1 AND l.meeting_id = mm.meeting_id)
  FROM meeting_minutes mm
 WHERE tenant_id = $1 AND id = $2
   FOR UPDATE`

	decideMinutesSQL = `
UPDATE meeting_minutes
   SET status          = $3::text,
       decided_by      = CASE WHEN $3::text IN ('approved', 'rejected') THEN $4::uuid ELSE decided_by END,
       decided_at      = CASE WHEN $3::text IN ('approved', 'rejected') THEN $5::timestamptz ELSE decided_at END,
       decision_reason = CASE WHEN $3::text IN ('rejected', 'failed') THEN $6::text ELSE decision_reason END,
       published_at    = CASE WHEN $3::text = 'published' THEN $5::timestamptz ELSE published_at END
 WHERE tenant_id = $1 AND id = $2
RETURNING ` + minutesColumns
)

// DecideMinutes implements Store.
func (s *Managed) DecideMinutes(ctx context.Context, id MinutesID, p DecideParams) (Minutes, error) {
	switch {
	case !p.Status.Valid():
		return Minutes{}, fmt.Errorf("decide minutes %s: %w", id, invalid("status %q", p.Status))
	case p.At.IsZero():
		return Minutes{}, fmt.Errorf("decide minutes %s: %w", id, invalid("no decision time"))
	}
	var m Minutes
	err := s.write(ctx, func(q querier) error {
		var meetingID MeetingID
		if err := q.QueryRow(ctx, lockMinutesMeetingSQL, s.tenant, id).Scan(&meetingID); err != nil {
			return err
		}
		var (
			current MinutesStatus
			latest  bool
		)
		if err := q.QueryRow(ctx, minutesStateSQL, s.tenant, id).Scan(&current, &latest); err != nil {
			return err
		}
		if !CanTransition(current, p.Status) {
			return fmt.Errorf("%w: minutes are %s, cannot become %s", ErrConflict, current, p.Status)
		}
		if !latest {
			return fmt.Errorf("%w: a later version of the minutes exists", ErrConflict)
		}
		var err error
		m, err = one(ctx, q, scanMinutes, decideMinutesSQL, s.tenant, id, p.Status, p.By, p.At, p.Reason)
		return err
	})
	if err != nil {
		return Minutes{}, fmt.Errorf("decide minutes %s (%s): %w", id, p.Status, translate(err))
	}
	return m, nil
}
