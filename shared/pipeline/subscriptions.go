package pipeline

// The Graph subscriptions every tenant holds (graph_subscriptions.kind): provisioning requests
// them, SubscriptionRenewal creates and keeps them.
const (
	// SubscriptionTranscripts tells us a transcript exists.
	SubscriptionTranscripts = "transcripts"
	// SubscriptionCallRecords tells us a Teams call ended.
	SubscriptionCallRecords = "call_records"
)

// SubscriptionKinds are the kinds every tenant needs, in the order they are kept.
func SubscriptionKinds() []string {
	return []string{SubscriptionTranscripts, SubscriptionCallRecords}
}

// SubscriptionResource is the Graph resource of a subscription kind.
func SubscriptionResource(kind string) string {
	if kind == SubscriptionCallRecords {
		return "communications/callRecords"
	}
	return "communications/onlineMeetings/getAllTranscripts"
}
