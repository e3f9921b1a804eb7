// Package queue moves work between functions: Azure Service Bus under the Functions host,
// PostgreSQL (River) in standalone installs, and the parking lot where poison messages are
// kept.
//
// Invariant: a message is acknowledged only after its effect is durable — for a poison
// message, after its row in failed_messages is committed.
//
// # Queues and senders
//
// [Name] lists the queues (contract), each feeding one function. Functions enqueue through
// [Sender]: [ServiceBus] under Azure, [River] in standalone mode. An [Outgoing] message has an
// ID (the dedupe key, sent as MessageId), a JSON-object body, an optional delay, properties
// and a tenant. A caller holding a transaction enqueues with (*River).SendTx so the message
// exists if and only if its change commits. Both senders are also funchost.Requeuer
// implementations: a requeued copy travels under ID+"#retry-"+n, because a copy under the
// original ID would be dropped as a duplicate.
//
// # Standalone mode
//
// [Workers] run queue functions and timers in-process on River, with the semantics the
// Functions host gives Service Bus messages: success completes, funchost.Poison parks and
// completes, funchost.Later snoozes without using an attempt, other errors retry with backoff
// and, after the last attempt (10 by default, like maxDeliveryCount), park and discard.
// Timers are River periodic jobs enqueued by the elected leader, one occurrence per period
// across all replicas.
//
// River's tables are created by migrate.River (River's own migrator, run as the owner role by
// `handler migrate up`); the runtime role then has DML on them through the default privileges
// of control migration 00001. River stores job args as jsonb, so a function receives a body
// equal as JSON to the one sent, not byte for byte (key order and spacing may differ); Service
// Bus delivers the bytes sent.
package queue
