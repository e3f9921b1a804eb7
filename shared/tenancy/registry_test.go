package tenancy_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

func TestRegistryCreateIsIdempotentOnTheEntraTenant(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	reg := tenancy.NewRegistry(db.App)
	ctx := context.Background()
	azure := uuid.New()

	var wg sync.WaitGroup
	results := make([]tenancy.Tenant, 8)
	created := make([]bool, 8)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var err error
			results[i], created[i], err = reg.Create(ctx, tenancy.NewTenant{Name: "Contoso", AzureTenantID: &azure})
			require.NoError(t, err)
		}(i)
	}
	wg.Wait()
	n := 0
	for i := range results {
		require.Equal(t, results[0].ID, results[i].ID, "every replay of the consent lands on one tenant")
		if created[i] {
			n++
		}
	}
	require.Equal(t, 1, n, "exactly one call created it")
	got, err := reg.ByAzureTenant(ctx, azure)
	require.NoError(t, err)
	require.Equal(t, tenancy.PlanStarter, got.Plan)
	require.Equal(t, tenancy.StatusActive, got.Status)
}

func TestRegistryStatusAndLookups(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	reg := tenancy.NewRegistry(db.App)
	ctx := context.Background()
	a, _, err := reg.Create(ctx, tenancy.NewTenant{Name: "A"})
	require.NoError(t, err)
	_, _, err = reg.Create(ctx, tenancy.NewTenant{Name: "B"})
	require.NoError(t, err)

	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	require.NoError(t, reg.SetStatus(ctx, a.ID, tenancy.StatusCancelled, now))
	got, err := reg.Get(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, tenancy.StatusCancelled, got.Status)
	require.NotNil(t, got.CancelledAt)
	require.True(t, got.CancelledAt.Equal(now))

	require.ErrorIs(t, reg.SetStatus(ctx, tenancy.NewID(), tenancy.StatusSuspended, now), tenancy.ErrNotFound)
	require.Error(t, reg.SetStatus(ctx, a.ID, tenancy.Status("deleted"), now))
	_, err = reg.Get(ctx, tenancy.NewID())
	require.ErrorIs(t, err, tenancy.ErrNotFound)

	first, err := reg.List(ctx, tenancy.ID{}, 1)
	require.NoError(t, err)
	require.Len(t, first, 1)
	rest, err := reg.List(ctx, first[0].ID, 10)
	require.NoError(t, err)
	require.Len(t, rest, 1)
	require.NotEqual(t, first[0].ID, rest[0].ID)
}

func TestRegistryRowsAreOnlyReachableThroughTheRegistryOrOneself(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	reg := tenancy.NewRegistry(db.App)
	ctx := context.Background()
	a, _, err := reg.Create(ctx, tenancy.NewTenant{Name: "A"})
	require.NoError(t, err)
	b, _, err := reg.Create(ctx, tenancy.NewTenant{Name: "B"})
	require.NoError(t, err)

	var n int
	require.NoError(t, db.App.QueryRow(ctx, "SELECT count(*) FROM tenants").Scan(&n))
	require.Zero(t, n, "outside any context the registry is invisible")
	require.NoError(t, tenancy.WithReadTx(ctx, db.App, a.ID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, "SELECT count(*) FROM tenants").Scan(&n)
	}))
	require.Equal(t, 1, n, "a tenant sees its own row only")
	err = tenancy.WithTx(ctx, db.App, a.ID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "UPDATE tenants SET plan = 'enterprise' WHERE id = $1", b.ID)
		require.Zero(t, tag.RowsAffected())
		return err
	})
	require.NoError(t, err)
	got, err := reg.Get(ctx, b.ID)
	require.NoError(t, err)
	require.Equal(t, tenancy.PlanStarter, got.Plan, "B untouched by A")
	all, err := reg.List(ctx, tenancy.ID{}, 10)
	require.NoError(t, err)
	require.Len(t, all, 2, "the registry path sees every tenant")
}

func TestACancelledTenantAlwaysHasItsRetentionDate(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	id := tenancy.NewID()
	err := tenancy.WithTx(ctx, db.App, id, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO tenants (id, name, status) VALUES ($1, 'x', 'cancelled')", id)
		return err
	})
	require.Error(t, err, "a cancelled tenant without cancelled_at would never be purged")
}

func TestRenameOnlyTouchesOneself(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	reg := tenancy.NewRegistry(db.App)
	ctx := context.Background()
	a, _, err := reg.Create(ctx, tenancy.NewTenant{Name: "contoso.example"})
	require.NoError(t, err)
	b, _, err := reg.Create(ctx, tenancy.NewTenant{Name: "B"})
	require.NoError(t, err)
	require.NoError(t, tenancy.Rename(ctx, db.App, a.ID, "  Contoso Ltd  "))
	got, err := reg.Get(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, "Contoso Ltd", got.Name)
	require.Error(t, tenancy.Rename(ctx, db.App, a.ID, "   "))
	require.Error(t, tenancy.Rename(ctx, db.App, a.ID, strings.Repeat("x", 201)))
	other, err := reg.Get(ctx, b.ID)
	require.NoError(t, err)
	require.Equal(t, "B", other.Name)
}
