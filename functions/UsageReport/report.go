package usagereport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/meetingminutes/minutes/shared/billing"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/logging"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// Deps are the function's dependencies.
type Deps struct {
	// DB is the control-plane pool (runtime role). Required.
	DB tenancy.Beginner
	// Tenants lists every tenant (the registry path of sweeps). Required.
	Tenants *tenancy.Registry
	// Entitlements sweeps each tenant's billing state. Required.
	Entitlements *billing.Entitlements
	// Meters sends meter events; nil skips reporting (self-hosted installs, billing off).
	Meters billing.MeterSender
	// Stores counts each tenant's active users; nil skips the active_users meter.
	Stores store.Resolver
	// Notifier emails admins about suspensions; nil only logs.
	Notifier *billing.Notifier
	// Marketplace, when set, bills through the Marketplace metering service (a managed
	// application install) instead of Stripe meters.
	Marketplace *Marketplace
	// Log; default discards.
	Log *slog.Logger
}

// Handler serves UsageReport.
type Handler struct{ d Deps }

// New returns the handler.
func New(d Deps) *Handler {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Handler{d: d}
}

// Summary is what one run did, over every tenant.
type Summary struct {
	Tenants, Suspended, Released, Sent, Failed int
}

// Tick runs once per timer occurrence.
func (h *Handler) Tick(ctx context.Context, t funchost.Tick) error {
	sum, err := h.Run(ctx, t.At)
	h.d.Log.InfoContext(ctx, "usage report done", "tenants", sum.Tenants, "suspended", sum.Suspended,
		"released_meetings", sum.Released, "meter_events", sum.Sent, "failed_tenants", sum.Failed)
	return err
}

// Run does one report at at (the timer's time).
func (h *Handler) Run(ctx context.Context, at time.Time) (Summary, error) {
	var sum Summary
	var errs []error
	after := tenancy.ID{}
	for {
		page, err := h.d.Tenants.List(ctx, after, 500)
		if err != nil {
			return sum, errors.Join(append(errs, fmt.Errorf("usage report: %w", err))...)
		}
		for _, t := range page {
			if ctx.Err() != nil {
				return sum, errors.Join(append(errs, ctx.Err())...)
			}
			sum.Tenants++
			if err := h.tenant(ctx, t, at, &sum); err != nil {
				sum.Failed++
				errs = append(errs, err)
				h.d.Log.ErrorContext(ctx, "usage report of a tenant failed", logging.KeyTenantID, t.ID.String(), "error", err)
			}
		}
		if len(page) < 500 {
			return sum, errors.Join(errs...)
		}
		after = page[len(page)-1].ID
	}
}

// tenant does one tenant's part.
func (h *Handler) tenant(ctx context.Context, t tenancy.Tenant, at time.Time, sum *Summary) error {
	ctx = logging.With(ctx, slog.String(logging.KeyTenantID, t.ID.String()))
	sw, err := h.d.Entitlements.Sweep(ctx, t.ID)
	if err != nil {
		return err
	}
	if sw.Status == tenancy.StatusSuspended && t.Status != tenancy.StatusSuspended {
		sum.Suspended++
	}
	sum.Released += sw.Released
	h.d.Notifier.Send(ctx, sw.Notices)
	if h.d.Stores != nil && sw.Status != tenancy.StatusCancelled {
		st, err := h.d.Stores.For(ctx, t.ID)
		if err != nil {
			return fmt.Errorf("count active users of tenant %s: %w", t.ID, err)
		}
		n, err := store.CountActiveUsers(ctx, st)
		if err != nil {
			return fmt.Errorf("count active users of tenant %s: %w", t.ID, err)
		}
		if err := billing.RecordActiveUsers(ctx, h.d.DB, t.ID, at.Truncate(time.Hour).Add(-time.Hour), n); err != nil {
			return err
		}
	}
	if h.d.Marketplace != nil {
		n, err := h.reportMarketplace(ctx, t.ID, at)
		sum.Sent += n
		return err
	}
	if h.d.Meters == nil {
		return nil
	}
	res, err := billing.ReportUsage(ctx, h.d.DB, h.d.Meters, t.ID, at)
	sum.Sent += res.Sent
	return err
}
