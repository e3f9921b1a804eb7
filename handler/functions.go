package main

import (
	"context"
	"fmt"
	"github.com/meetingminutes/minutes/shared/upload"
	"net/http"

	"github.com/meetingminutes/minutes/shared/funchost"
)

// kind is how the host invokes a function.
type kind int

const (
	kindHTTP kind = iota
	kindQueue
	kindTimer
)

// function is one entry of the contract table in ARCHITECTURE.md §2: its folder name under
// functions/, how it is triggered and what serves it.
type function struct {
	name string
	kind kind
	// routes are the public routes of an HTTP function (all under /api/).
	routes []webRoute
	// web marks browser-facing functions: their routes run behind the session (principal)
	// and CSRF middleware. Webhooks and health do not.
	web bool
	// queue is the Service Bus queue of a queue function.
	queue string
	// binding is the trigger's binding name in function.json.
	binding string
	msg     funchost.MessageFunc
	tick    funchost.TickFunc
	// maxBody overrides the request body limit of an HTTP function.
	maxBody int64
}

// webRoute is one public route: a net/http pattern and its handler.
type webRoute struct {
	pattern string
	h       funchost.HandlerFunc
}

// routes builds the routes of patterns all served by h.
func routes(h funchost.HandlerFunc, patterns ...string) []webRoute {
	out := make([]webRoute, len(patterns))
	for i, p := range patterns {
		out[i] = webRoute{p, h}
	}
	return out
}

// notYet is the answer of a function whose implementation has not landed in this build: a
// 503 that says so, so the host abandons (not completes) messages and callers retry later.
func notYet(name string) error {
	return funchost.Unavailable(fmt.Sprintf("%s is not available in this build yet", name))
}

func notYetHTTP(name string) funchost.HandlerFunc {
	return func(http.ResponseWriter, *http.Request) error { return notYet(name) }
}

func notYetMessage(name string) funchost.MessageFunc {
	return func(context.Context, funchost.Message) error { return notYet(name) }
}

// functions lists every function with its implementation; a function not yet built answers
// 503 with a reason. The names and triggers match functions/*/function.json (tested).
// They are built once: some hold clients (queue senders) that must not multiply.
func (a *app) functions() []function {
	if a.fns == nil {
		a.fns = a.buildFunctions()
	}
	return a.fns
}

func (a *app) buildFunctions() []function {
	return []function{
		{name: "Health", kind: kindHTTP, routes: routes(a.health.Serve, "GET /api/health")},
		{name: "ConsentCallback", kind: kindHTTP, web: true, routes: routes(a.consentCallback(), "GET /api/consent/callback")},
		{name: "GraphNotifications", kind: kindHTTP, routes: routes(a.graphNotifications(), "POST /api/graph/notifications"), maxBody: graphMaxBody},
		{name: "GraphLifecycle", kind: kindHTTP, routes: routes(a.graphLifecycle(), "POST /api/graph/lifecycle"), maxBody: graphMaxBody},
		{name: "StripeWebhook", kind: kindHTTP, routes: routes(a.stripeWebhook(), "POST /api/stripe/webhook"), maxBody: stripeMaxBody},
		{name: "Api", kind: kindHTTP, web: true, routes: a.apiRoutes(), maxBody: upload.MaxRequestBytes},
		{name: "Portal", kind: kindHTTP, web: true, routes: a.portalRoutes(), maxBody: upload.MaxRequestBytes},
		{name: "TranscriptIngest", kind: kindQueue, queue: "transcript-ingest", binding: "msg", msg: a.transcriptIngest()},
		{name: "MinutesGenerate", kind: kindQueue, queue: "minutes-generate", binding: "msg", msg: a.minutesGenerate()},
		{name: "MinutesPublish", kind: kindQueue, queue: "minutes-publish", binding: "msg", msg: a.minutesPublish()},
		{name: "MigrationRunner", kind: kindQueue, queue: "migrations", binding: "msg", msg: notYetMessage("MigrationRunner")},
		{name: "TenantHealthSweep", kind: kindTimer, binding: "timer", tick: a.sweep},
		{name: "SubscriptionRenewal", kind: kindTimer, binding: "timer", tick: a.subscriptionRenewal()},
		{name: "UsageReport", kind: kindTimer, binding: "timer", tick: a.usageReport()},
	}
}
