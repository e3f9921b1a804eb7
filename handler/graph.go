package main

import (
	"net/http"
	"time"

	graphlifecycle "github.com/meetingminutes/minutes/functions/GraphLifecycle"
	graphnotifications "github.com/meetingminutes/minutes/functions/GraphNotifications"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/graphhook"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// graphMaxBody is the request body limit of the Graph webhooks: graphhook's batch bound, above
// the adapter's 1 MiB default.
const graphMaxBody = graphhook.MaxBatchBytes

// unavailableHTTP answers 503 with reason (Graph retries; the reason names what to configure).
func unavailableHTTP(reason string) funchost.HandlerFunc {
	return func(http.ResponseWriter, *http.Request) error { return funchost.Unavailable(reason) }
}

// graphNotifications builds the GraphNotifications handler from the app's pool and queue.
//
// Rich notifications are decrypted with GRAPH_NOTIFICATION_CERT (and _PREVIOUS during a
// rotation); without them, items with encrypted content are dropped.
func (a *app) graphNotifications() funchost.HandlerFunc {
	if a.pool == nil {
		return unavailableHTTP("GraphNotifications needs DATABASE_URL")
	}
	sender, river, err := a.queueSender()
	if err != nil {
		return unavailableHTTP("GraphNotifications: " + err.Error())
	}
	var enq graphnotifications.Enqueuer = graphnotifications.SenderEnqueuer{Sender: sender}
	if river != nil {
		enq = graphnotifications.RiverEnqueuer{River: river}
	}
	tenants := graphnotifications.NewTenantCache(tenancy.NewRegistry(a.pool), 30*time.Second, 10_000)
	// Two committers: one commits while the other fills its batch. bench/notifyburst measured
	// 1, 2, 3 and 4: 2 was best with a round trip per tenant; since a group costs three round
	// trips whatever its tenants, 1, 2 and 4 measure within noise of each other.
	h := graphnotifications.New(a.pool, tenants, enq,
		graphnotifications.Config{AppID: a.cfg.Identity.ClientID, CertificateKeys: a.notificationKeys(), GroupCommit: 2}, a.log)
	return h.Serve
}

// graphLifecycle builds the GraphLifecycle handler from the app's pool. It only records the
// events on the subscription rows; SubscriptionRenewal acts on them.
func (a *app) graphLifecycle() funchost.HandlerFunc {
	if a.pool == nil {
		return unavailableHTTP("GraphLifecycle needs DATABASE_URL")
	}
	h := graphlifecycle.New(a.pool, tenancy.NewRegistry(a.pool), graphlifecycle.Config{AppID: a.cfg.Identity.ClientID}, a.log)
	return h.Serve
}
