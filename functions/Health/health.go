// Package health implements the Health function (GET /api/health): liveness and readiness for
// the Functions host, load balancers and our operators.
//
// The answer is 200 when every required dependency is up and every configured one is not down,
// and 503 otherwise, with a JSON body that says which and why. It never needs a tenant and
// never shows tenant data.
package health

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/meetingminutes/minutes/shared/config"
	"github.com/meetingminutes/minutes/shared/funchost"
	checks "github.com/meetingminutes/minutes/shared/health"
)

// Schema is one migration set's state in the database.
type Schema struct {
	Current int64 `json:"current"`
	Latest  int64 `json:"latest"`
}

// Deps are what the function needs; Checks is called per request so that a check sees the
// current state of lazily built clients.
type Deps struct {
	Version, Commit, Mode string
	Features              []config.Feature
	Checks                func() []checks.Check
	// Schema reads the schema versions; nil when the database is not configured.
	Schema func(ctx context.Context) (map[string]Schema, error)
	Runner checks.Runner
	Now    func() time.Time
}

// Handler answers GET /api/health.
type Handler struct{ d Deps }

// New returns the Health function's handler.
func New(d Deps) *Handler {
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Handler{d: d}
}

// Report is the JSON body of /api/health.
type Report struct {
	Status       string            `json:"status"`
	Version      string            `json:"version"`
	Commit       string            `json:"commit"`
	Mode         string            `json:"mode"`
	Time         time.Time         `json:"time"`
	Schema       map[string]Schema `json:"schema"`
	Dependencies []checks.Result   `json:"dependencies"`
	Features     []config.Feature  `json:"features"`
}

// Serve is the handler body; errors are mapped by funchost.
func (h *Handler) Serve(w http.ResponseWriter, r *http.Request) error {
	rep := h.Report(r.Context())
	status := http.StatusOK
	if rep.Status != "ready" {
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Cache-Control", "no-store")
	funchost.WriteJSON(w, status, rep)
	return nil
}

// Report runs every check and assembles the report.
func (h *Handler) Report(ctx context.Context) Report {
	list := append([]checks.Check(nil), h.d.Checks()...) // never append to the caller's slice
	rep := Report{Version: h.d.Version, Commit: h.d.Commit, Mode: h.d.Mode, Time: h.d.Now().UTC(), Features: h.d.Features, Schema: map[string]Schema{}}
	if h.d.Schema != nil {
		var schema map[string]Schema
		list = append(list, checks.Check{Name: "schema", Required: true, Run: func(ctx context.Context) (string, error) {
			s, err := h.d.Schema(ctx)
			if err != nil {
				return "", err
			}
			schema = s
			return describe(s)
		}})
		rep.Dependencies = h.d.Runner.Run(ctx, list)
		if schema != nil {
			rep.Schema = schema
		}
	} else {
		rep.Dependencies = h.d.Runner.Run(ctx, list)
	}
	rep.Status = "ready"
	if !checks.Ready(rep.Dependencies) {
		rep.Status = "not_ready"
	}
	return rep
}

// describe says whether the database schema matches this binary; behind is an error, because
// code would run against tables it does not know.
func describe(s map[string]Schema) (string, error) {
	for _, name := range []string{"control", "tenant"} {
		v, ok := s[name]
		if !ok {
			continue
		}
		if v.Current < v.Latest {
			return "", &behindError{set: name, current: v.Current, latest: v.Latest}
		}
	}
	return "schema current", nil
}

type behindError struct {
	set             string
	current, latest int64
}

func (e *behindError) Error() string {
	return fmt.Sprintf("the %s schema is at version %d, this build needs %d: run 'handler migrate up'", e.set, e.current, e.latest)
}
