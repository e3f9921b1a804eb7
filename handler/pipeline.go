package main

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	minutesgenerate "github.com/meetingminutes/minutes/functions/MinutesGenerate"
	minutespublish "github.com/meetingminutes/minutes/functions/MinutesPublish"
	subscriptionrenewal "github.com/meetingminutes/minutes/functions/SubscriptionRenewal"
	transcriptingest "github.com/meetingminutes/minutes/functions/TranscriptIngest"
	"github.com/meetingminutes/minutes/shared/blob"
	"github.com/meetingminutes/minutes/shared/config"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/generate"
	"github.com/meetingminutes/minutes/shared/graph"
	"github.com/meetingminutes/minutes/shared/mail"
	"github.com/meetingminutes/minutes/shared/pipeline"
	"github.com/meetingminutes/minutes/shared/queue"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
	"github.com/meetingminutes/minutes/shared/upload"
)

// shared holds the clients several functions use, each built once on first use (they hold
// connections and token caches that must not multiply).
type shared struct {
	senderOnce sync.Once
	sender     queue.Sender
	river      *queue.River
	senderErr  error

	blobOnce sync.Once
	blobs    blob.Store
	blobErr  error

	graphOnce sync.Once
	graph     *graph.Clients

	mailOnce sync.Once
	mail     mail.Sender
	mailFrom mail.Address
	mailErr  error
}

// mailer is the product's outgoing mail (SMTP, a directory, or Graph from our own mailbox),
// built once: the Graph sender holds a token cache, and the timers ask every few minutes.
// A nil sender means mail is off.
func (a *app) mailer() (mail.Sender, mail.Address, error) {
	a.shared.mailOnce.Do(func() { a.shared.mail, a.shared.mailFrom, a.shared.mailErr = newMailer(a.cfg) })
	return a.shared.mail, a.shared.mailFrom, a.shared.mailErr
}

// queueSender returns the queue the functions send to: River on the database (standalone,
// self-hosted) or Service Bus.
func (a *app) queueSender() (queue.Sender, *queue.River, error) {
	a.shared.senderOnce.Do(func() {
		switch a.cfg.QueueBackend() {
		case config.QueuePostgres:
			if a.pool == nil {
				a.shared.senderErr = errors.New("the PostgreSQL queue needs DATABASE_URL")
				return
			}
			r, err := queue.NewRiver(a.pool, queue.RiverOptions{Logger: a.log})
			a.shared.sender, a.shared.river, a.shared.senderErr = r, r, err
		case config.QueueServiceBus:
			sbc := queue.ServiceBusConfig{ConnectionString: a.cfg.Queue.ServiceBusConnectionString.Reveal()}
			if a.cfg.Queue.ServiceBusNamespace != "" {
				cred, err := azidentity.NewDefaultAzureCredential(nil)
				if err != nil {
					a.shared.senderErr = fmt.Errorf("service bus identity: %w", err)
					return
				}
				sbc = queue.ServiceBusConfig{Namespace: a.cfg.Queue.ServiceBusNamespace, Credential: cred}
			}
			sb, err := queue.NewServiceBus(sbc)
			if err != nil {
				a.shared.senderErr = errors.New("service bus is misconfigured")
				return
			}
			a.shared.sender = sb
		default:
			a.shared.senderErr = errors.New("no queue: set DATABASE_URL or SERVICEBUS_NAMESPACE")
		}
	})
	return a.shared.sender, a.shared.river, a.shared.senderErr
}

// blobStore returns the tenants' file store: a directory, or Azure Blob by connection string
// (Azurite) or managed identity.
func (a *app) blobStore() (blob.Store, error) {
	a.shared.blobOnce.Do(func() {
		c := a.cfg.Blob
		switch {
		case c.Dir != "":
			a.shared.blobs, a.shared.blobErr = blob.NewDir(c.Dir)
		case c.ConnectionString.IsSet():
			a.shared.blobs, a.shared.blobErr = blob.NewAzureFromConnectionString(c.ConnectionString.Reveal(), c.Container, nil)
		case c.AccountURL != nil:
			cred, err := azidentity.NewDefaultAzureCredential(nil)
			if err != nil {
				a.shared.blobErr = fmt.Errorf("blob identity: %w", err)
				return
			}
			a.shared.blobs, a.shared.blobErr = blob.NewAzure(c.AccountURL.String(), cred, c.Container, nil)
		default:
			a.shared.blobErr = errors.New("no blob store: set BLOB_DIR or AZURE_STORAGE_BLOB_URL")
		}
	})
	return a.shared.blobs, a.shared.blobErr
}

