package main

import (
	"fmt"
	"net/http"

	graphlifecycle "github.com/meetingminutes/minutes/functions/GraphLifecycle"
	graphnotifications "github.com/meetingminutes/minutes/functions/GraphNotifications"
	"github.com/meetingminutes/minutes/shared/config"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/graphhook"
	"github.com/meetingminutes/minutes/shared/queue"
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
// Not wired yet: the encryption certificate keys (no configuration exists for them), so rich
// notifications are dropped until it does; subscriptions must be created without resource data
// meanwhile.
func (a *app) graphNotifications() funchost.HandlerFunc {
	if a.pool == nil {
		return unavailableHTTP("GraphNotifications needs DATABASE_URL")
	}
	var enq graphnotifications.Enqueuer
	switch a.cfg.QueueBackend() {
	case config.QueuePostgres:
		river, err := queue.NewRiver(a.pool, queue.RiverOptions{Logger: a.log})
		if err != nil {
			return unavailableHTTP(fmt.Sprintf("GraphNotifications: %v", err))
		}
		enq = graphnotifications.RiverEnqueuer{River: river}
	case config.QueueServiceBus:
		if !a.cfg.Queue.ServiceBusConnectionString.IsSet() {
			// A managed-identity credential for SERVICEBUS_NAMESPACE is not wired in this build.
			return unavailableHTTP("GraphNotifications needs ServiceBusConnection (managed identity is not wired yet)")
		}
		sb, err := queue.NewServiceBus(queue.ServiceBusConfig{ConnectionString: a.cfg.Queue.ServiceBusConnectionString.Reveal()})
		if err != nil {
			return unavailableHTTP("GraphNotifications: Service Bus is misconfigured")
		}
		enq = graphnotifications.SenderEnqueuer{Sender: sb}
	default:
		return unavailableHTTP("GraphNotifications needs a queue: set DATABASE_URL or SERVICEBUS_NAMESPACE")
	}
	h := graphnotifications.New(a.pool, tenancy.NewRegistry(a.pool), enq,
		graphnotifications.Config{AppID: a.cfg.Identity.ClientID}, a.log)
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
