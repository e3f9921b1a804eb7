package audit

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meetingminutes/minutes/shared/tenancy"
)

// ListParams selects entries for [List].
type ListParams struct {
	// TargetType keeps entries about this kind of object; "" keeps all.
	TargetType string
	// TargetID keeps entries about this object; "" keeps all.
	TargetID string
	// Limit is the most entries returned; default 50, at most 500.
	Limit int
	// BeforeSeq keeps entries older than this seq (the last page's smallest seq, to page
	// back); 0 starts from the newest.
	BeforeSeq int64
}

const (
	defaultListLimit = 50
	maxListLimit     = 500
)

// List returns tenant's entries matching p, newest first, for the portal's audit view.
func List(ctx context.Context, db tenancy.Beginner, tenant tenancy.ID, p ListParams) ([]Record, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = defaultListLimit
	}
	limit = min(limit, maxListLimit)
	q := `SELECT seq, at, actor_type, actor_id, action, target_type, target_id, details::text, prev_hash, hash
FROM audit_log WHERE tenant_id = $1`
	args := []any{tenant}
	add := func(cond string, v any) {
		args = append(args, v)
		q += " AND " + cond + " $" + strconv.Itoa(len(args))
	}
	if p.TargetType != "" {
		add("target_type =", p.TargetType)
	}
	if p.TargetID != "" {
		add("target_id =", p.TargetID)
	}
	if p.BeforeSeq > 0 {
		add("seq <", p.BeforeSeq)
	}
	args = append(args, limit)
	q += " ORDER BY seq DESC LIMIT $" + strconv.Itoa(len(args))

	var out []Record
	err := tenancy.WithReadTx(ctx, db, tenant, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Record, error) {
			var (
				r       = Record{Tenant: tenant}
				at      time.Time
				actor   string
				details string
			)
			if err := row.Scan(&r.Seq, &at, &actor, &r.Actor.ID, &r.Action, &r.Target.Type, &r.Target.ID,
				&details, &r.PrevHash, &r.Hash); err != nil {
				return Record{}, err
			}
			r.At, r.Actor.Type = at.UTC(), ActorType(actor)
			r.Details, err = decodeDetails(details)
			return r, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list audit entries of tenant %s: %w", tenant, err)
	}
	return out, nil
}
