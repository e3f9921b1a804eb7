package graphnotifications

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/meetingminutes/minutes/shared/queue"
)

// Enqueuer sends the transcript-ingest messages of receipts just recorded in tx. It exists
// because two queues exist: River joins tx (RiverEnqueuer), Service Bus cannot
// (SenderEnqueuer). Either way a receipt is recorded as enqueued when it is written: it can
// only commit after its message was sent.
type Enqueuer interface {
	// Enqueue sends ms (of any tenants, each names its own). When it returns nil every
	// message must exist if tx commits; an error rolls tx back and the requests answer 5xx.
	Enqueue(ctx context.Context, tx pgx.Tx, ms []queue.Outgoing) error
}

// RiverEnqueuer enqueues on the PostgreSQL queue inside the receipts' transaction, in one
// round trip: the messages exist if and only if the receipts do (standalone and self-hosted
// installs).
type RiverEnqueuer struct{ River *queue.River }

// Enqueue implements Enqueuer with (*queue.River).SendManyTx.
func (e RiverEnqueuer) Enqueue(ctx context.Context, tx pgx.Tx, ms []queue.Outgoing) error {
	if err := e.River.SendManyTx(ctx, tx, queue.TranscriptIngest, ms); err != nil {
		return fmt.Errorf("enqueue %d notifications: %w", len(ms), err)
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

// Enqueue implements Enqueuer with Sender.Send per message; tx is not used.
func (e SenderEnqueuer) Enqueue(ctx context.Context, _ pgx.Tx, ms []queue.Outgoing) error {
	for _, m := range ms {
		if err := e.Sender.Send(ctx, queue.TranscriptIngest, m); err != nil {
			return fmt.Errorf("enqueue transcript %s: %w", m.ID, err)
		}
	}
	return nil
}

var (
	_ Enqueuer = RiverEnqueuer{}
	_ Enqueuer = SenderEnqueuer{}
)
