package graphnotifications

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/meetingminutes/minutes/shared/queue"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// Enqueuer sends a transcript-ingest message for a receipt just recorded in tx. It exists
// because two queues exist: River joins tx (RiverEnqueuer), Service Bus cannot
// (SenderEnqueuer).
type Enqueuer interface {
	// Enqueue sends body (a JSON object) as message key for tenant. When it returns nil the
	// message must exist if tx commits; an error rolls tx back and the request answers 5xx.
	Enqueue(ctx context.Context, tx pgx.Tx, tenant tenancy.ID, key string, body any) error
}

// transactional is implemented by an Enqueuer whose message commits with tx: then a receipt
// is marked enqueued as it is written, with no second statement.
type transactional interface{ inTransaction() bool }

func (RiverEnqueuer) inTransaction() bool { return true }

// manyEnqueuer sends several messages of one tenant in one call, inside tx.
type manyEnqueuer interface {
	EnqueueMany(ctx context.Context, tx pgx.Tx, tenant tenancy.ID, ms []queue.Outgoing) error
}

// EnqueueMany sends ms in one round trip (River's InsertManyTx).
func (e RiverEnqueuer) EnqueueMany(ctx context.Context, tx pgx.Tx, tenant tenancy.ID, ms []queue.Outgoing) error {
	if err := e.River.SendManyTx(ctx, tx, queue.TranscriptIngest, ms); err != nil {
		return fmt.Errorf("enqueue %d notifications: %w", len(ms), err)
	}
	return nil
}

// RiverEnqueuer enqueues on the PostgreSQL queue inside the receipt's transaction: the
// message exists if and only if the receipt does (standalone and self-hosted installs).
type RiverEnqueuer struct{ River *queue.River }

// Enqueue implements Enqueuer with (*queue.River).SendTx.
func (e RiverEnqueuer) Enqueue(ctx context.Context, tx pgx.Tx, tenant tenancy.ID, key string, body any) error {
	if err := e.River.SendTx(ctx, tx, queue.TranscriptIngest, queue.Outgoing{ID: key, Body: body, TenantID: tenant}); err != nil {
		return fmt.Errorf("enqueue transcript %s: %w", key, err)
	}
	return nil
}

// SenderEnqueuer enqueues through a queue.Sender that cannot join the transaction (Service
// Bus). It sends inside the transaction, before the commit, rather than after it: a send that
// fails rolls the receipt back (5xx, Graph redelivers); a commit that fails after a successful
// send leaves a message without receipt, and the redelivery sends it again under the same
// MessageId (the dedupe key), which Service Bus' duplicate detection drops. So a committed
// receipt always has its message, with no outbox or after-commit hook to crash between. The
// cost: the consumer may see the message a moment before the receipt commits (it must not
// depend on the receipt), or once without any receipt if the commit failed and Graph gave up.
// Not exercised by the tests here: Service Bus cannot run in them.
type SenderEnqueuer struct{ Sender queue.Sender }

// Enqueue implements Enqueuer with Sender.Send; tx is not used.
func (e SenderEnqueuer) Enqueue(ctx context.Context, _ pgx.Tx, tenant tenancy.ID, key string, body any) error {
	if err := e.Sender.Send(ctx, queue.TranscriptIngest, queue.Outgoing{ID: key, Body: body, TenantID: tenant}); err != nil {
		return fmt.Errorf("enqueue transcript %s: %w", key, err)
	}
	return nil
}

var (
	_ Enqueuer = RiverEnqueuer{}
	_ Enqueuer = SenderEnqueuer{}
)
