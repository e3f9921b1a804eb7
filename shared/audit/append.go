package audit

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meetingminutes/minutes/shared/tenancy"
)

// ErrWrongTransaction reports a transaction Append cannot chain in: not scoped to the entry's
// tenant, or not at READ COMMITTED.
var ErrWrongTransaction = errors.New("audit entry needs a read-committed transaction of its tenant")

const (
	lockSQL = `SELECT current_setting('transaction_isolation'), coalesce(current_setting('` + tenancy.Setting + `', true), '')
FROM (SELECT pg_advisory_xact_lock($1)) AS locked`

	// headSQL runs after the lock, so its snapshot sees the previous appender's commit. It also
	// has the server normalise the details as jsonb will store them (the hash covers that form).
	headSQL = `SELECT last.seq, last.hash, $2::jsonb::text
FROM (SELECT 1) AS one
LEFT JOIN LATERAL (SELECT seq, hash FROM audit_log WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 1) AS last ON true`

	insertSQL = `INSERT INTO audit_log
    (tenant_id, seq, at, actor_type, actor_id, action, target_type, target_id, details, prev_hash, hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11)`
)

// Append adds e to tenant's audit log inside tx, the caller's transaction for that tenant (from
// tenancy.WithTx, at READ COMMITTED), and returns the stored record. It holds tenant's
// append lock until tx ends, so keep the rest of tx short. The entry commits or rolls back
// with tx.
func Append(ctx context.Context, tx pgx.Tx, tenant tenancy.ID, e Entry) (Record, error) {
	r, err := appendEntry(ctx, tx, tenant, e)
	if err != nil {
		return Record{}, fmt.Errorf("append audit entry %q for tenant %s: %w", e.Action, tenant, err)
	}
	return r, nil
}

func appendEntry(ctx context.Context, tx pgx.Tx, tenant tenancy.ID, e Entry) (Record, error) {
	if tenant.IsZero() {
		return Record{}, tenancy.ErrNoTenant
	}
	if err := e.validate(); err != nil {
		return Record{}, err
	}
	details := e.Details
	if details == nil {
		details = map[string]any{}
	}
	raw, err := json.Marshal(details)
	if err != nil {
		return Record{}, fmt.Errorf("%w: details: %w", ErrInvalidEntry, err)
	}

	var isolation, current string
	if err := tx.QueryRow(ctx, lockSQL, LockKey(tenant)).Scan(&isolation, &current); err != nil {
		return Record{}, fmt.Errorf("take append lock: %w", err)
	}
	if isolation != "read committed" {
		return Record{}, fmt.Errorf("%w: isolation is %s", ErrWrongTransaction, isolation)
	}
	if current != tenant.String() {
		return Record{}, fmt.Errorf("%w: transaction is scoped to tenant %q", ErrWrongTransaction, current)
	}

	var (
		lastSeq    *int64
		lastHash   []byte
		normalised string
	)
	if err := tx.QueryRow(ctx, headSQL, tenant, string(raw)).Scan(&lastSeq, &lastHash, &normalised); err != nil {
		return Record{}, fmt.Errorf("read head of the log: %w", err)
	}
	r := Record{Tenant: tenant, Seq: 1, PrevHash: genesis, Entry: e}
	if lastSeq != nil {
		r.Seq, r.PrevHash = *lastSeq+1, lastHash
	}
	r.At = storedTime(e.At)
	canon, err := canonicalJSON([]byte(normalised))
	if err != nil {
		return Record{}, err
	}
	if r.Details, err = decodeDetails(normalised); err != nil {
		return Record{}, err
	}
	r.Hash = chainHash(r.PrevHash, canonicalEntry(tenant, r.Seq, r.Entry, canon))

	_, err = tx.Exec(ctx, insertSQL, tenant, r.Seq, r.At, string(r.Actor.Type), r.Actor.ID, r.Action,
		r.Target.Type, r.Target.ID, normalised, r.PrevHash, r.Hash)
	if err != nil {
		return Record{}, fmt.Errorf("insert entry %d: %w", r.Seq, err)
	}
	return r, nil
}

// storedTime returns t as the log stores it: UTC, truncated to microseconds.
func storedTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

// LockKey returns the pg_advisory_xact_lock key that serialises tenant's appends: the first
// 8 bytes (big-endian, as a signed integer) of SHA-256("minutes.audit_log:" + tenant id).
func LockKey(tenant tenancy.ID) int64 {
	sum := sha256.Sum256([]byte("minutes.audit_log:" + tenant.String()))
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

// decodeDetails decodes stored details, keeping numbers as json.Number.
func decodeDetails(text string) (map[string]any, error) {
	v, err := decodeJSON([]byte(text))
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: details must be a JSON object", ErrInvalidEntry)
	}
	return m, nil
}