// graphClients returns the per-tenant Graph clients, nil when the app registration is not
// configured.
func (a *app) graphClients() *graph.Clients {
	a.shared.graphOnce.Do(func() {
		id := a.cfg.Identity
		if id.ClientID == "" || !id.ClientSecret.IsSet() {
			return
		}
		o := graph.ClientsOptions{ClientID: id.ClientID, ClientSecret: id.ClientSecret.Reveal(), Authority: id.Authority.String()}
		if a.cfg.Graph.BaseURL != nil {
			o.BaseURL = a.cfg.Graph.BaseURL.String()
		}
		a.shared.graph = graph.NewClients(o)
	})
	return a.shared.graph
}

// notificationKeys are the private keys of the rich-notification certificates by id.
func (a *app) notificationKeys() map[string]*rsa.PrivateKey {
	keys := map[string]*rsa.PrivateKey{}
	for _, c := range a.cfg.Graph.NotificationCerts {
		keys[c.ID] = c.Key
	}
	return keys
}

// unavailableMessage abandons every message with reason: the host redelivers it (and
// dead-letters it after maxDeliveryCount), nothing is lost while an operator fixes the
// configuration.
func unavailableMessage(reason string) funchost.MessageFunc {
	return func(context.Context, funchost.Message) error { return funchost.Unavailable(reason) }
}

// transcriptIngest builds the TranscriptIngest function.
func (a *app) transcriptIngest() funchost.MessageFunc {
	if a.pool == nil {
		return unavailableMessage("TranscriptIngest needs DATABASE_URL")
	}
	sender, _, err := a.queueSender()
	if err != nil {
		return unavailableMessage("TranscriptIngest: " + err.Error())
	}
	blobs, err := a.blobStore()
	if err != nil {
		return unavailableMessage("TranscriptIngest: " + err.Error())
	}
	clients := a.graphClients()
	if clients == nil {
		return unavailableMessage("TranscriptIngest needs ENTRA_CLIENT_ID and ENTRA_CLIENT_SECRET (Microsoft Graph)")
	}
	d := transcriptingest.Deps{
		Tenants: tenancy.NewRegistry(a.pool), Stores: store.NewManagedResolver(a.pool),
		Graph: func(azure uuid.UUID) (transcriptingest.GraphClient, error) { return clients.For(azure) },
		Blobs: blobs, Queue: sender, AppID: a.cfg.Identity.ClientID, Log: a.log,
	}
	if mailer, from, err := a.mailer(); err == nil && mailer != nil {
		d.Notifier = pipeline.MailNotifier{Sender: mailer, From: from, BaseURL: a.cfg.PublicBaseURL}
	}
	return transcriptingest.New(d).Handle
}

// appRequeuer re-sends a message that asked for Later through the app's queue, built on first
// use (Service Bus scheduled enqueue, or River).
type appRequeuer struct{ a *app }

// Requeue implements funchost.Requeuer.
func (r appRequeuer) Requeue(ctx context.Context, function string, m funchost.Message, after time.Duration) error {
	s, _, err := r.a.queueSender()
	if err != nil {
		return err
	}
	rq, ok := s.(funchost.Requeuer)
	if !ok {
		return fmt.Errorf("requeue %s: the queue cannot schedule messages", function)
	}
	return rq.Requeue(ctx, function, m, after)
}

