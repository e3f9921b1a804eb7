// Package minutespublish implements the MinutesPublish function: one minutes-publish message
// (PublishMessage) at a time, delivered by the Functions host from Service Bus or by a River
// worker in standalone installs.
//
// For an approved minutes version it renders the Word document and the HTML (shared/document)
// and publishes them on each configured channel, in order:
//
//   - directory: the .docx and .html written into Deps.OutputDir/{tenant}/ (self-hosted);
//   - sharepoint: the .docx uploaded to the tenant's library (Settings.SharePointDriveID,
//     Settings.SharePointFolder) as "{yyyy-mm-dd} {subject} (v{n}).docx", replacing a file of
//     that name (an upload session above 4 MB);
//   - email: one message to the tenant's distribution list (organizer, attendees with an
//     address, extra addresses; at most MaxRecipients), through Graph sendMail from
//     Deps.SenderMailbox when the tenant is reachable through Graph, else through Deps.Mail
//     (SMTP or a directory of .eml files).
//
// Then the version becomes published, the meeting too, with a "publish" event on the
// meeting's timeline and a "minutes.published" audit entry (ids and channels only).
//
// Exactly-once effects under redelivery: each channel is claimed in minutes_publications
// (Ledger) before its effect and settled after. A redelivery skips settled channels. A claim
// left behind (a crash, a timeout between the effect and the settlement) is redone for the
// idempotent channels (directory and SharePoint replace the same file) but never for e-mail,
// which might have been sent: it is settled as failed, "delivery uncertain, not resent", and
// the meeting's timeline says so. A claim younger than Deps.ClaimTimeout may belong to an
// attempt still running, so an e-mail claim is only taken over once it is older.
//
// Failures: Graph 429/503 → the message is retried after Retry-After (funchost.Later); a
// refusal that retrying cannot fix (403 access denied, other 4xx, an invalid or rejected
// e-mail) → that channel is settled as failed with the reason, the meeting's timeline gets a
// failed "publish" event, and the other channels go on; anything else → the error is
// returned and the message redelivered. Minutes that are not approved, of an unknown or
// cancelled tenant, or not found (another tenant's id) are acknowledged with a log line.
package minutespublish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"time"

	"github.com/google/uuid"

	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/graph"
	"github.com/meetingminutes/minutes/shared/logging"
	"github.com/meetingminutes/minutes/shared/mail"
	"github.com/meetingminutes/minutes/shared/pipeline"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// StagePublish is the meeting timeline stage this function writes.
const StagePublish = "publish"

// ActionPublished is the audit action of a publication.
const ActionPublished = "minutes.published"

// maxMessageBytes bounds a message body: a real one is about 100 bytes.
const maxMessageBytes = 4 << 10

// PublishMessage is the body of a minutes-publish message (the same JSON MinutesGenerate
// and the review service send).
type PublishMessage struct {
	// TenantID is our tenant.
	TenantID tenancy.ID `json:"tenant_id"`
	// MinutesID is the approved minutes version to publish.
	MinutesID store.MinutesID `json:"minutes_id"`
}

// PublishKey is the message's dedupe id, "publish:{tenant}:{minutes}": one publication per
// minutes version.
func PublishKey(m PublishMessage) string {
	return "publish:" + m.TenantID.String() + ":" + m.MinutesID.String()
}

// Validate checks that m names a tenant and a minutes version.
func (m PublishMessage) Validate() error {
	switch {
	case m.TenantID.IsZero():
		return errors.New("publish message: no tenant_id")
	case m.MinutesID.IsZero():
		return errors.New("publish message: no minutes_id")
	}
	return nil
}

// GraphClient is the part of *graph.Client this function uses.
type GraphClient interface {
	UploadFile(ctx context.Context, driveID graph.DriveID, path string, r io.Reader, size int64) (graph.DriveItem, error)
	SendMail(ctx context.Context, from graph.UserID, m graph.Mail) error
}

