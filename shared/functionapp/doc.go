// Package functionapp checks a staged Azure Functions custom-handler app against the layout
// the Functions host needs and against the function contract of the design
// (ARCHITECTURE.md §2).
//
// A staged app is what scripts/package.sh writes to .build/functionapp and zips to
// .build/functionapp.zip:
//
//	host.json               version 2.0, bundle [4.*, 5.0.0), customHandler, routePrefix "api"
//	handler                 linux/amd64, statically linked, mode 0755
//	<Function>/function.json one folder per function of Contract, holding nothing else
//
// Invariants the checks enforce, each a trap the host does not report on its own:
//   - HTTP functions have exactly one httpTrigger in and one http out, otherwise
//     enableForwardingHttpRequest silently does not apply and the handler gets the JSON
//     envelope instead of the raw request (Stripe signatures need the raw body).
//   - No public route can reach an envelope path (/TranscriptIngest, …): routes never start
//     with "api/" and never catch everything at the root (azure-functions-host#6251).
//   - Service Bus triggers use dataType "binary" and cardinality "one", so the message body
//     arrives as plain base64 rather than a double-encoded string.
//   - The executable keeps its exec bit, also inside the zip (Unix creator, mode 0755).
//
// Check and CheckFS report every problem found, not just the first; each is a *Problem whose
// Rule says which requirement was broken.
package functionapp
