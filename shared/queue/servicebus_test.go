package queue

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// fakeSender records what ServiceBus hands to an *azservicebus.Sender. Service Bus has no
// emulator that runs here, so this seam (messageSender) is the one fake in the package: it
// checks the messages we build, not Service Bus.
type fakeSender struct {
	queue string
	mu    sync.Mutex
	sent  []*azservicebus.Message
	// deadlines holds the time left on each send's context.
	deadlines []time.Duration
	err       error
	closed    bool
}

func (f *fakeSender) SendMessage(ctx context.Context, m *azservicebus.Message, _ *azservicebus.SendMessageOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	dl, ok := ctx.Deadline()
	if !ok {
		return errors.New("send without a deadline")
	}
	f.deadlines = append(f.deadlines, time.Until(dl))
	if f.err != nil {
		return f.err
	}
	f.sent = append(f.sent, m)
	return nil
}

func (f *fakeSender) Close(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

type serviceBusBundle struct {
	senders map[string]*fakeSender
	opened  map[string]int
	now     time.Time
}

func setupServiceBus(t *testing.T) (*ServiceBus, *serviceBusBundle) {
	t.Helper()
	b := &serviceBusBundle{senders: map[string]*fakeSender{}, opened: map[string]int{},
		now: time.Date(2026, 5, 1, 10, 0, 0, 0, time.FixedZone("CEST", 2*3600))}
	var mu sync.Mutex
	sb := newServiceBus(func(queue string) (messageSender, error) {
		mu.Lock()
		defer mu.Unlock()
		if queue == string(Migrations) {
			return nil, errors.New("no such entity")
		}
		b.opened[queue]++
		f := &fakeSender{queue: queue}
		b.senders[queue] = f
		return f, nil
	}, 2*time.Second)
	sb.now = func() time.Time { return b.now }
	return sb, b
}

func TestServiceBusSend(t *testing.T) {
	t.Parallel()

	t.Run("BuildsTheMessage", func(t *testing.T) {
		t.Parallel()
		sb, b := setupServiceBus(t)
		tenant := tenancy.NewID()
		require.NoError(t, sb.Send(t.Context(), TranscriptIngest, Outgoing{
			ID: "t1:tr-9", Body: map[string]string{"transcript_id": "tr-9"}, TenantID: tenant,
			Properties: map[string]string{"source": "graph"},
		}))
		f := b.senders["transcript-ingest"]
		require.Len(t, f.sent, 1)
		m := f.sent[0]
		require.Equal(t, "t1:tr-9", *m.MessageID)
		require.Equal(t, "application/json", *m.ContentType)
		require.JSONEq(t, `{"transcript_id":"tr-9"}`, string(m.Body))
		require.Equal(t, map[string]any{"source": "graph", PropertyTenantID: tenant.String()}, m.ApplicationProperties)
		require.Nil(t, m.ScheduledEnqueueTime, "no delay: enqueued at once")
		require.Nil(t, m.Subject)
		require.Greater(t, f.deadlines[0], time.Second)
		require.LessOrEqual(t, f.deadlines[0], 2*time.Second, "bounded by SendTimeout")
	})

	t.Run("DelayBecomesScheduledEnqueueTime", func(t *testing.T) {
		t.Parallel()
		sb, b := setupServiceBus(t)
		require.NoError(t, sb.Send(t.Context(), MinutesGenerate, Outgoing{ID: "g", Body: map[string]int{}, Delay: 5 * time.Minute}))
		m := b.senders["minutes-generate"].sent[0]
		require.NotNil(t, m.ScheduledEnqueueTime)
		require.Equal(t, b.now.Add(5*time.Minute).UTC(), *m.ScheduledEnqueueTime)
		require.Equal(t, time.UTC, m.ScheduledEnqueueTime.Location())
		require.Nil(t, m.ApplicationProperties)
	})

	t.Run("OneSenderPerQueueClosedOnClose", func(t *testing.T) {
		t.Parallel()
		sb, b := setupServiceBus(t)
		for range 3 {
			require.NoError(t, sb.Send(t.Context(), MinutesPublish, Outgoing{Body: map[string]int{}}))
		}
		require.NoError(t, sb.Send(t.Context(), MinutesGenerate, Outgoing{Body: map[string]int{}}))
		require.Equal(t, map[string]int{"minutes-publish": 1, "minutes-generate": 1}, b.opened)
		ids := map[string]bool{}
		for _, m := range b.senders["minutes-publish"].sent {
			ids[*m.MessageID] = true
		}
		require.Len(t, ids, 3, "messages without ID get distinct ones")

		require.NoError(t, sb.Close(t.Context()))
		require.True(t, b.senders["minutes-publish"].closed)
		require.True(t, b.senders["minutes-generate"].closed)
		require.ErrorIs(t, sb.Send(t.Context(), MinutesPublish, Outgoing{Body: map[string]int{}}), ErrClosed)
	})

	t.Run("ErrorsAreWrapped", func(t *testing.T) {
		t.Parallel()
		sb, b := setupServiceBus(t)
		require.NoError(t, sb.Send(t.Context(), MinutesPublish, Outgoing{Body: map[string]int{}}))
		boom := errors.New("amqp link detached")
		b.senders["minutes-publish"].err = boom
		err := sb.Send(t.Context(), MinutesPublish, Outgoing{ID: "p1", Body: map[string]int{}})
		require.ErrorIs(t, err, boom)
		require.ErrorContains(t, err, `send message "p1" to minutes-publish`)

		require.ErrorContains(t, sb.Send(t.Context(), Migrations, Outgoing{Body: map[string]int{}}), "open sender: no such entity")
		require.ErrorIs(t, sb.Send(t.Context(), "nope", Outgoing{Body: map[string]int{}}), ErrUnknownQueue)
		require.ErrorIs(t, sb.Send(t.Context(), MinutesPublish, Outgoing{Body: "text"}), ErrInvalidMessage)
	})

	t.Run("RequeueUsesARetryIDAndADelay", func(t *testing.T) {
		t.Parallel()
		sb, b := setupServiceBus(t)
		m := funchost.Message{MessageID: "t1:tr-9", DeliveryCount: 2, Body: []byte(`{"transcript_id":"tr-9"}`),
			Properties: map[string]any{PropertyTenantID: "abc"}}
		require.NoError(t, sb.Requeue(t.Context(), "TranscriptIngest", m, 10*time.Minute))
		sent := b.senders["transcript-ingest"].sent[0]
		require.Equal(t, "t1:tr-9#retry-2", *sent.MessageID, "not the original id: duplicate detection would drop it")
		require.Equal(t, `{"transcript_id":"tr-9"}`, string(sent.Body), "the body byte for byte")
		require.Equal(t, map[string]any{PropertyTenantID: "abc"}, sent.ApplicationProperties)
		require.Equal(t, b.now.Add(10*time.Minute).UTC(), *sent.ScheduledEnqueueTime)
	})
}

func TestNewServiceBus(t *testing.T) {
	t.Parallel()
	const connStr = "Endpoint=sb://sb-mm.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=c2VjcmV0LWtleQ=="
	cases := []struct {
		name string
		cfg  ServiceBusConfig
		want string
	}{
		{"Nothing", ServiceBusConfig{}, "Namespace or ConnectionString is required"},
		{"Both", ServiceBusConfig{Namespace: "sb-mm.servicebus.windows.net", ConnectionString: connStr}, "not both"},
		{"NamespaceWithoutCredential", ServiceBusConfig{Namespace: "sb-mm.servicebus.windows.net"}, "Credential is required"},
		{"BadConnectionString", ServiceBusConfig{ConnectionString: "SharedAccessKey=c2VjcmV0"}, "new service bus sender"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewServiceBus(tt.cfg)
			require.ErrorContains(t, err, tt.want)
			require.NotContains(t, err.Error(), "c2VjcmV0")
		})
	}

	t.Run("ConnectionStringDoesNotConnect", func(t *testing.T) {
		sb, err := NewServiceBus(ServiceBusConfig{ConnectionString: connStr})
		require.NoError(t, err)
		require.NoError(t, sb.Close(t.Context()))
	})

	t.Run("LogValueHidesTheConnectionString", func(t *testing.T) {
		var out strings.Builder
		slog.New(slog.NewTextHandler(&out, nil)).Info("queue", "config", ServiceBusConfig{ConnectionString: connStr})
		require.NotContains(t, out.String(), "c2VjcmV0")
		require.Contains(t, out.String(), "connection_string_set=true")
	})
}
