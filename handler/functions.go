package main

import (
	"context"
	"fmt"
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
	// patterns are the public routes of an HTTP function (all under /api/).
	patterns []string
	// queue is the Service Bus queue of a queue function.
	queue string
	// binding is the trigger's binding name in function.json.
	binding string
	http    funchost.HandlerFunc
	msg     funchost.MessageFunc
	tick    funchost.TickFunc
	// maxBody overrides the request body limit of an HTTP function.
	maxBody int64
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

func notYetTick(name string) funchost.TickFunc {
	return func(context.Context, funchost.Tick) error { return notYet(name) }
}

// functions lists every function with its implementation; a function not yet built answers
// 503 with a reason. The names and triggers match functions/*/function.json (tested).
func (a *app) functions() []function {
	return []function{
		{name: "Health", kind: kindHTTP, patterns: []string{"GET /api/health"}, http: a.health.Serve},
		{name: "ConsentCallback", kind: kindHTTP, patterns: []string{"GET /api/consent/callback"}, http: notYetHTTP("ConsentCallback")},
		{name: "GraphNotifications", kind: kindHTTP, patterns: []string{"POST /api/graph/notifications"}, http: notYetHTTP("GraphNotifications")},
		{name: "GraphLifecycle", kind: kindHTTP, patterns: []string{"POST /api/graph/lifecycle"}, http: notYetHTTP("GraphLifecycle")},
		{name: "StripeWebhook", kind: kindHTTP, patterns: []string{"POST /api/stripe/webhook"}, http: notYetHTTP("StripeWebhook")},
		{name: "Api", kind: kindHTTP, patterns: []string{"/api/v1/"}, http: notYetHTTP("Api")},
		{name: "Portal", kind: kindHTTP, patterns: []string{"GET /api/app/", "POST /api/app/"}, http: notYetHTTP("Portal")},
		{name: "TranscriptIngest", kind: kindQueue, queue: "transcript-ingest", binding: "msg", msg: notYetMessage("TranscriptIngest")},
		{name: "MinutesGenerate", kind: kindQueue, queue: "minutes-generate", binding: "msg", msg: notYetMessage("MinutesGenerate")},
		{name: "MinutesPublish", kind: kindQueue, queue: "minutes-publish", binding: "msg", msg: notYetMessage("MinutesPublish")},
		{name: "MigrationRunner", kind: kindQueue, queue: "migrations", binding: "msg", msg: notYetMessage("MigrationRunner")},
		{name: "TenantHealthSweep", kind: kindTimer, binding: "timer", tick: a.sweep},
		{name: "SubscriptionRenewal", kind: kindTimer, binding: "timer", tick: notYetTick("SubscriptionRenewal")},
		{name: "UsageReport", kind: kindTimer, binding: "timer", tick: notYetTick("UsageReport")},
	}
}
