package identity_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/identity"
	"github.com/meetingminutes/minutes/shared/identity/entratest"
)

var wantRoles = []string{"OnlineMeetingTranscript.Read.All", "OnlineMeetings.Read.All", "CallRecords.Read.All"}

// sleeps records the waits ConfirmConsent asks for, without waiting.
type sleeps []time.Duration

func (s *sleeps) Sleep(d time.Duration) { *s = append(*s, d) }

func TestConfirmConsent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("roles appear after 3 calls", func(t *testing.T) {
		t.Parallel()
		p, b := setup(t, setupOpts{entra: entratest.Options{MissingRoleCalls: 3}})
		b.entra.GrantConsent(b.tenant)
		var slept sleeps
		roles, err := p.ConfirmConsent(ctx, b.tenant, wantRoles, identity.ConfirmOptions{Sleep: slept.Sleep})
		require.NoError(t, err)
		require.Subset(t, roles, wantRoles)
		require.Equal(t, 4, b.entra.TokenRequests())
		require.Equal(t, sleeps{time.Second, 2 * time.Second, 4 * time.Second}, slept)
	})

	t.Run("AADSTS65001 while consent replicates", func(t *testing.T) {
		t.Parallel()
		p, b := setup(t, setupOpts{entra: entratest.Options{ConsentErrorCalls: 2, MissingRoleCalls: 1}})
		b.entra.GrantConsent(b.tenant)
		var slept sleeps
		_, err := p.ConfirmConsent(ctx, b.tenant, wantRoles, identity.ConfirmOptions{Sleep: slept.Sleep})
		require.NoError(t, err)
		require.Equal(t, 4, b.entra.TokenRequests())
	})

	t.Run("gives up naming the missing roles", func(t *testing.T) {
		t.Parallel()
		p, b := setup(t, setupOpts{entra: entratest.Options{GrantedRoles: []string{"OnlineMeetings.Read.All"}}})
		b.entra.GrantConsent(b.tenant)
		var slept sleeps
		_, err := p.ConfirmConsent(ctx, b.tenant, wantRoles, identity.ConfirmOptions{MaxWait: 30 * time.Second, Sleep: slept.Sleep})
		var nc *identity.ConsentNotConfirmedError
		require.ErrorAs(t, err, &nc)
		require.Equal(t, b.tenant, nc.TenantID)
		require.Equal(t, []string{"OnlineMeetingTranscript.Read.All", "CallRecords.Read.All"}, nc.Missing)
		require.Contains(t, err.Error(), "OnlineMeetingTranscript.Read.All")
		require.Contains(t, err.Error(), "CallRecords.Read.All")
		require.NotContains(t, err.Error(), b.entra.ClientSecret())
		var total time.Duration
		for _, d := range slept {
			total += d
		}
		require.LessOrEqual(t, total, 30*time.Second)
		require.Equal(t, len(slept)+1, nc.Attempts)
		require.Equal(t, nc.Attempts, b.entra.TokenRequests())
	})

	t.Run("tenant never consented", func(t *testing.T) {
		t.Parallel()
		p, _ := setup(t)
		var slept sleeps
		_, err := p.ConfirmConsent(ctx, uuid.New(), wantRoles, identity.ConfirmOptions{MaxWait: 10 * time.Second, Sleep: slept.Sleep})
		var nc *identity.ConsentNotConfirmedError
		require.ErrorAs(t, err, &nc)
		require.Equal(t, wantRoles, nc.Missing)
		var oe *identity.OAuthError
		require.ErrorAs(t, err, &oe)
		require.True(t, oe.HasCode(700016))
	})

	t.Run("a bad client secret is not retried", func(t *testing.T) {
		t.Parallel()
		_, b := setup(t)
		b.entra.GrantConsent(b.tenant)
		cfg := b.cfg
		cfg.ClientSecret = "not-the-secret-xyz"
		p, err := identity.New(cfg)
		require.NoError(t, err)
		var slept sleeps
		_, err = p.ConfirmConsent(ctx, b.tenant, wantRoles, identity.ConfirmOptions{Sleep: slept.Sleep})
		var oe *identity.OAuthError
		require.ErrorAs(t, err, &oe)
		require.Equal(t, "invalid_client", oe.Code)
		require.Empty(t, slept)
		require.Equal(t, 1, b.entra.TokenRequests())
		require.NotContains(t, err.Error(), "not-the-secret-xyz")
	})

	t.Run("cancelled context stops waiting", func(t *testing.T) {
		t.Parallel()
		p, b := setup(t, setupOpts{entra: entratest.Options{MissingRoleCalls: 100}})
		b.entra.GrantConsent(b.tenant)
		cctx, cancel := context.WithCancel(ctx)
		_, err := p.ConfirmConsent(cctx, b.tenant, wantRoles, identity.ConfirmOptions{Sleep: func(time.Duration) { cancel() }})
		require.True(t, errors.Is(err, context.Canceled), "%v", err)
		require.Equal(t, 1, b.entra.TokenRequests())
	})

	t.Run("nil tenant", func(t *testing.T) {
		t.Parallel()
		p, _ := setup(t)
		_, err := p.ConfirmConsent(ctx, uuid.Nil, wantRoles, identity.ConfirmOptions{})
		require.Error(t, err)
	})
}
