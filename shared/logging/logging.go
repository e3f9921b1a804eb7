// Package logging builds the process's structured logger: JSON lines through log/slog, with
// request-scoped attributes (invocation_id, function, tenant_id) carried on the context.
//
// Invariant: attributes added with With ride on ctx, so every ...Context log call made while
// handling an invocation carries them, without threading a logger through every call.
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Attribute keys shared by every package, so logs can be joined on them.
const (
	KeyInvocationID = "invocation_id"
	KeyFunction     = "function"
	KeyTenantID     = "tenant_id"
	KeyMessageID    = "message_id"
	KeyJobKind      = "job_kind"
	KeyJobID        = "job_id"
)

type ctxKey struct{}

// With returns a context whose log records carry attrs in addition to those already on ctx.
func With(ctx context.Context, attrs ...slog.Attr) context.Context {
	prev, _ := ctx.Value(ctxKey{}).([]slog.Attr)
	next := make([]slog.Attr, 0, len(prev)+len(attrs))
	next = append(next, prev...)
	next = append(next, attrs...)
	return context.WithValue(ctx, ctxKey{}, next)
}

// Attrs returns the attributes With put on ctx.
func Attrs(ctx context.Context) []slog.Attr {
	a, _ := ctx.Value(ctxKey{}).([]slog.Attr)
	return a
}

// ParseLevel reads a level name (debug, info, warn, error), case-insensitively.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "info":
		return slog.LevelInfo, nil
	case "debug":
		return slog.LevelDebug, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unknown log level %q (want debug, info, warn or error)", s)
}

// New returns a JSON logger writing to w at the given level, adding the context's attributes
// to every record.
func New(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(contextHandler{slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})})
}

// NewSplit returns a JSON logger that writes records below Error to out and Error records to
// errOut. Under the Functions host stdout lines are logged as Information and stderr lines as
// Error, so this keeps the host's view of severity right and stderr empty while all is well.
func NewSplit(out, errOut io.Writer, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	return slog.New(contextHandler{splitHandler{
		low:  slog.NewJSONHandler(out, opts),
		high: slog.NewJSONHandler(errOut, opts),
	}})
}

type splitHandler struct{ low, high slog.Handler }

func (h splitHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.low.Enabled(ctx, l) }

func (h splitHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		return h.high.Handle(ctx, r)
	}
	return h.low.Handle(ctx, r)
}

func (h splitHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return splitHandler{h.low.WithAttrs(attrs), h.high.WithAttrs(attrs)}
}

func (h splitHandler) WithGroup(name string) slog.Handler {
	return splitHandler{h.low.WithGroup(name), h.high.WithGroup(name)}
}

// NewHandler wraps h so records carry the context's attributes; for callers that choose their
// own output format.
func NewHandler(h slog.Handler) slog.Handler { return contextHandler{h} }

type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if attrs := Attrs(ctx); len(attrs) > 0 {
		r = r.Clone()
		r.AddAttrs(attrs...)
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(attrs)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}

var _ slog.Handler = contextHandler{}
