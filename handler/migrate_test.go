package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
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

// TestMigrateOnStart: an instance started on an empty database with MIGRATE_ON_START (as the
// Azure templates start it) applies the schema before it answers, reports ready with every
// set at its latest version, and a second start finds nothing to apply. A database it cannot
// reach stops the start (exit 1) rather than serving on a missing schema.
func TestMigrateOnStart(t *testing.T) {
	t.Parallel()
	db := dbtest.Empty(t)

	// A licence the gate refuses stops the start before it migrates anything.
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"standalone"}, lookup("PORT", freePort(t), "LISTEN_HOST", "127.0.0.1",
		"DATABASE_URL", db.AppURL, "MIGRATIONS_DATABASE_URL", db.OwnerURL, "MIGRATE_ON_START", "1",
		"LICENSE_KEY", "not-a-licence"), &out, &errOut)
	require.Equal(t, exitUsage, code, errOut.String())
	require.Contains(t, errOut.String(), "LICENSE_KEY")
	st, err := migrate.Status(context.Background(), db.OwnerURL, migrate.SetControl)
	require.NoError(t, err)
	require.Zero(t, st[0].Current, "nothing migrated under a refused licence")

	env := []string{"DATABASE_URL=" + db.AppURL, "MIGRATIONS_DATABASE_URL=" + db.OwnerURL,
		"MIGRATE_ON_START=true", "BLOB_DIR=" + t.TempDir()}
	health := func(p *proc) map[string]any {
		req, _ := http.NewRequest(http.MethodGet, p.base+"/api/health", nil)
		res, b := do(t, req)
		require.Equal(t, http.StatusOK, res.StatusCode, "%s", b)
		var h map[string]any
		require.NoError(t, json.Unmarshal(b, &h))
		return h
	}
	p := start(t, []string{"standalone"}, env...)
	h := health(p)
	require.Equal(t, "ready", h["status"])
	schema := h["schema"].(map[string]any)
	for _, s := range []migrate.Set{migrate.SetControl, migrate.SetTenant} {
		v := schema[string(s)].(map[string]any)
		require.Equal(t, float64(migrate.Latest(s)), v["current"], "%s migrated on start", s)
	}
	require.Contains(t, p.stdout.String(), "schema migrated on start")
	require.Contains(t, p.stdout.String(), "applied 1,")
	require.Equal(t, 0, p.stop(t))

	again := start(t, []string{"standalone"}, env...)
	require.Equal(t, "ready", health(again)["status"])
	require.Contains(t, again.stdout.String(), "control: version")
	require.NotContains(t, again.stdout.String(), "applied 1,", "nothing to apply the second time")
	require.Equal(t, 0, again.stop(t))

	out.Reset()
	errOut.Reset()
	code = run(context.Background(), []string{"standalone"}, lookup("PORT", freePort(t), "LISTEN_HOST", "127.0.0.1",
		"DATABASE_URL", db.AppURL, "MIGRATE_ON_START", "1",
		"MIGRATIONS_DATABASE_URL", "postgres://minutes_owner@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"), &out, &errOut)
	require.Equal(t, exitFailure, code)
	require.Contains(t, errOut.String(), "migrate on start")
}
