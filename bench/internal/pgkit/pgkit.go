// Package pgkit holds the PostgreSQL plumbing the benchmark programs share: scratch-database
// URLs and one-shot statements on a connection of their own.
package pgkit

import (
	"context"
	"net/url"

	"github.com/jackc/pgx/v5"
)

// RoleURL is super with role (unless empty) and database name instead of its own.
func RoleURL(super *url.URL, role, name string) string {
	u := *super
	if role != "" {
		u.User = url.User(role)
	}
	u.Path, u.RawPath = "/"+name, ""
	return u.String()
}

// ExecOnce runs one statement on a connection of its own.
func ExecOnce(ctx context.Context, dsn, sql string, args ...any) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql, args...)
	return err
}

// QueryOnce runs one single-row query on a connection of its own and scans it into dst.
func QueryOnce(ctx context.Context, dsn, sql string, dst ...any) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return conn.QueryRow(ctx, sql).Scan(dst...)
}
