// Package queue moves work between functions: Azure Service Bus under the Functions host,
// PostgreSQL (River) in standalone installs, and the parking lot where poison messages are
// kept.
//
// Invariant: a message is acknowledged only after its effect is durable — for a poison
// message, after its row in failed_messages is committed.
package queue
