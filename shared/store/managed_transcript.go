package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

const transcriptColumns = `id, meeting_id, external_id, format, blob_path, content_sha256, size_bytes, language,
       cue_count, speaker_count, word_count, duration_ms, created_at`

func scanTranscript(row pgx.CollectableRow) (Transcript, error) {
	var (
		t          Transcript
		sum        []byte
		durationMS int64
	)
	err := row.Scan(&t.ID, &t.MeetingID, &t.ExternalID, &t.Format, &t.BlobPath, &sum, &t.SizeBytes,
		&t.Language, &t.CueCount, &t.SpeakerCount, &t.WordCount, &durationMS, &t.CreatedAt)
	if err != nil {
		return Transcript{}, err
	}
	if len(sum) != len(t.ContentSHA256) {
		return Transcript{}, fmt.Errorf("transcript %s: content_sha256 has %d bytes", t.ID, len(sum))
	}
	copy(t.ContentSHA256[:], sum)
	t.Duration = time.Duration(durationMS) * time.Millisecond
	return t, nil
}

// insertTranscriptSQL inserts only when the meeting exists ($2) and does nothing when the
// external id is taken, so no row back means "meeting missing" or "already stored".
const insertTranscriptSQL = `
INSERT INTO transcripts (tenant_id, meeting_id, external_id, format, blob_path, content_sha256, size_bytes,
                         language, cue_count, speaker_count, word_count, duration_ms)
SELECT $1, m.id, $3::text, $4::text, $5::text, $6::bytea, $7::bigint, $8::text, $9::integer, $10::integer,
       $11::integer, $12::bigint
  FROM meetings m
 WHERE m.tenant_id = $1 AND m.id = $2
ON CONFLICT (tenant_id, external_id) DO NOTHING
RETURNING ` + transcriptColumns

const transcriptByExternalIDSQL = `SELECT ` + transcriptColumns + ` FROM transcripts WHERE tenant_id = $1 AND external_id = $2`

// AddTranscript implements Store.
func (s *Managed) AddTranscript(ctx context.Context, in TranscriptInput) (Transcript, bool, error) {
	switch {
	case in.MeetingID.IsZero():
		return Transcript{}, false, fmt.Errorf("add transcript: %w", invalid("no meeting"))
	case in.ExternalID == "":
		return Transcript{}, false, fmt.Errorf("add transcript: %w", invalid("empty external id"))
	case !in.Format.Valid():
		return Transcript{}, false, fmt.Errorf("add transcript: %w", invalid("format %q", in.Format))
	case in.BlobPath == "":
		return Transcript{}, false, fmt.Errorf("add transcript: %w", invalid("empty blob path"))
	}
	var (
		t       Transcript
		created bool
	)
	err := s.write(ctx, func(q querier) error {
		var err error
		t, err = one(ctx, q, scanTranscript, insertTranscriptSQL, s.tenant, in.MeetingID, in.ExternalID,
			in.Format, in.BlobPath, in.ContentSHA256[:], in.SizeBytes, in.Language, in.CueCount,
			in.SpeakerCount, in.WordCount, in.Duration.Milliseconds())
		if err == nil {
			created = true
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		t, err = one(ctx, q, scanTranscript, transcriptByExternalIDSQL, s.tenant, in.ExternalID)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("meeting %s: %w", in.MeetingID, ErrNotFound)
		}
		if err == nil && t.MeetingID != in.MeetingID {
			return fmt.Errorf("%w: external id stored for meeting %s", ErrConflict, t.MeetingID)
		}
		return err
	})
	if err != nil {
		return Transcript{}, false, fmt.Errorf("add transcript %q: %w", clip(in.ExternalID), translate(err))
	}
	return t, created, nil
}

const getTranscriptSQL = `SELECT ` + transcriptColumns + ` FROM transcripts WHERE tenant_id = $1 AND id = $2`

// Transcript implements Store.
func (s *Managed) Transcript(ctx context.Context, id TranscriptID) (Transcript, error) {
	var t Transcript
	err := s.read(ctx, func(q querier) (err error) {
		t, err = one(ctx, q, scanTranscript, getTranscriptSQL, s.tenant, id)
		return err
	})
	if err != nil {
		return Transcript{}, fmt.Errorf("get transcript %s: %w", id, translate(err))
	}
	return t, nil
}

const (
	transcriptsForMeetingSQL = `
SELECT ` + transcriptColumns + ` FROM transcripts
 WHERE tenant_id = $1 AND meeting_id = $2
 ORDER BY created_at, id`

	meetingExistsSQL = `SELECT EXISTS (SELECT 1 FROM meetings WHERE tenant_id = $1 AND id = $2)`
)

// TranscriptsForMeeting implements Store.
func (s *Managed) TranscriptsForMeeting(ctx context.Context, meetingID MeetingID) ([]Transcript, error) {
	var ts []Transcript
	err := s.read(ctx, func(q querier) (err error) {
		if ts, err = all(ctx, q, scanTranscript, transcriptsForMeetingSQL, s.tenant, meetingID); err != nil || len(ts) > 0 {
			return err
		}
		return s.meetingMustExist(ctx, q, meetingID)
	})
	if err != nil {
		return nil, fmt.Errorf("list transcripts of meeting %s: %w", meetingID, translate(err))
	}
	return ts, nil
}

// meetingMustExist tells an empty list of a meeting's rows from a meeting that does not exist
// (ErrNotFound).
func (s *Managed) meetingMustExist(ctx context.Context, q querier, id MeetingID) error {
	ok, err := exists(ctx, q, meetingExistsSQL, s.tenant, id)
	if err == nil && !ok {
		err = fmt.Errorf("meeting %s: %w", id, ErrNotFound)
	}
	return err
}
