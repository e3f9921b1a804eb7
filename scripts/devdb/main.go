// Command devdb prepares the local database that 'make run' uses: the minutes_owner role, a
// database owned by it, and prints the owner (migrations) and app (runtime) connection URLs as
// shell assignments. It connects with the superuser URL given as its argument.
//
// Usage: go run ./scripts/devdb SUPERUSER_URL [DBNAME]
package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/meetingminutes/minutes/shared/migrate"
)

func main() {
	if len(os.Args) < 2 || len(os.Args) > 3 {
		fmt.Fprintln(os.Stderr, "usage: devdb SUPERUSER_URL [DBNAME]")
		os.Exit(2)
	}
	name := "minutes"
	if len(os.Args) == 3 {
		name = os.Args[2]
	}
	owner, app, err := prepare(os.Args[1], name)
	if err != nil {
		fmt.Fprintln(os.Stderr, "devdb: "+err.Error())
		os.Exit(1)
	}
	fmt.Printf("MIGRATIONS_DATABASE_URL='%s'\nDATABASE_URL='%s'\n", owner, app)
}

func prepare(super, name string) (owner, app string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := pgx.ParseConfig(super)
	if err != nil {
		return "", "", fmt.Errorf("parse superuser URL: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return "", "", fmt.Errorf("connect as superuser: %w", err)
	}
	defer conn.Close(ctx)
	// minutes_owner needs CREATEROLE once, for the migration that creates minutes_app.
	if err := migrate.EnsureOwnerRole(ctx, conn); err != nil {
		return "", "", err
	}
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", "", fmt.Errorf("look up database %s: %w", name, err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" OWNER minutes_owner"); err != nil && !duplicate(err) {
			return "", "", fmt.Errorf("create database %s: %w", name, err)
		}
	}
	return roleURL(cfg, "minutes_owner", name), roleURL(cfg, "minutes_app", name), nil
}

func duplicate(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "42710" || pe.Code == "23505" || pe.Code == "42P04")
}

// roleURL is the superuser's server with another role and database; local clusters use trust
// authentication, so no password is carried over.
func roleURL(cfg *pgx.ConnConfig, role, db string) string {
	u := url.URL{Scheme: "postgres", User: url.User(role), Path: "/" + db}
	host := cfg.Host
	if len(host) > 0 && host[0] == '/' {
		q := url.Values{"host": {host}, "port": {fmt.Sprint(cfg.Port)}}
		u.RawQuery = q.Encode()
		return u.String()
	}
	u.Host = fmt.Sprintf("%s:%d", host, cfg.Port)
	u.RawQuery = "sslmode=disable"
	return u.String()
}