// Tenants reads our tenant registry; *tenancy.Registry implements it.
type Tenants interface {
	Get(ctx context.Context, id tenancy.ID) (tenancy.Tenant, error)
}

// Deps are the handler's collaborators and settings.
type Deps struct {
	// Tenants and Stores are required.
	Tenants Tenants
	Stores  store.Resolver
	// Ledger records the publications; required (NewLedger on the runtime pool).
	Ledger Ledger
	// Graph returns the Graph client of an Entra tenant (graph.Clients.For); nil when Graph
	// is not configured (self-hosted): then there is no SharePoint channel and mail goes
	// through Mail.
	Graph func(azureTenant uuid.UUID) (GraphClient, error)
	// SenderMailbox is the mailbox (object id or UPN) minutes are sent from through Graph.
	// Default "": the meeting organizer's mailbox.
	SenderMailbox graph.UserID
	// Mail sends minutes when the tenant is not reachable through Graph; nil means no e-mail
	// channel then.
	Mail mail.Sender
	// MailFrom is the From of mail sent through Mail; zero means Mail's default.
	MailFrom mail.Address
	// OutputDir, when set, receives a copy of each publication (.docx and .html) under
	// OutputDir/{tenant id}/: the directory channel. Default "": none.
	OutputDir string
	// PortalURL is the public base URL of the portal, for the "open online" link of the
	// document and the e-mail; nil means no link.
	PortalURL *url.URL
	// ClaimTimeout is how long a claimed e-mail may stay unsettled before a redelivery
	// decides the attempt died; it must exceed the longest send (Graph's client timeout with
	// its retries). Default DefaultClaimTimeout.
	ClaimTimeout time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Log is the logger. Default: discard.
	Log *slog.Logger
}

// DefaultClaimTimeout is Deps.ClaimTimeout's default.
const DefaultClaimTimeout = 10 * time.Minute

// Handler serves MinutesPublish.
type Handler struct{ d Deps }

// New returns the handler.
func New(d Deps) *Handler {
	if d.ClaimTimeout <= 0 {
		d.ClaimTimeout = DefaultClaimTimeout
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Handler{d: d}
}

// Handle handles one minutes-publish message.
func (h *Handler) Handle(ctx context.Context, m funchost.Message) error {
	if len(m.Body) > maxMessageBytes {
		return funchost.Poison(fmt.Errorf("publish message: %d bytes", len(m.Body)))
	}
	var msg PublishMessage
	if err := m.JSON(&msg); err != nil {
		return err
	}
	if err := msg.Validate(); err != nil {
		return funchost.Poison(err)
	}
	ctx = logging.With(ctx, slog.String("minutes_id", msg.MinutesID.String()))
	ctx, t, ok, err := pipeline.MessageTenant(ctx, h.d.Tenants, m, msg.TenantID, "publish message", h.d.Log)
	if !ok {
		return err
	}
	st, err := h.d.Stores.For(ctx, t.ID)
	if err != nil {
		return fmt.Errorf("resolve tenant store: %w", err)
	}
	mins, err := st.Minutes(ctx, msg.MinutesID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		// Also another tenant's minutes id: the store cannot tell them apart, by design.
		h.d.Log.WarnContext(ctx, "publish message for minutes that do not exist dropped")
		return nil
	case err != nil:
		return fmt.Errorf("read minutes: %w", err)
	}
	switch mins.Status {
	case store.MinutesPublished:
		h.d.Log.InfoContext(ctx, "minutes already published", "version", mins.Version)
		return nil
	case store.MinutesApproved:
	default:
		h.d.Log.WarnContext(ctx, "publish message for minutes that are not approved dropped",
			"status", string(mins.Status), "version", mins.Version)
		return nil
	}
	j, err := h.prepare(ctx, t, st, mins)
	if err != nil || j == nil {
		return err
	}
	for _, ch := range j.channels {
		if err := h.publish(ctx, j, ch); err != nil {
			return err
		}
	}
	return h.finish(ctx, j)
}

// clip shortens a value for an error message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

var _ funchost.MessageFunc = (*Handler)(nil).Handle
