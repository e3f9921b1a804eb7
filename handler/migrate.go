package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/meetingminutes/minutes/shared/config"
	"github.com/meetingminutes/minutes/shared/migrate"
	"github.com/meetingminutes/minutes/shared/pgauth"
	"github.com/meetingminutes/minutes/shared/queue"
)

func migrateCmd(ctx context.Context, cfg *config.Config, args []string, stdout io.Writer) error {
	if len(args) != 1 || (args[0] != "up" && args[0] != "status") {
		return usagef("usage: handler migrate up|status")
	}
	dsn := cfg.Database.MigrationsURL
	if !dsn.IsSet() {
		return &config.Error{Key: "MIGRATIONS_DATABASE_URL", Reason: "not set (nor DATABASE_URL)"}
	}
	if cfg.Database.EntraAuth {
		cred, err := entraCredential(cfg)
		if err != nil {
			return &config.Error{Key: "DATABASE_AUTH", Reason: err.Error()}
		}
		withToken, err := pgauth.WithToken(ctx, dsn.Reveal(), cred)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		dsn = config.Secret(withToken)
	}
	switch args[0] {
	case "up":
		res, err := migrate.Up(ctx, dsn.Reveal(), migrate.SetControl, migrate.SetTenant)
		if err != nil {
			return fmt.Errorf("migrate up: %w", err)
		}
		for _, r := range res {
			applied := "nothing to apply"
			if len(r.Applied) > 0 {
				applied = "applied " + joinInts(r.Applied)
			}
			fmt.Fprintf(stdout, "%s: version %d (%s)\n", r.Set, r.Current, applied)
		}
		// River's own schema (the PostgreSQL queue), by River's migrator, after ours.
		versions, err := queue.MigrateRiver(ctx, dsn.Reveal())
		if err != nil {
			return fmt.Errorf("migrate up: %w", err)
		}
		applied := "nothing to apply"
		if len(versions) > 0 {
			applied = "applied " + joinInts(toInt64(versions))
		}
		fmt.Fprintf(stdout, "queue: river schema (%s)\n", applied)
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
			fmt.Fprintf(stdout, "%s: version %d of %d (%s)\n", s.Set, s.Current, s.Latest, pending)
		}
		rs, err := queue.RiverStatus(ctx, dsn.Reveal())
		if err != nil {
			return fmt.Errorf("migrate status: %w", err)
		}
		pending := "up to date"
		if len(rs.Pending) > 0 {
			pending = "pending " + joinInts(toInt64(rs.Pending))
		}
		fmt.Fprintf(stdout, "queue: river version %d of %d (%s)\n", rs.Current, rs.Latest, pending)
	}
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