// subscriptionRenewal builds the SubscriptionRenewal timer; without what it needs it says so
// in the log on every tick and succeeds (a timer has nobody to answer).
func (a *app) subscriptionRenewal() funchost.TickFunc {
	missing := ""
	base := a.cfg.PublicBaseURL
	clients := a.graphClients()
	sender, _, qerr := a.queueSender()
	switch {
	case a.pool == nil:
		missing = "DATABASE_URL"
	case clients == nil:
		missing = "ENTRA_CLIENT_ID and ENTRA_CLIENT_SECRET"
	case base == nil || base.Scheme != "https":
		missing = "an https PUBLIC_BASE_URL (Graph delivers notifications over https only)"
	case qerr != nil:
		missing = "a queue (" + qerr.Error() + ")"
	}
	if missing != "" {
		return func(ctx context.Context, _ funchost.Tick) error {
			a.log.InfoContext(ctx, "SubscriptionRenewal is idle: it needs "+missing, "function", "SubscriptionRenewal")
			return nil
		}
	}
	d := subscriptionrenewal.Deps{DB: a.pool, Tenants: tenancy.NewRegistry(a.pool), Stores: store.NewManagedResolver(a.pool),
		Graph: func(azure uuid.UUID) (subscriptionrenewal.GraphClient, error) { return clients.For(azure) },
		Queue: sender, NotificationURL: base.JoinPath("/api/graph/notifications").String(),
		LifecycleURL: base.JoinPath("/api/graph/lifecycle").String(), AppID: a.cfg.Identity.ClientID, Log: a.log}
	if certs := a.cfg.Graph.NotificationCerts; len(certs) > 0 {
		d.Certificate = &subscriptionrenewal.Certificate{ID: certs[0].ID, Certificate: certs[0].Certificate}
	}
	return subscriptionrenewal.New(d).Tick
}

// generator is the minutes generator: the LLM when OPENAI_* configures one (it falls back to
// the offline draft by itself), else the offline generator.
func (a *app) generator() (generate.Generator, error) {
	lookup := func(k string) string {
		if a.cfg.Lookup == nil {
			return ""
		}
		v, _ := a.cfg.Lookup(k)
		return v
	}
	c, err := generate.LoadLLMConfig(lookup)
	if err != nil {
		return nil, &config.Error{Key: "OPENAI_*", Reason: err.Error()}
	}
	if !c.Configured() {
		return &generate.Offline{}, nil
	}
	return generate.NewLLM(c, &generate.LLMOptions{Logger: a.log})
}

// minutesGenerate builds the MinutesGenerate function.
func (a *app) minutesGenerate() funchost.MessageFunc {
	if a.pool == nil {
		return unavailableMessage("MinutesGenerate needs DATABASE_URL")
	}
	sender, _, err := a.queueSender()
	if err != nil {
		return unavailableMessage("MinutesGenerate: " + err.Error())
	}
	blobs, err := a.blobStore()
	if err != nil {
		return unavailableMessage("MinutesGenerate: " + err.Error())
	}
	gen, err := a.generator()
	if err != nil {
		return unavailableMessage("MinutesGenerate: " + err.Error())
	}
	d := minutesgenerate.Deps{Tenants: tenancy.NewRegistry(a.pool), Stores: store.NewManagedResolver(a.pool),
		Blobs: blobs, Generator: gen, Queue: sender, Log: a.log}
	if a.cfg.Feature(config.FeatureBilling).Enabled {
		d.Admitter = a.billingEntitlements()
	}
	if mailer, from, err := a.mailer(); err == nil && mailer != nil {
		d.Approvers = pipeline.MailApprovers{Sender: mailer, From: from, BaseURL: a.cfg.PublicBaseURL}
	}
	return minutesgenerate.New(d).Handle
}

// resumeHeld is billing's Resumer: meetings released from a hold (an upgrade, a new period,
// a reinstatement) go back to transcript_received and get their minutes-generate message, in
// the transaction that released them when the queue can join it (River).
func (a *app) resumeHeld(ctx context.Context, tx pgx.Tx, tenant tenancy.ID, meetings []store.MeetingID) error {
	sender, river, err := a.queueSender()
	if err != nil {
		return err
	}
	for _, id := range meetings {
		var n int
		if err := tx.QueryRow(ctx, `WITH m AS (
    UPDATE meetings SET status = 'transcript_received', status_detail = '', updated_at = now()
     WHERE tenant_id = $1 AND id = $2 AND status = 'over_quota' RETURNING id)
SELECT count(t.id) FROM m JOIN transcripts t ON t.tenant_id = $1 AND t.meeting_id = m.id`, tenant, id).Scan(&n); err != nil {
			return fmt.Errorf("resume meeting %s: %w", id, err)
		}
		if n == 0 {
			continue // not held (any more), or no transcript
		}
		gm := pipeline.GenerateMessage{TenantID: tenant, MeetingID: id, Transcripts: n}
		out := queue.Outgoing{ID: pipeline.GenerateKey(gm) + ":resumed", Body: gm, TenantID: tenant}
		if river != nil {
			err = river.SendTx(ctx, tx, queue.MinutesGenerate, out)
		} else {
			err = sender.Send(ctx, queue.MinutesGenerate, out)
		}
		if err != nil {
			return fmt.Errorf("resume meeting %s: %w", id, err)
		}
	}
	return nil
}

