package pgauth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/pgauth"
)

type cred struct {
	scopes []string
	n      int
	err    error
}

func (c *cred) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.scopes, c.n = o.Scopes, c.n+1
	if c.err != nil {
		return azcore.AccessToken{}, c.err
	}
	return azcore.AccessToken{Token: "token-" + string(rune('0'+c.n)), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func TestBeforeConnectUsesAFreshTokenPerConnection(t *testing.T) {
	c := &cred{}
	hook := pgauth.BeforeConnect(c)
	for _, want := range []string{"token-1", "token-2"} {
		cc := &pgx.ConnConfig{}
		require.NoError(t, hook(context.Background(), cc))
		require.Equal(t, want, cc.Password)
	}
	require.Equal(t, []string{"https://ossrdbms-aad.database.windows.net/.default"}, c.scopes)

	c.err = errors.New("identity endpoint unreachable")
	cc := &pgx.ConnConfig{}
	err := pgauth.BeforeConnect(c)(context.Background(), cc)
	require.ErrorContains(t, err, "identity endpoint unreachable")
	require.Empty(t, cc.Password)
	require.Error(t, pgauth.BeforeConnect(nil)(context.Background(), cc))
}

func TestWithToken(t *testing.T) {
	got, err := pgauth.WithToken(context.Background(), "host=db.postgres.database.azure.com dbname=minutes user=id-minutes sslmode=require", &cred{})
	require.NoError(t, err)
	cfg, err := pgx.ParseConfig(got)
	require.NoError(t, err)
	require.Equal(t, "token-1", cfg.Password)
	require.Equal(t, "id-minutes", cfg.User)
	require.Equal(t, "minutes", cfg.Database)
	require.Equal(t, "db.postgres.database.azure.com", cfg.Host)
	_, err = pgauth.WithToken(context.Background(), "postgres://%zz", &cred{})
	require.Error(t, err)
}
