package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// meetingColumns is the select list scanMeeting reads; nullable texts read as "".
const meetingColumns = `id, source, external_id, coalesce(call_id, ''), subject, coalesce(organizer_id, ''),
       organizer_name, organizer_email, starts_at, ends_at, participants, status, status_detail,
       created_at, updated_at`

func scanMeeting(row pgx.CollectableRow) (Meeting, error) {
	var m Meeting
	err := row.Scan(&m.ID, &m.Source, &m.ExternalID, &m.CallID, &m.Subject, &m.OrganizerID,
		&m.OrganizerName, &m.OrganizerEmail, &m.StartsAt, &m.EndsAt, &m.Participants, &m.Status,
		&m.StatusDetail, &m.CreatedAt, &m.UpdatedAt)
	if m.Participants == nil {
		m.Participants = []Participant{}
	}
	return m, err
}

// The upsert is two statements sharing their arguments: an insert that does nothing on
// conflict (waiting for a concurrent insert of the same meeting to finish), then, when it
// inserted nothing, an update of the existing row, which bumps updated_at only when something
// changed.
const (
	insertMeetingSQL = `
INSERT INTO meetings (tenant_id, source, external_id, call_id, subject, organizer_id, organizer_name,
                      organizer_email, starts_at, ends_at, participants)
VALUES ($1, $2, $3, NULLIF($4::text, ''), $5, NULLIF($6::text, ''), $7, $8, $9, $10, $11)
ON CONFLICT (tenant_id, source, external_id) DO NOTHING
RETURNING ` + meetingColumns

	updateMeetingSQL = `
UPDATE meetings
   SET call_id = NULLIF($4::text, ''), subject = $5, organizer_id = NULLIF($6::text, ''),
       organizer_name = $7, organizer_email = $8, starts_at = $9, ends_at = $10, participants = $11,
       updated_at = CASE
           WHEN (call_id, subject, organizer_id, organizer_name, organizer_email, starts_at, ends_at, participants)
                IS DISTINCT FROM (NULLIF($4::text, ''), $5, NULLIF($6::text, ''), $7, $8, $9::timestamptz,
                                  $10::timestamptz, $11::jsonb)
           THEN now() ELSE updated_at END
 WHERE tenant_id = $1 AND source = $2 AND external_id = $3
RETURNING ` + meetingColumns
)

// UpsertMeeting implements Store.
func (s *Managed) UpsertMeeting(ctx context.Context, in MeetingInput) (Meeting, bool, error) {
	if !in.Source.Valid() {
		return Meeting{}, false, fmt.Errorf("upsert meeting: %w", invalid("source %q", in.Source))
	}
	if in.ExternalID == "" {
		return Meeting{}, false, fmt.Errorf("upsert meeting: %w", invalid("empty external id"))
	}
	participants := in.Participants
	if participants == nil {
		participants = []Participant{}
	}
	args := []any{s.tenant, in.Source, in.ExternalID, in.CallID, in.Subject, in.OrganizerID,
		in.OrganizerName, in.OrganizerEmail, in.StartsAt, in.EndsAt, participants}
	var (
		m       Meeting
		created bool
	)
	err := s.write(ctx, func(q querier) error {
		var err error
		m, err = one(ctx, q, scanMeeting, insertMeetingSQL, args...)
		if err == nil {
			created = true
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		// The row exists (or a concurrent insert just committed it): update it.
		m, err = one(ctx, q, scanMeeting, updateMeetingSQL, args...)
		if errors.Is(err, pgx.ErrNoRows) {
			// Deleted between the two statements: rare enough for the caller to retry.
			return fmt.Errorf("%w: meeting changed concurrently", ErrConflict)
		}
		return err
	})
	if err != nil {
		return Meeting{}, false, fmt.Errorf("upsert meeting %s/%q: %w", in.Source, clip(in.ExternalID), translate(err))
	}
	return m, created, nil
}

const getMeetingSQL = `SELECT ` + meetingColumns + ` FROM meetings WHERE tenant_id = $1 AND id = $2`

// Meeting implements Store.
func (s *Managed) Meeting(ctx context.Context, id MeetingID) (Meeting, error) {
	var m Meeting
	err := s.read(ctx, func(q querier) (err error) {
		m, err = one(ctx, q, scanMeeting, getMeetingSQL, s.tenant, id)
		return err
	})
	if err != nil {
		return Meeting{}, fmt.Errorf("get meeting %s: %w", id, translate(err))
	}
	return m, nil
}

// listMeetingsSQL pages through meetings_recent (tenant_id, starts_at DESC NULLS LAST, id).
// $3 says whether there is a cursor ($4 its starts_at, possibly NULL, $5 its id). The order
// mixes directions, so the keyset condition is spelled out: after a dated meeting come those
// that started earlier, those at the same instant with a larger id, and every undated one;
// after an undated meeting only undated ones with a larger id.
const listMeetingsSQL = `
SELECT ` + meetingColumns + `
  FROM meetings
 WHERE tenant_id = $1
   AND ($2::text = '' OR status = $2::text)
   AND (NOT $3::boolean
        OR ($4::timestamptz IS NULL AND starts_at IS NULL AND id > $5::uuid)
        OR ($4::timestamptz IS NOT NULL
            AND (starts_at < $4::timestamptz OR (starts_at = $4::timestamptz AND id > $5::uuid) OR starts_at IS NULL)))
 ORDER BY starts_at DESC NULLS LAST, id
 LIMIT $6`

// ListMeetings implements Store.
func (s *Managed) ListMeetings(ctx context.Context, p ListMeetingsParams) ([]Meeting, error) {
	n, err := limit(p.Limit)
	if err != nil {
		return nil, fmt.Errorf("list meetings: %w", err)
	}
	if p.Status != "" && !p.Status.Valid() {
		return nil, fmt.Errorf("list meetings: %w", invalid("status %q", p.Status))
	}
	var ms []Meeting
	err = s.read(ctx, func(q querier) (err error) {
		ms, err = all(ctx, q, scanMeeting, listMeetingsSQL,
			s.tenant, string(p.Status), !p.Before.IsZero(), p.Before.startsAt, p.Before.id, n)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list meetings: %w", translate(err))
	}
	return ms, nil
}

const setMeetingStatusSQL = `
UPDATE meetings SET status = $3, status_detail = $4, updated_at = now()
 WHERE tenant_id = $1 AND id = $2
RETURNING ` + meetingColumns

// SetMeetingStatus implements Store.
func (s *Managed) SetMeetingStatus(ctx context.Context, id MeetingID, status MeetingStatus, detail string) (Meeting, error) {
	if !status.Valid() {
		return Meeting{}, fmt.Errorf("set status of meeting %s: %w", id, invalid("status %q", status))
	}
	var m Meeting
	err := s.write(ctx, func(q querier) (err error) {
		m, err = one(ctx, q, scanMeeting, setMeetingStatusSQL, s.tenant, id, status, detail)
		return err
	})
	if err != nil {
		return Meeting{}, fmt.Errorf("set status of meeting %s: %w", id, translate(err))
	}
	return m, nil
}
