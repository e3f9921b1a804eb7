package minutespublish

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// Channel is where minutes are published (minutes_publications.channel).
type Channel string

// Channels, in the order they are published: the directory and SharePoint first, so the
// e-mail can name the document.
const (
	// ChannelDirectory writes the .docx and .html into Deps.OutputDir (self-hosted installs).
	ChannelDirectory Channel = "directory"
	// ChannelSharePoint uploads the .docx to the tenant's SharePoint library.
	ChannelSharePoint Channel = "sharepoint"
	// ChannelEmail mails the minutes to the distribution list.
	ChannelEmail Channel = "email"
)

// idempotent reports whether repeating the channel's effect is harmless: an upload or a file
// write with replace is; an e-mail is not.
func (c Channel) idempotent() bool { return c != ChannelEmail }

// State is a publication's state (minutes_publications.state).
type State string

// States. A claim is settled once, to done or failed; neither is ever left.
const (
	StateClaimed State = "claimed"
	StateDone    State = "done"
	StateFailed  State = "failed"
)

// Key names one publication: a minutes version on one channel.
type Key struct {
	Tenant  tenancy.ID
	Minutes store.MinutesID
	Channel Channel
}

// Publication is one row of minutes_publications.
type Publication struct {
	Channel Channel
	State   State
	// Detail is safe to show to the tenant (a size, a count, a reason).
	Detail string
	// ClaimedAt identifies the current claim: Settle must present it.
	ClaimedAt time.Time
	// DoneAt is when it was settled, nil while claimed.
	DoneAt *time.Time
}

// Claim is what Ledger.Claim found or did.
type Claim struct {
	// Publication is the row after the call.
	Publication
	// Owned says the caller now holds the claim (Publication.ClaimedAt identifies it): the row
	// is new, or an earlier claim older than the stale limit was taken over.
	Owned bool
	// TookOver says the claim was taken over from an earlier attempt that never settled: its
	// effect may or may not have happened.
	TookOver bool
}

// Ledger records, durably and per channel, which publications were claimed and settled, so
// the effects of a redelivered message happen once. It is an interface because the function
// must not own a store method (the tenant Store is another package's seam); PG implements it
// over the tenant's row-level-secured minutes_publications table.
type Ledger interface {
	// Claim claims k at time at: a new row, or a claimed row whose ClaimedAt is not after
	// staleAt, becomes the caller's (Owned). A settled row, or a fresher claim, is returned
	// as it is, not owned.
	Claim(ctx context.Context, k Key, at, staleAt time.Time) (Claim, error)
	// Settle ends the claim identified by claimedAt: to StateDone or StateFailed with detail
	// at time at, or, with state "", releases it (deletes the row) so the next attempt starts
	// afresh. applied is false when the claim is no longer the caller's (taken over).
	Settle(ctx context.Context, k Key, claimedAt time.Time, state State, detail string, at time.Time) (applied bool, err error)
	// Publications returns the publications of a minutes version, by channel.
	Publications(ctx context.Context, tenant tenancy.ID, minutes store.MinutesID) ([]Publication, error)
}

// PG is the Ledger on PostgreSQL, each call in its own tenant transaction (tenancy.WithTx) on
// the runtime pool, so row-level security scopes every statement to the tenant.
type PG struct {
	db tenancy.Beginner
}

// NewLedger returns the ledger on db (the runtime pool, connected as minutes_app).
func NewLedger(db tenancy.Beginner) *PG { return &PG{db: db} }

// maxDetail is minutes_publications.detail's bound.
const maxDetail = 2000

const claimSQL = `
INSERT INTO minutes_publications AS p (tenant_id, minutes_id, channel, state, claimed_at)
VALUES ($1, $2, $3, 'claimed', $4)
ON CONFLICT (tenant_id, minutes_id, channel) DO UPDATE SET claimed_at = EXCLUDED.claimed_at
    WHERE p.state = 'claimed' AND p.claimed_at <= $5
RETURNING p.state, p.detail, p.claimed_at, p.done_at, (p.xmax = 0) AS inserted`

const selectSQL = `SELECT state, detail, claimed_at, done_at FROM minutes_publications
WHERE tenant_id = $1 AND minutes_id = $2 AND channel = $3`

// Claim implements Ledger.
func (l *PG) Claim(ctx context.Context, k Key, at, staleAt time.Time) (Claim, error) {
	at = at.Truncate(time.Microsecond) // the column's precision: ClaimedAt must compare equal
	var c Claim
	err := tenancy.WithTx(ctx, l.db, k.Tenant, func(tx pgx.Tx) error {
		c = Claim{Publication: Publication{Channel: k.Channel}}
		var inserted bool
		err := tx.QueryRow(ctx, claimSQL, k.Tenant, k.Minutes, string(k.Channel), at, staleAt).
			Scan(&c.State, &c.Detail, &c.ClaimedAt, &c.DoneAt, &inserted)
		switch {
		case err == nil:
			c.Owned, c.TookOver = true, !inserted
			return nil
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		// The row exists and is settled or freshly claimed by another attempt.
		return tx.QueryRow(ctx, selectSQL, k.Tenant, k.Minutes, string(k.Channel)).
			Scan(&c.State, &c.Detail, &c.ClaimedAt, &c.DoneAt)
	})
	if err != nil {
		return Claim{}, fmt.Errorf("claim %s publication of minutes %s: %w", k.Channel, k.Minutes, err)
	}
	return c, nil
}

// Settle implements Ledger.
func (l *PG) Settle(ctx context.Context, k Key, claimedAt time.Time, state State, detail string, at time.Time) (bool, error) {
	if state != "" && state != StateDone && state != StateFailed {
		return false, fmt.Errorf("settle publication: state %q", state)
	}
	if utf8.RuneCountInString(detail) > maxDetail {
		detail = string([]rune(detail)[:maxDetail-1]) + "…"
	}
	var n int64
	err := tenancy.WithTx(ctx, l.db, k.Tenant, func(tx pgx.Tx) error {
		const where = ` WHERE tenant_id = $1 AND minutes_id = $2 AND channel = $3 AND state = 'claimed' AND claimed_at = $4`
		var tag interface{ RowsAffected() int64 }
		var err error
		if state == "" {
			tag, err = tx.Exec(ctx, `DELETE FROM minutes_publications`+where, k.Tenant, k.Minutes, string(k.Channel), claimedAt)
		} else {
			tag, err = tx.Exec(ctx, `UPDATE minutes_publications SET state = $5, detail = $6, done_at = $7`+where,
				k.Tenant, k.Minutes, string(k.Channel), claimedAt, string(state), detail, at)
		}
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("settle %s publication of minutes %s: %w", k.Channel, k.Minutes, err)
	}
	return n == 1, nil
}

// Publications implements Ledger.
func (l *PG) Publications(ctx context.Context, tenant tenancy.ID, minutes store.MinutesID) ([]Publication, error) {
	var out []Publication
	err := tenancy.WithReadTx(ctx, l.db, tenant, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT channel, state, detail, claimed_at, done_at FROM minutes_publications
			WHERE tenant_id = $1 AND minutes_id = $2 ORDER BY channel`, tenant, minutes)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Publication, error) {
			var p Publication
			err := r.Scan(&p.Channel, &p.State, &p.Detail, &p.ClaimedAt, &p.DoneAt)
			return p, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read publications of minutes %s: %w", minutes, err)
	}
	return out, nil
}

var _ Ledger = (*PG)(nil)
