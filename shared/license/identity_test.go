package license

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/marketplace"
)

// fakeCredential answers GetToken with err, counting calls and recording the scopes.
type fakeCredential struct {
	mu     sync.Mutex
	err    error
	calls  int
	scopes []string
}

func (f *fakeCredential) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.scopes = o.Scopes
	if f.err != nil {
		return azcore.AccessToken{}, f.err
	}
	return azcore.AccessToken{Token: "t", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func TestIdentityProvesWithAMeteringToken(t *testing.T) {
	t.Parallel()
	clock := now
	cred := &fakeCredential{err: errors.New("no managed identity endpoint")}
	id := NewIdentity(cred, &IdentityOptions{TTL: time.Minute, Now: func() time.Time { return clock }})

	err := id.Prove(context.Background())
	require.ErrorContains(t, err, "no managed identity endpoint")
	require.Equal(t, []string{marketplace.Scope}, cred.scopes)

	cred.mu.Lock()
	cred.err = nil
	cred.mu.Unlock()
	require.Error(t, id.Prove(context.Background()), "within the TTL the last answer stands")
	require.Equal(t, 1, cred.calls)

	clock = clock.Add(61 * time.Second)
	require.NoError(t, id.Prove(context.Background()), "after the TTL it is retried")
	require.Equal(t, 2, cred.calls)
}

func TestIdentityWithoutCredential(t *testing.T) {
	t.Parallel()
	require.ErrorContains(t, NewIdentity(nil, nil).Prove(context.Background()), "no managed identity")
}
