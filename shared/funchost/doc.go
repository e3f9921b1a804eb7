// Package funchost speaks the Azure Functions custom-handler protocol.
//
// The Functions host calls the handler process in two ways (see shared/reference/functions.md):
//
//   - HTTP functions (one httpTrigger in, one http out, with enableForwardingHttpRequest) are
//     forwarded as the original request, path still carrying the /api prefix. They are plain
//     net/http handlers and run unchanged in standalone mode.
//   - Every other trigger (Service Bus, timer) arrives as POST /{FunctionName} with a JSON
//     envelope {"Data": {...}, "Metadata": {...}}. The host JSON-encodes strings a second time,
//     sends numbers as strings, base64-encodes binary data and has changed shapes between
//     versions, so every value is decoded tolerantly here and nowhere else.
//
// Adapters turn an envelope into a call of a plain Go function (MessageFunc, TickFunc) and turn
// its error into a reply the host can parse: 200 with a JSON object on success or when a poison
// message has been parked, 5xx to abandon a Service Bus message for redelivery. Errors map to
// HTTP statuses only here (StatusOf).
//
// Invariants: envelope paths are mounted only on the host-facing listener (127.0.0.1), never
// beside public routes under a catch-all, so no public request can reach them; every reply to an
// envelope is application/json and a non-empty object, because anything else hangs or fails the
// host's invocation.
package funchost
