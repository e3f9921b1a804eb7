package license

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/meetingminutes/minutes/shared/marketplace"
)

// DefaultProofTTL is how long [Identity] reuses its last answer, success or failure, so a
// health probe every few seconds does not ask the identity endpoint each time.
const DefaultProofTTL = time.Minute

// IdentityOptions are the optional settings of [NewIdentity].
type IdentityOptions struct {
	// TTL is how long an answer is reused; default [DefaultProofTTL].
	TTL time.Duration
	// Now is the clock of that reuse; default time.Now.
	Now func() time.Time
}

// Identity proves that the install runs as a Marketplace managed application: its managed
// identity can obtain a token for the metering service ([marketplace.Scope]), which the
// install needs anyway to report usage. The proof is retried on demand
// (each health check), at most once per TTL. It is safe for concurrent use.
type Identity struct {
	cred azcore.TokenCredential
	ttl  time.Duration
	now  func() time.Time

	mu   sync.Mutex
	at   time.Time
	last error
}

// NewIdentity returns an Identity proving with cred (azidentity's ManagedIdentityCredential
// in production; a fake in tests). opts may be nil.
func NewIdentity(cred azcore.TokenCredential, opts *IdentityOptions) *Identity {
	var o IdentityOptions
	if opts != nil {
		o = *opts
	}
	if o.TTL <= 0 {
		o.TTL = DefaultProofTTL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Identity{cred: cred, ttl: o.TTL, now: o.Now}
}

// Prove obtains a metering-service token, or returns the answer of the last TTL. The token
// itself is discarded: holding one is the proof.
func (i *Identity) Prove(ctx context.Context) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if !i.at.IsZero() && i.now().Sub(i.at) < i.ttl {
		return i.last
	}
	var err error
	if i.cred == nil {
		err = errors.New("no managed identity credential")
	} else if _, err = i.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{marketplace.Scope}}); err != nil {
		err = fmt.Errorf("managed identity: get a Marketplace metering token: %w", err)
	}
	if ctx.Err() != nil && err != nil {
		return err // a caller's deadline is not an answer worth keeping
	}
	i.at, i.last = i.now(), err
	return err
}
