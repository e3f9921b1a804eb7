package main

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/migrate"
)

func TestMigrateCommand(t *testing.T) {
	t.Parallel()
	db := dbtest.Empty(t)
	ctx := context.Background()
	env := lookup("MIGRATIONS_DATABASE_URL", db.OwnerURL)
	runOK := func(args ...string) string {
		var out, errOut bytes.Buffer
		code := run(ctx, args, env, &out, &errOut)
		require.Equal(t, exitOK, code, errOut.String())
		require.Empty(t, errOut.String())
		return out.String()
	}
	control, tenant := migrate.Latest(migrate.SetControl), migrate.Latest(migrate.SetTenant)

	require.Contains(t, runOK("migrate", "status"), fmt.Sprintf("control: version 0 of %d (pending", control))
	up := runOK("migrate", "up")
	require.Contains(t, up, fmt.Sprintf("control: version %d (applied 1,", control))
	require.Contains(t, up, fmt.Sprintf("tenant: version %d (applied 1,", tenant))
	require.Contains(t, up, "queue: river schema (applied 1,")
	again := runOK("migrate", "up")
	require.NotContains(t, again, "applied", "up again is a no-op")
	st := runOK("migrate", "status")
	require.Contains(t, st, fmt.Sprintf("control: version %d of %d (up to date)", control, control))
	require.Contains(t, st, fmt.Sprintf("tenant: version %d of %d (up to date)", tenant, tenant))
	require.Contains(t, st, "queue: river version")
	require.Contains(t, st, "(up to date)")

	t.Run("unreachable database is a runtime failure", func(t *testing.T) {
		var out, errOut bytes.Buffer
		code := run(ctx, []string{"migrate", "up"}, lookup("MIGRATIONS_DATABASE_URL", "postgres://minutes_owner@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"), &out, &errOut)
		require.Equal(t, exitFailure, code)
		require.Contains(t, errOut.String(), "migrate up")
	})
}
