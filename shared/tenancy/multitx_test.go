package tenancy_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// TestWithTenantsTx: each use switches row-level security to one tenant; before the first,
// nothing is visible or writable; a failure rolls every tenant's writes back.
func TestWithTenantsTx(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	reg := tenancy.NewRegistry(db.App)
	var ids []tenancy.ID
	for _, n := range []string{"A", "B"} {
		az := uuid.New()
		tn, _, err := reg.Create(ctx, tenancy.NewTenant{Name: n, AzureTenantID: &az})
		require.NoError(t, err)
		ids = append(ids, tn.ID)
	}
	insert := `INSERT INTO meetings (tenant_id, source, external_id) VALUES ($1, 'upload', $2)`
	count := func(id tenancy.ID) int {
		var n int
		require.NoError(t, tenancy.WithReadTx(ctx, db.App, id, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM meetings`).Scan(&n)
		}))
		return n
	}

	require.NoError(t, tenancy.WithTenantsTx(ctx, db.App, func(tx pgx.Tx, use func(tenancy.ID) error) error {
		var n int
		require.NoError(t, tx.QueryRow(ctx, `SELECT count(*) FROM tenants`).Scan(&n))
		require.Zero(t, n, "no tenant yet: nothing visible")
		for _, id := range ids {
			if err := use(id); err != nil {
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
	err := tenancy.WithTenantsTx(ctx, db.App, func(tx pgx.Tx, use func(tenancy.ID) error) error {
		for _, id := range ids {
			require.NoError(t, use(id))
			_, err := tx.Exec(ctx, insert, id, "second-"+id.String())
			require.NoError(t, err)
		}
		return boom
	})
	require.ErrorIs(t, err, boom)
	require.Equal(t, 1, count(ids[0]), "rolled back for every tenant")
	require.Equal(t, 1, count(ids[1]))
	require.ErrorIs(t, tenancy.WithTenantsTx(ctx, db.App, func(_ pgx.Tx, use func(tenancy.ID) error) error {
		return use(tenancy.ID{})
	}), tenancy.ErrNoTenant)
}
