package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"github.com/meetingminutes/minutes/shared/funchost"
)

// ServiceBusConfig configures the Service Bus sender. Exactly one of Namespace (with
// Credential) or ConnectionString is set.
type ServiceBusConfig struct {
	// Namespace is the fully qualified namespace, e.g. sb-mm.servicebus.windows.net
	// (SERVICEBUS_NAMESPACE), reached with Credential (managed identity).
	Namespace string
	// Credential authenticates to Namespace; required with it.
	Credential azcore.TokenCredential
	// ConnectionString is a Service Bus connection string (ServiceBusConnection), used
	// when Namespace is empty. It is a secret: never logged (see LogValue).
	ConnectionString string
	// SendTimeout bounds one send, including connecting on first use. Default 30 seconds.
	SendTimeout time.Duration
}

// LogValue shows where the config points without the connection string's key.
func (c ServiceBusConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("namespace", c.Namespace),
		slog.Bool("connection_string_set", c.ConnectionString != ""),
		slog.Duration("send_timeout", c.SendTimeout),
	)
}

// messageSender is the part of *azservicebus.Sender that ServiceBus uses. It exists so the
// tests can check the messages ServiceBus builds without a Service Bus namespace (none can
// run on a developer machine or in CI: there is no emulator here); it is the only fake in
// this package.
type messageSender interface {
	SendMessage(ctx context.Context, message *azservicebus.Message, options *azservicebus.SendMessageOptions) error
	Close(ctx context.Context) error
}

var _ messageSender = (*azservicebus.Sender)(nil)

// ErrClosed reports a send on a closed ServiceBus.
var ErrClosed = errors.New("queue sender closed")

// defaultSendTimeout bounds one Service Bus send.
const defaultSendTimeout = 30 * time.Second

// ServiceBus sends messages to Azure Service Bus queues: the Sender under the Functions host,
// where the host's Service Bus triggers deliver them. One AMQP sender per queue is opened on
// first use and kept until Close.
//
// Dedupe relies on the queue's duplicate detection: each queue must be created with
// requiresDuplicateDetection (a Standard or Premium tier property, fixed at creation), and a
// second message with the same MessageId inside its duplicateDetectionHistoryTimeWindow
// (default 10 minutes) is accepted and dropped. Without it, every send is delivered.
type ServiceBus struct {
	client    *azservicebus.Client // nil in tests
	newSender func(queue string) (messageSender, error)
	timeout   time.Duration
	now       func() time.Time

	mu      sync.Mutex
	senders map[Name]messageSender
	closed  bool
}

// NewServiceBus returns a Service Bus sender. It does not connect: the first Send to each
// queue does.
func NewServiceBus(cfg ServiceBusConfig) (*ServiceBus, error) {
	var (
		client *azservicebus.Client
		err    error
	)
	switch {
	case cfg.Namespace != "" && cfg.ConnectionString != "":
		return nil, errors.New("new service bus sender: set Namespace or ConnectionString, not both")
	case cfg.Namespace != "":
		if cfg.Credential == nil {
			return nil, errors.New("new service bus sender: Credential is required with Namespace")
		}
		client, err = azservicebus.NewClient(cfg.Namespace, cfg.Credential, nil)
	case cfg.ConnectionString != "":
		client, err = azservicebus.NewClientFromConnectionString(cfg.ConnectionString, nil)
	default:
		return nil, errors.New("new service bus sender: Namespace or ConnectionString is required")
	}
	if err != nil {
		// The SDK's parse errors do not repeat the connection string's key.
		return nil, fmt.Errorf("new service bus sender: %w", err)
	}
	sb := newServiceBus(func(queue string) (messageSender, error) {
		return client.NewSender(queue, nil)
	}, cfg.SendTimeout)
	sb.client = client
	return sb, nil
}

// newServiceBus returns a ServiceBus over newSender (the tests' seam).
func newServiceBus(newSender func(queue string) (messageSender, error), timeout time.Duration) *ServiceBus {
	if timeout <= 0 {
		timeout = defaultSendTimeout
	}
	return &ServiceBus{newSender: newSender, timeout: timeout, now: time.Now, senders: map[Name]messageSender{}}
}

// Send sends m to queue q, waiting at most the send timeout. The message carries MessageId =
// m.ID, ContentType application/json, the properties (and tenant_id) as application
// properties, and for a Delay a ScheduledEnqueueTime of now+Delay.
func (s *ServiceBus) Send(ctx context.Context, q Name, m Outgoing) error {
	e, err := encode(q, m)
	if err != nil {
		return fmt.Errorf("send to %s: %w", q, err)
	}
	return s.send(ctx, q, e)
}

// Requeue sends m again to function's queue with a ScheduledEnqueueTime after the delay,
// under m.MessageID+"#retry-"+n (see retryID): duplicate detection would drop a copy under
// the original MessageId inside the detection window.
func (s *ServiceBus) Requeue(ctx context.Context, function string, m funchost.Message, after time.Duration) error {
	q, e, err := requeued(function, m, after)
	if err != nil {
		return err
	}
	return s.send(ctx, q, e)
}

func (s *ServiceBus) send(ctx context.Context, q Name, e encoded) error {
	sender, err := s.sender(q)
	if err != nil {
		return fmt.Errorf("send message %q to %s: %w", e.id, q, err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := sender.SendMessage(ctx, serviceBusMessage(e, s.now()), nil); err != nil {
		return fmt.Errorf("send message %q to %s: %w", e.id, q, err)
	}
	return nil
}

// serviceBusMessage builds the Service Bus message of e, sent at now.
func serviceBusMessage(e encoded, now time.Time) *azservicebus.Message {
	id, contentType := e.id, "application/json"
	msg := &azservicebus.Message{Body: e.body, MessageID: &id, ContentType: &contentType}
	if len(e.properties) > 0 {
		msg.ApplicationProperties = make(map[string]any, len(e.properties))
		for k, v := range e.properties {
			msg.ApplicationProperties[k] = v
		}
	}
	if e.delay > 0 {
		at := now.Add(e.delay).UTC()
		msg.ScheduledEnqueueTime = &at
	}
	return msg
}

// sender returns the cached sender of q, opening it on first use.
func (s *ServiceBus) sender(q Name) (messageSender, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if snd, ok := s.senders[q]; ok {
		return snd, nil
	}
	snd, err := s.newSender(string(q))
	if err != nil {
		return nil, fmt.Errorf("open sender: %w", err)
	}
	s.senders[q] = snd
	return snd, nil
}

// Close closes every sender and the client; later sends fail with ErrClosed.
func (s *ServiceBus) Close(ctx context.Context) error {
	s.mu.Lock()
	senders := s.senders
	s.senders, s.closed = map[Name]messageSender{}, true
	s.mu.Unlock()
	var errs []error
	for q, snd := range senders {
		if err := snd.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("close sender for %s: %w", q, err))
		}
	}
	if s.client != nil {
		if err := s.client.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("close service bus client: %w", err))
		}
	}
	return errors.Join(errs...)
}

var (
	_ Sender            = (*ServiceBus)(nil)
	_ funchost.Requeuer = (*ServiceBus)(nil)
)
