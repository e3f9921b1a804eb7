// Package pgauth authenticates PostgreSQL connections with Microsoft Entra tokens (Azure
// Database for PostgreSQL Flexible Server with Entra authentication): the token is the
// password, fetched for each new connection from a managed identity, so nothing secret sits
// in DATABASE_URL and rotation needs no restart.
package pgauth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/jackc/pgx/v5"
)

// Scope is the token audience of Azure Database for PostgreSQL.
const Scope = "https://ossrdbms-aad.database.windows.net/.default"

// BeforeConnect returns a pgxpool BeforeConnect hook setting each new connection's password
// to a fresh token of cred (azidentity caches tokens until shortly before they expire).
func BeforeConnect(cred azcore.TokenCredential) func(ctx context.Context, cc *pgx.ConnConfig) error {
	return func(ctx context.Context, cc *pgx.ConnConfig) error {
		if cred == nil {
			return errors.New("postgres entra auth: no credential")
		}
		tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{Scope}})
		if err != nil {
			// The error names the identity endpoint's answer, never a token.
			return fmt.Errorf("postgres entra auth: get token: %w", err)
		}
		cc.Password = tok.Token
		return nil
	}
}

// WithToken returns dsn (a postgres:// URL or a key=value string) with a token of cred as its
// password, for one-shot connections that take a DSN rather than a hook (migrations). The
// result is a secret.
func WithToken(ctx context.Context, dsn string, cred azcore.TokenCredential) (string, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return "", errors.New("postgres entra auth: the connection string does not parse")
	}
	if err := BeforeConnect(cred)(ctx, cfg); err != nil {
		return "", err
	}
	u := &url.URL{Scheme: "postgres", User: url.UserPassword(cfg.User, cfg.Password),
		Host: net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), Path: "/" + cfg.Database}
	q := url.Values{}
	for k, v := range cfg.RuntimeParams {
		if k == "options" {
			q.Set("options", v)
		}
	}
	q.Set("sslmode", "require")
	u.RawQuery = q.Encode()
	return u.String(), nil
}
