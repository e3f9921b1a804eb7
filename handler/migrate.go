package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/meetingminutes/minutes/shared/config"
	"github.com/meetingminutes/minutes/shared/migrate"
	"github.com/meetingminutes/minutes/shared/pgauth"
)

func migrateCmd(ctx context.Context, cfg *config.Config, args []string, stdout io.Writer) error {
	if len(args) != 1 || (args[0] != "up" && args[0] != "status") {
		return usagef("usage: handler migrate up|status")
	}
	dsn, err := migrationsDSN(ctx, cfg)
	if err != nil {
		return err
	}
	var lines []string
	switch args[0] {
	case "up":
		lines, err = migrateUp(ctx, dsn)
		if err != nil {
			return fmt.Errorf("migrate up: %w", err)
		}
	case "status":
		st, err := migrate.Status(ctx, dsn.Reveal(), migrate.SetControl, migrate.SetTenant)
		if err != nil {
			return fmt.Errorf("migrate status: %w", err)
		}
		for _, s := range st {
			pending := "up to date"
			if len(s.Pending) > 0 {
				pending = "pending " + joinInts(s.Pending)
			}
			lines = append(lines, fmt.Sprintf("%s: version %d of %d (%s)", s.Set, s.Current, s.Latest, pending))
		}
		rs, err := migrate.RiverStatus(ctx, dsn.Reveal())
		if err != nil {
			return fmt.Errorf("migrate status: %w", err)
		}
		pending := "up to date"
		if len(rs.Pending) > 0 {
			pending = "pending " + joinInts(toInt64(rs.Pending))
		}
		lines = append(lines, fmt.Sprintf("queue: river version %d of %d (%s)", rs.Current, rs.Latest, pending))
	}
	for _, l := range lines {
		fmt.Fprintln(stdout, l)
	}
	return nil
}

// migrationsDSN is the owner connection of migrate: MIGRATIONS_DATABASE_URL (else
// DATABASE_URL), with a fresh Entra token as its password under DATABASE_AUTH=entra.
func migrationsDSN(ctx context.Context, cfg *config.Config) (config.Secret, error) {
	dsn := cfg.Database.MigrationsURL
	if !dsn.IsSet() {
		return "", &config.Error{Key: "MIGRATIONS_DATABASE_URL", Reason: "not set (nor DATABASE_URL)"}
	}
	if !cfg.Database.EntraAuth {
		return dsn, nil
	}
	cred, err := entraCredential(cfg)
	if err != nil {
		return "", &config.Error{Key: "DATABASE_AUTH", Reason: err.Error()}
	}
	withToken, err := pgauth.WithToken(ctx, dsn.Reveal(), cred)
	if err != nil {
		return "", fmt.Errorf("migrate: %w", err)
	}
	return config.Secret(withToken), nil
}

// migrateUp applies every pending migration of both sets, then River's schema (the PostgreSQL
// queue) by River's migrator, and describes each set's outcome in one line.
func migrateUp(ctx context.Context, dsn config.Secret) ([]string, error) {
	res, err := migrate.Up(ctx, dsn.Reveal(), migrate.SetControl, migrate.SetTenant)
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, r := range res {
		applied := "nothing to apply"
		if len(r.Applied) > 0 {
			applied = "applied " + joinInts(r.Applied)
		}
		lines = append(lines, fmt.Sprintf("%s: version %d (%s)", r.Set, r.Current, applied))
	}
	versions, err := migrate.River(ctx, dsn.Reveal())
	if err != nil {
		return nil, err
	}
	applied := "nothing to apply"
	if len(versions) > 0 {
		applied = "applied " + joinInts(toInt64(versions))
	}
	return append(lines, fmt.Sprintf("queue: river schema (%s)", applied)), nil
}

// migrateOnStart applies pending migrations before serve answers anything
// (MIGRATE_ON_START). Several instances starting together take turns on migrate's advisory
// locks; the later ones find nothing to apply. A failure stops the start (exit 1): the
// Functions host, or the container's restart policy, starts the process again, which is the
// retry, for instance while a new server's Entra administrator is still being set up. The
// port is already bound, so the host's readiness probe waits rather than fails; its 30 s
// budget is far above a migration's few seconds, and a start it cuts short resumes where the
// committed migrations left off.
func migrateOnStart(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	if !cfg.Database.MigrateOnStart {
		return nil
	}
	start := time.Now()
	dsn, err := migrationsDSN(ctx, cfg)
	if err != nil {
		return err
	}
	lines, err := migrateUp(ctx, dsn)
	if err != nil {
		return fmt.Errorf("migrate on start: %w", err)
	}
	log.InfoContext(ctx, "schema migrated on start", "result", strings.Join(lines, "; "), "elapsed", time.Since(start).String())
	return nil
}

func joinInts(v []int64) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}

func toInt64(v []int) []int64 {
	out := make([]int64, len(v))
	for i, n := range v {
		out[i] = int64(n)
	}
	return out
}
