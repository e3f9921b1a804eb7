package tenancy_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

func TestParseID(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in string
		ok bool
	}{
		{"6f1c2c1e-8b7a-4c5e-9d3f-2a1b0c9d8e7f", true},
		{"6F1C2C1E-8B7A-4C5E-9D3F-2A1B0C9D8E7F", true},
		{"00000000-0000-0000-0000-000000000000", false},
		{"", false},
		{"6f1c2c1e8b7a4c5e9d3f2a1b0c9d8e7f", false},
		{"{6f1c2c1e-8b7a-4c5e-9d3f-2a1b0c9d8e7f}", false},
		{"6f1c2c1e-8b7a-4c5e-9d3f-2a1b0c9d8e7f' OR 1=1 --", false},
		{"urn:uuid:6f1c2c1e-8b7a-4c5e-9d3f-2a1b0c9d8e7f", false},
	}
	for _, tt := range cases {
		id, err := tenancy.ParseID(tt.in)
		if !tt.ok {
			require.ErrorIs(t, err, tenancy.ErrInvalidID, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		require.Equal(t, "6f1c2c1e-8b7a-4c5e-9d3f-2a1b0c9d8e7f", id.String(), "canonical lower case")
	}
}

// seed inserts one meeting for tenant id and returns its id.
func seed(t *testing.T, db *pgxpool.Pool, id tenancy.ID, ext string) string {
	t.Helper()
	var mid string
	err := tenancy.WithTx(context.Background(), db, id, func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(),
			"INSERT INTO meetings (tenant_id, source, external_id, subject) VALUES ($1, 'upload', $2, 'standup') RETURNING id::text",
			id, ext).Scan(&mid)
	})
	require.NoError(t, err)
	return mid
}

func count(t *testing.T, db *pgxpool.Pool, id tenancy.ID) int {
	t.Helper()
	var n int
	require.NoError(t, tenancy.WithReadTx(context.Background(), db, id, func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), "SELECT count(*) FROM meetings").Scan(&n)
	}))
	return n
}

func TestWithTxScopesEveryStatementToOneTenant(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	a, b := tenancy.NewID(), tenancy.NewID()
	seed(t, db.App, a, "m-1")
	seed(t, db.App, a, "m-2")
	seed(t, db.App, b, "m-1")

	require.Equal(t, 2, count(t, db.App, a))
	require.Equal(t, 1, count(t, db.App, b))

	t.Run("no tenant sees nothing", func(t *testing.T) {
		var n int
		require.NoError(t, db.App.QueryRow(ctx, "SELECT count(*) FROM meetings").Scan(&n))
		require.Zero(t, n)
	})
	t.Run("no tenant writes nothing", func(t *testing.T) {
		_, err := db.App.Exec(ctx, "INSERT INTO meetings (tenant_id, source, external_id) VALUES ($1, 'upload', 'x')", a)
		require.Error(t, err, "WITH CHECK refuses a row when no tenant is set")
	})
	t.Run("zero id is refused before any query", func(t *testing.T) {
		err := tenancy.WithTx(ctx, db.App, tenancy.ID{}, func(pgx.Tx) error { t.Fatal("fn must not run"); return nil })
		require.ErrorIs(t, err, tenancy.ErrNoTenant)
	})
	t.Run("fn error rolls back", func(t *testing.T) {
		boom := errors.New("boom")
		err := tenancy.WithTx(ctx, db.App, a, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO meetings (tenant_id, source, external_id) VALUES ($1, 'upload', 'rolled-back')", a)
			require.NoError(t, err)
			return boom
		})
		require.ErrorIs(t, err, boom)
		require.Equal(t, 2, count(t, db.App, a))
	})
	t.Run("read tx refuses writes", func(t *testing.T) {
		err := tenancy.WithReadTx(ctx, db.App, a, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "DELETE FROM meetings")
			return err
		})
		require.Error(t, err)
		require.Equal(t, 2, count(t, db.App, a))
	})
}

// The setting must die with its transaction, or a pooled connection would hand tenant A's
// context to the next user. One connection in the pool makes the reuse certain.
func TestTenantSettingDoesNotOutliveItsTransaction(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(db.AppURL)
	require.NoError(t, err)
	cfg.MaxConns, cfg.MinConns = 1, 1
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	defer pool.Close()

	a := tenancy.NewID()
	seed(t, pool, a, "m-1")
	var pidInside, pidAfter uint32
	require.NoError(t, tenancy.WithTx(ctx, pool, a, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pidInside)
	}))

	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx)
	var setting *string
	var n int
	require.NoError(t, tx.QueryRow(ctx, "SELECT pg_backend_pid(), NULLIF(current_setting('app.current_tenant', true), ''), (SELECT count(*) FROM meetings)").Scan(&pidAfter, &setting, &n))
	require.Equal(t, pidInside, pidAfter, "same pooled connection")
	require.Nil(t, setting, "the tenant is gone in the next transaction")
	require.Zero(t, n, "and with it every row")
}

func TestConcurrentTenantsOnASharedPoolNeverCross(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(db.AppURL)
	require.NoError(t, err)
	cfg.MaxConns = 3
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	defer pool.Close()

	ids := []tenancy.ID{tenancy.NewID(), tenancy.NewID(), tenancy.NewID(), tenancy.NewID()}
	for i, id := range ids {
		for j := 0; j <= i; j++ {
			seed(t, pool, id, string(rune('a'+j)))
		}
	}
	errs := make(chan error, 400)
	done := make(chan struct{})
	for w := 0; w < 8; w++ {
		go func(w int) {
			defer func() { done <- struct{}{} }()
			for k := 0; k < 50; k++ {
				i := (w + k) % len(ids)
				err := tenancy.WithReadTx(ctx, pool, ids[i], func(tx pgx.Tx) error {
					var n int
					var other int
					if err := tx.QueryRow(ctx, "SELECT count(*), count(*) FILTER (WHERE tenant_id <> $1) FROM meetings", ids[i]).Scan(&n, &other); err != nil {
						return err
					}
					if n != i+1 || other != 0 {
						return errors.New("tenant saw another tenant's rows")
					}
					return nil
				})
				if err != nil {
					errs <- err
				}
			}
		}(w)
	}
	for w := 0; w < 8; w++ {
		<-done
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestPanicInsideWithTxReleasesTheConnection(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(db.AppURL)
	require.NoError(t, err)
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	defer pool.Close()
	a := tenancy.NewID()
	require.Panics(t, func() {
		_ = tenancy.WithTx(ctx, pool, a, func(tx pgx.Tx) error {
			_, _ = tx.Exec(ctx, "INSERT INTO meetings (tenant_id, source, external_id) VALUES ($1, 'upload', 'p')", a)
			panic("bug in a handler")
		})
	})
	require.Equal(t, 0, count(t, pool, a), "the only connection is usable again and the write was rolled back")
}
