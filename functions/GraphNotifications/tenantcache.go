package graphnotifications

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/meetingminutes/minutes/shared/tenancy"
)

// TenantCache remembers Graph-tenant → tenant lookups for a short while. Every notification
// needs one, and in a burst the same few tenants repeat thousands of times: the registry
// transaction is a fifth of the path's database work. Only found tenants are cached (an
// unknown tenantId is junk, and caching it would let junk fill the cache); a tenant cancelled
// meanwhile is still accepted for at most TTL, which is harmless because TranscriptIngest
// checks the status again before doing anything.
type TenantCache struct {
	next Tenants
	ttl  time.Duration
	max  int
	now  func() time.Time

	mu      sync.Mutex
	entries map[uuid.UUID]cachedTenant
}

type cachedTenant struct {
	t       tenancy.Tenant
	expires time.Time
}

// NewTenantCache caches next's answers for ttl, holding at most max tenants (when full, it
// starts over: simpler than LRU, and a full cache means far more tenants than a burst has).
func NewTenantCache(next Tenants, ttl time.Duration, max int) *TenantCache {
	return &TenantCache{next: next, ttl: ttl, max: max, now: time.Now, entries: map[uuid.UUID]cachedTenant{}}
}

// ByAzureTenant implements Tenants.
func (c *TenantCache) ByAzureTenant(ctx context.Context, azure uuid.UUID) (tenancy.Tenant, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[azure]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.t, nil
	}
	t, err := c.next.ByAzureTenant(ctx, azure)
	if err != nil {
		return t, err
	}
	c.mu.Lock()
	if len(c.entries) >= c.max {
		c.entries = map[uuid.UUID]cachedTenant{}
	}
	c.entries[azure] = cachedTenant{t: t, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return t, nil
}
