// Package graphnotifications implements the GraphNotifications function
// (POST /api/graph/notifications): the webhook Microsoft Graph calls when a Teams transcript
// exists (shared/reference/graph.md §2).
//
// A request is, in order: the validation handshake (answered at once, no database); the body
// (at most graphhook.MaxBatchBytes, else 413; junk is 400, never 5xx); the batch's validation
// tokens when it carries any (signing keys unreachable: 503 so Graph retries); then, per
// Graph tenant, our tenant (tenants.azure_tenant_id), and in one transaction of that tenant
// its subscriptions, the classification of each item (tenant, subscription, clientState,
// resource), the decryption of rich items, and for each valid transcript or call record (a
// Teams meeting ended: a pipeline.IngestCallEnded message) a receipt in notification_receipts
// and, the first time only, a transcript-ingest message enqueued in the same transaction. The answer is 202 with an empty body once everything is durable, also when
// every item was dropped as invalid: a prober learns nothing.
//
// Invariants:
//
//   - Never 202 before the receipts and messages of the valid items are committed; any
//     database or queue failure is 5xx, so Graph redelivers and nothing is lost.
//   - A transcript is enqueued at most once per tenant and dedupe key: a redelivery only
//     increments times_received (Graph duplicates and reorders freely).
//   - Tenant data is touched only inside tenancy.WithTx of the item's tenant; an item naming a
//     subscription of another tenant is an unknown subscription there.
//   - Nothing logs a clientState, a validation token, a body or decrypted content; a clientState
//     mismatch or a failed token is logged at Warn with graph_alert=true.
package graphnotifications
