package graphnotifications

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/tenancy"
)

type countingTenants struct {
	calls int
	known map[uuid.UUID]tenancy.Tenant
}

func (c *countingTenants) ByAzureTenant(_ context.Context, azure uuid.UUID) (tenancy.Tenant, error) {
	c.calls++
	t, ok := c.known[azure]
	if !ok {
		return tenancy.Tenant{}, tenancy.ErrNotFound
	}
	return t, nil
}

func TestTenantCache(t *testing.T) {
	a, b := uuid.New(), uuid.New()
	next := &countingTenants{known: map[uuid.UUID]tenancy.Tenant{a: {ID: tenancy.NewID(), Name: "A"}, b: {ID: tenancy.NewID(), Name: "B"}}}
	c := NewTenantCache(next, time.Minute, 1)
	clock := time.Now()
	c.now = func() time.Time { return clock }
	ctx := context.Background()

	for range 3 {
		got, err := c.ByAzureTenant(ctx, a)
		require.NoError(t, err)
		require.Equal(t, "A", got.Name)
	}
	require.Equal(t, 1, next.calls, "cached")

	for range 2 {
		_, err := c.ByAzureTenant(ctx, uuid.New())
		require.ErrorIs(t, err, tenancy.ErrNotFound)
	}
	require.Equal(t, 3, next.calls, "unknown tenants are never cached")

	clock = clock.Add(2 * time.Minute)
	_, err := c.ByAzureTenant(ctx, a)
	require.NoError(t, err)
	require.Equal(t, 4, next.calls, "expired")

	_, err = c.ByAzureTenant(ctx, b) // full (max 1): starts over
	require.NoError(t, err)
	_, err = c.ByAzureTenant(ctx, a)
	require.NoError(t, err)
	require.Equal(t, 6, next.calls)
}
