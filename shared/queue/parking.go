package queue

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meetingminutes/minutes/shared/funchost"
)

// ParkingLot stores poison messages in the control plane's failed_messages table.
type ParkingLot struct {
	db *pgxpool.Pool
}

// NewParkingLot returns a parking lot over the control-plane pool.
func NewParkingLot(db *pgxpool.Pool) *ParkingLot { return &ParkingLot{db: db} }

const parkSQL = `
INSERT INTO failed_messages (function, message_id, delivery_count, invocation_id, reason, body, body_sha256, first_parked_at, last_parked_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
ON CONFLICT (function, message_id, body_sha256) DO UPDATE
   SET times_parked   = failed_messages.times_parked + 1,
       last_parked_at = EXCLUDED.last_parked_at,
       delivery_count = GREATEST(failed_messages.delivery_count, EXCLUDED.delivery_count),
       invocation_id  = EXCLUDED.invocation_id,
       reason         = EXCLUDED.reason`

// Park records p; a redelivered copy of a parked message updates its row.
func (l *ParkingLot) Park(ctx context.Context, p funchost.Parked) error {
	sum := sha256.Sum256(p.Body)
	at := p.At
	if at.IsZero() {
		at = time.Now()
	}
	dc := p.DeliveryCount
	if dc < 1 {
		dc = 1
	}
	body := p.Body
	if body == nil {
		body = []byte{}
	}
	if _, err := l.db.Exec(ctx, parkSQL, p.Function, p.MessageID, dc, p.InvocationID, clip(p.Reason, 2000), body, sum[:], at.UTC()); err != nil {
		return fmt.Errorf("park message %q of %s: %w", p.MessageID, p.Function, err)
	}
	return nil
}

// ParkedMessage is one row of the parking lot.
type ParkedMessage struct {
	ID            int64
	Function      string
	MessageID     string
	DeliveryCount int
	Reason        string
	Body          []byte
	TimesParked   int
	FirstParkedAt time.Time
}

// List returns unresolved parked messages, oldest first, at most limit.
func (l *ParkingLot) List(ctx context.Context, limit int) ([]ParkedMessage, error) {
	rows, err := l.db.Query(ctx, `
SELECT id, function, message_id, delivery_count, reason, body, times_parked, first_parked_at
  FROM failed_messages WHERE resolved_at IS NULL ORDER BY first_parked_at, id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("list parked messages: %w", err)
	}
	defer rows.Close()
	var out []ParkedMessage
	for rows.Next() {
		var m ParkedMessage
		if err := rows.Scan(&m.ID, &m.Function, &m.MessageID, &m.DeliveryCount, &m.Reason, &m.Body, &m.TimesParked, &m.FirstParkedAt); err != nil {
			return nil, fmt.Errorf("list parked messages: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list parked messages: %w", err)
	}
	return out, nil
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

var _ funchost.Parker = (*ParkingLot)(nil)
