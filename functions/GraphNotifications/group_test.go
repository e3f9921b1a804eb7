package graphnotifications

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/graphhook/graphhooktest"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// grouped switches the bundle's handler to group commit.
func (b *bundle) grouped(t *testing.T) {
	t.Helper()
	b.configure(func(c *Config) { c.GroupCommit = 2 })
}

// TestGroupCommitBurst: concurrent requests of several tenants, each delivered twice, share
// transactions; every notification has exactly one receipt and one message, in its tenant.
func TestGroupCommitBurst(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.grouped(t)
	type tn struct {
		id     tenancy.ID
		azure  uuid.UUID
		sub    uuid.UUID
		secret string
	}
	tenants := []tn{{b.tenant, b.azure, b.sub, b.secret}}
	for range 2 {
		az, sub, sec := uuid.New(), uuid.New(), "s-"+uuid.NewString()
		tenants = append(tenants, tn{b.newTenant(t, az, sub, sec), az, sub, sec})
	}
	const n = 90
	bodies := make([][]byte, n)
	for i := range bodies {
		x := tenants[i%len(tenants)]
		bodies[i] = b.pub.Body(t, b.pub.TranscriptNotification(t, graphhooktest.TranscriptOptions{
			SubscriptionID: x.sub, TenantID: x.azure, ClientState: x.secret, TranscriptID: fmt.Sprintf("tr-%03d", i)}))
	}
	var wg sync.WaitGroup
	codes := make([]int, 2*n)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = b.post(t, bodies[i%n]).Code
		}()
	}
	wg.Wait()
	for i, c := range codes {
		require.Equal(t, http.StatusAccepted, c, "request %d", i)
	}
	require.Equal(t, n, b.jobs(t), "one message per notification")
	total := 0
	for _, x := range tenants {
		rs := b.receipts(t, x.id)
		require.Len(t, rs, n/len(tenants), "each tenant holds only its own receipts")
		for _, r := range rs {
			require.True(t, r.Enqueued)
			require.Equal(t, 2, r.Times)
		}
		total += len(rs)
	}
	require.Equal(t, n, total)
}

func TestGroupCommitFailuresLoseNothing(t *testing.T) {
	t.Parallel()

	t.Run("database down", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.grouped(t)
		body := b.pub.Body(t, b.transcript(t, graphhooktest.TranscriptOptions{TranscriptID: "tr-db"}))
		b.down.Store(true)
		b.pool.Reset()
		require.GreaterOrEqual(t, b.post(t, body).Code, 500)
		b.down.Store(false)
		require.Equal(t, http.StatusAccepted, b.post(t, body).Code)
		require.Equal(t, []receipt{{Key: b.azure.String() + ":transcript:tr-db", Times: 1, Enqueued: true}}, b.receipts(t, b.tenant))
		require.Equal(t, 1, b.jobs(t))
	})

	t.Run("a failed send rolls back its whole group", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.grouped(t)
		body := b.pub.Body(t, b.transcript(t, graphhooktest.TranscriptOptions{TranscriptID: "tr-q"}),
			b.transcript(t, graphhooktest.TranscriptOptions{TranscriptID: "tr-q2"}))
		b.enq.fail.Store(1) // the second item's send fails after the first's succeeded
		b.enq.failAfter.Store(1)
		require.Equal(t, http.StatusInternalServerError, b.post(t, body).Code)
		require.Empty(t, b.receipts(t, b.tenant), "the first item's receipt rolled back with the batch")
		require.Zero(t, b.jobs(t))
		require.Equal(t, http.StatusAccepted, b.post(t, body).Code)
		require.Len(t, b.receipts(t, b.tenant), 2)
		require.Equal(t, 2, b.jobs(t))
	})
}
