package tenancy_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// TestWithTenantsTx: each Use switches row-level security to one tenant; before the first,
// nothing is visible or writable; a failure rolls every tenant's writes back.
func TestWithTenantsTx(t *testing.T) {
	t.Parallel()
	db, ids := twoTenants(t)
	ctx := context.Background()
	insert := `INSERT INTO meetings (tenant_id, source, external_id) VALUES ($1, 'upload', $2)`
	count := func(id tenancy.ID) int {
		var n int
		require.NoError(t, tenancy.WithReadTx(ctx, db.App, id, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM meetings`).Scan(&n)
		}))
		return n
	}

	require.NoError(t, tenancy.WithTenantsTx(ctx, db.App, func(tx pgx.Tx) error {
		var n int
		require.NoError(t, tx.QueryRow(ctx, `SELECT count(*) FROM tenants`).Scan(&n))
		require.Zero(t, n, "no tenant yet: nothing visible")
		for _, id := range ids {
			if err := tenancy.Use(ctx, tx, id); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, insert, id, "m-"+id.String()); err != nil {
				return err
			}
		}
		// Under B, A's row is invisible and A cannot be written.
		require.NoError(t, tx.QueryRow(ctx, `SELECT count(*) FROM meetings`).Scan(&n))
		require.Equal(t, 1, n)
		_, err := tx.Exec(ctx, `SAVEPOINT s`)
		require.NoError(t, err)
		_, err = tx.Exec(ctx, insert, ids[0], "sneaky")
		require.ErrorContains(t, err, "row-level security")
		_, err = tx.Exec(ctx, `ROLLBACK TO SAVEPOINT s`)
		return err
	}))
	require.Equal(t, 1, count(ids[0]))
	require.Equal(t, 1, count(ids[1]))

	boom := errors.New("boom")
	err := tenancy.WithTenantsTx(ctx, db.App, func(tx pgx.Tx) error {
		for _, id := range ids {
			require.NoError(t, tenancy.Use(ctx, tx, id))
			_, err := tx.Exec(ctx, insert, id, "second-"+id.String())
			require.NoError(t, err)
		}
		return boom
	})
	require.ErrorIs(t, err, boom)
	require.Equal(t, 1, count(ids[0]), "rolled back for every tenant")
	require.Equal(t, 1, count(ids[1]))
	require.ErrorIs(t, tenancy.WithTenantsTx(ctx, db.App, func(tx pgx.Tx) error {
		return tenancy.Use(ctx, tx, tenancy.ID{})
	}), tenancy.ErrNoTenant)
}

// TestQueueUse: in one pipelined batch, each QueueUse switches row-level security for the
// statements queued after it, exactly as Use does between round trips.
func TestQueueUse(t *testing.T) {
	t.Parallel()
	db, ids := twoTenants(t)
	ctx := context.Background()
	// A has two meetings, B one; each count in the batch must see only its tenant's.
	err := tenancy.WithTenantsTx(ctx, db.App, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for i, id := range ids {
			require.NoError(t, tenancy.QueueUse(b, id))
			for j := range 2 - i {
				b.Queue(`INSERT INTO meetings (tenant_id, source, external_id) VALUES ($1, 'upload', $2)`, id, fmt.Sprint("m", j))
			}
		}
		seen := make([]int, len(ids))
		for i, id := range ids {
			require.NoError(t, tenancy.QueueUse(b, id))
			b.Queue(`SELECT count(*) FROM meetings`).QueryRow(func(r pgx.Row) error { return r.Scan(&seen[i]) })
		}
		// The last tenant set cannot write the first's rows.
		b.Queue(`INSERT INTO meetings (tenant_id, source, external_id) VALUES ($1, 'upload', 'sneaky')`, ids[0])
		err := tx.SendBatch(ctx, b).Close()
		require.ErrorContains(t, err, "row-level security")
		require.Equal(t, []int{2, 1}, seen)
		return err
	})
	require.ErrorContains(t, err, "row-level security", "the failed batch rolls the transaction back")
	require.ErrorIs(t, tenancy.QueueUse(&pgx.Batch{}, tenancy.ID{}), tenancy.ErrNoTenant)
}

// twoTenants creates tenants A and B in a new database.
func twoTenants(t *testing.T) (*dbtest.DB, []tenancy.ID) {
	t.Helper()
	db := dbtest.New(t)
	reg := tenancy.NewRegistry(db.App)
	var ids []tenancy.ID
	for _, n := range []string{"A", "B"} {
		az := uuid.New()
		tn, _, err := reg.Create(context.Background(), tenancy.NewTenant{Name: n, AzureTenantID: &az})
		require.NoError(t, err)
		ids = append(ids, tn.ID)
	}
	return db, ids
}