// queuePublish is the review service's OnApproved: an approved version is queued for
// MinutesPublish under its publication key (a repeat is dropped as a duplicate).
func (a *app) queuePublish(ctx context.Context, tenant tenancy.ID, m store.Minutes) error {
	sender, _, err := a.queueSender()
	if err != nil {
		return err
	}
	pm := minutesgenerate.PublishMessage{TenantID: tenant, MinutesID: m.ID}
	if err := sender.Send(ctx, queue.MinutesPublish, queue.Outgoing{ID: minutesgenerate.PublishKey(pm), Body: pm, TenantID: tenant}); err != nil {
		a.log.ErrorContext(ctx, "approved minutes could not be queued for publishing", "minutes_id", m.ID.String(), "error", err.Error())
		return err
	}
	return nil
}

// pipelineSweep runs the pipeline's catch-up (approval reminders, stuck publications) on the
// TenantHealthSweep timer; nothing without a database and a queue.
func (a *app) pipelineSweep(ctx context.Context) {
	if a.pool == nil {
		return
	}
	sender, _, err := a.queueSender()
	if err != nil {
		return
	}
	s := &pipeline.Sweeper{Tenants: tenancy.NewRegistry(a.pool), Stores: store.NewManagedResolver(a.pool), Queue: sender, Log: a.log}
	if mailer, from, err := a.mailer(); err == nil && mailer != nil {
		s.Reminder = pipeline.MailApprovers{Sender: mailer, From: from, BaseURL: a.cfg.PublicBaseURL}
	}
	rep, err := s.Run(ctx)
	if err != nil {
		a.log.WarnContext(ctx, "pipeline sweep incomplete", "error", err.Error())
	}
	if rep.Reminded+rep.Requeued > 0 {
		a.log.InfoContext(ctx, "pipeline sweep", "tenants", rep.Tenants, "reminded", rep.Reminded, "requeued", rep.Requeued)
	}
}

// entraCredential is the app's managed identity (AZURE_CLIENT_ID for a user-assigned one),
// used where a service accepts only Entra tokens (PostgreSQL with DATABASE_AUTH=entra).
func entraCredential(cfg *config.Config) (*azidentity.ManagedIdentityCredential, error) {
	o := &azidentity.ManagedIdentityCredentialOptions{}
	if id := cfg.Marketplace.ClientID; id != "" {
		o.ID = azidentity.ClientID(id)
	}
	return azidentity.NewManagedIdentityCredential(o)
}

// uploads is the transcript-upload service; nil (its routes answer 503) without a queue or a
// blob store.
func (a *app) uploads() *upload.Service {
	sender, _, err := a.queueSender()
	if err != nil {
		return nil
	}
	blobs, err := a.blobStore()
	if err != nil {
		return nil
	}
	return upload.New(blobs, sender, a.log, nil)
}

// minutesPublish builds the MinutesPublish function: SharePoint and Graph mail when the app
// registration is configured, SMTP/.eml and PUBLISH_DIR otherwise.
func (a *app) minutesPublish() funchost.MessageFunc {
	if a.pool == nil {
		return unavailableMessage("MinutesPublish needs DATABASE_URL")
	}
	d := minutespublish.Deps{
		Tenants: tenancy.NewRegistry(a.pool), Stores: store.NewManagedResolver(a.pool),
		Ledger: minutespublish.NewLedger(a.pool), SenderMailbox: graph.UserID(a.cfg.Publish.FromMailbox),
		OutputDir: a.cfg.Publish.Dir, PortalURL: a.cfg.PublicBaseURL, Log: a.log,
	}
	if clients := a.graphClients(); clients != nil {
		d.Graph = func(azure uuid.UUID) (minutespublish.GraphClient, error) { return clients.For(azure) }
	}
	if mailer, from, err := a.mailer(); err == nil && mailer != nil {
		d.Mail, d.MailFrom = mailer, from
	}
	return minutespublish.New(d).Handle
}
