package functionapp

// Trigger is a function.json trigger binding type.
type Trigger string

// The trigger types this app uses.
const (
	// TriggerHTTP is an HTTP-triggered function, forwarded raw to the handler.
	TriggerHTTP Trigger = "httpTrigger"
	// TriggerServiceBus is a Service Bus queue-triggered function, invoked with the JSON
	// envelope at POST /{FunctionName}.
	TriggerServiceBus Trigger = "serviceBusTrigger"
	// TriggerTimer is an NCRONTAB timer-triggered function, invoked with the JSON envelope
	// at POST /{FunctionName}.
	TriggerTimer Trigger = "timerTrigger"
)

// Function is one entry of the function contract: a folder under functions/ and what
// outside parties (Graph, Stripe, infra templates) rely on about its trigger.
type Function struct {
	// Name is the folder name, which is also the function name and the envelope path.
	Name string
	// Trigger is the trigger binding type.
	Trigger Trigger
	// Route is the HTTP route without the "api" prefix; HTTP functions only.
	Route string
	// Methods are the HTTP methods the function must accept, lower case; HTTP only.
	Methods []string
	// Queue is the Service Bus queue name the infra templates create; Service Bus only.
	Queue string
}

// Contract returns the 14 functions of ARCHITECTURE.md §2 in design order. The names and
// triggers are a contract; Portal's route "app/{*path}" is ours to choose: a catch-all
// below a fixed segment, never at the root.
func Contract() []Function {
	return []Function{
		{Name: "Health", Trigger: TriggerHTTP, Route: "health", Methods: []string{"get"}},
		{Name: "ConsentCallback", Trigger: TriggerHTTP, Route: "consent/callback", Methods: []string{"get"}},
		{Name: "GraphNotifications", Trigger: TriggerHTTP, Route: "graph/notifications", Methods: []string{"post"}},
		{Name: "GraphLifecycle", Trigger: TriggerHTTP, Route: "graph/lifecycle", Methods: []string{"post"}},
		{Name: "TranscriptIngest", Trigger: TriggerServiceBus, Queue: "transcript-ingest"},
		{Name: "MinutesGenerate", Trigger: TriggerServiceBus, Queue: "minutes-generate"},
		{Name: "MinutesPublish", Trigger: TriggerServiceBus, Queue: "minutes-publish"},
		{Name: "StripeWebhook", Trigger: TriggerHTTP, Route: "stripe/webhook", Methods: []string{"post"}},
		{Name: "TenantHealthSweep", Trigger: TriggerTimer},
		{Name: "SubscriptionRenewal", Trigger: TriggerTimer},
		{Name: "UsageReport", Trigger: TriggerTimer},
		{Name: "MigrationRunner", Trigger: TriggerServiceBus, Queue: "migrations"},
		{Name: "Api", Trigger: TriggerHTTP, Route: "v1/{*path}", Methods: []string{"get", "post", "put", "patch", "delete"}},
		{Name: "Portal", Trigger: TriggerHTTP, Route: "app/{*path}", Methods: []string{"get", "post"}},
	}
}
