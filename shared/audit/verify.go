package audit

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meetingminutes/minutes/shared/tenancy"
)

// VerifyResult is the outcome of [Verify].
type VerifyResult struct {
	// Entries is the number of entries read.
	Entries int
	// OK is true when every entry chains to the previous one and matches its hash.
	OK bool
	// BrokenAt is the seq of the first entry that cannot be trusted — the missing seq when
	// entries were deleted — or 0 when OK.
	BrokenAt int64
	// Reason says how the chain breaks at BrokenAt; empty when OK.
	Reason string
	// LastSeq is the seq of the newest entry (0 for an empty log).
	LastSeq int64
	// Head is the stored hash of the newest entry (nil for an empty log). Record it outside
	// the database to detect later removal of the newest entries, which a chain alone cannot.
	Head []byte
}

const verifySQL = `SELECT seq, at, actor_type, actor_id, action, target_type, target_id, details::text, prev_hash, hash
FROM audit_log WHERE tenant_id = $1 ORDER BY seq`

// Verify reads tenant's whole log in seq order, in one read-only transaction on db, and
// checks the chain: seq runs 1, 2, 3… without gaps, each prev_hash equals the previous hash,
// and each hash matches the entry's content. It reports the first break; the error is for
// failures to read.
func Verify(ctx context.Context, db tenancy.Beginner, tenant tenancy.ID) (VerifyResult, error) {
	var res VerifyResult
	err := tenancy.WithReadTx(ctx, db, tenant, func(tx pgx.Tx) error {
		var err error
		res, err = verify(ctx, tx, tenant)
		return err
	})
	if err != nil {
		return VerifyResult{}, fmt.Errorf("verify audit log of tenant %s: %w", tenant, err)
	}
	return res, nil
}

func verify(ctx context.Context, tx pgx.Tx, tenant tenancy.ID) (VerifyResult, error) {
	rows, err := tx.Query(ctx, verifySQL, tenant)
	if err != nil {
		return VerifyResult{}, err
	}
	defer rows.Close()
	res := VerifyResult{OK: true}
	broken := func(at int64, reason string, args ...any) {
		if res.OK {
			res.OK, res.BrokenAt, res.Reason = false, at, fmt.Sprintf(reason, args...)
		}
	}
	want, prev := int64(1), genesis
	for rows.Next() {
		var (
			r       = Record{Tenant: tenant}
			at      time.Time
			actor   string
			details string
		)
		if err := rows.Scan(&r.Seq, &at, &actor, &r.Actor.ID, &r.Action, &r.Target.Type, &r.Target.ID,
			&details, &r.PrevHash, &r.Hash); err != nil {
			return VerifyResult{}, fmt.Errorf("read entry after %d: %w", want-1, err)
		}
		r.At, r.Actor.Type = at.UTC(), ActorType(actor)
		res.Entries++
		switch {
		case r.Seq != want:
			broken(want, "entry %d is missing (the next entry is %d)", want, r.Seq)
		case !bytes.Equal(r.PrevHash, prev):
			if want == 1 {
				broken(r.Seq, "entry 1 does not start the chain (prev_hash is not zero)")
			} else {
				broken(r.Seq, "entry %d does not follow entry %d (prev_hash mismatch)", r.Seq, r.Seq-1)
			}
		default:
			canon, err := canonicalJSON([]byte(details))
			if err != nil {
				broken(r.Seq, "entry %d has unreadable details: %v", r.Seq, err)
			} else if !bytes.Equal(chainHash(r.PrevHash, canonicalEntry(tenant, r.Seq, r.Entry, canon)), r.Hash) {
				broken(r.Seq, "entry %d does not match its hash (content changed)", r.Seq)
			}
		}
		want, prev = r.Seq+1, r.Hash
		res.LastSeq, res.Head = r.Seq, r.Hash
	}
	if err := rows.Err(); err != nil {
		return VerifyResult{}, fmt.Errorf("read entries: %w", err)
	}
	return res, nil
}
