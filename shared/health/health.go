package health

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// State is the outcome of one check.
type State string

// States a check can end in.
const (
	// Up: the resource answered correctly.
	Up State = "up"
	// Down: the resource is configured but failed or timed out.
	Down State = "down"
	// Disabled: the resource is not configured; Detail says what would enable it.
	Disabled State = "disabled"
)

// Check is one resource check.
type Check struct {
	// Name identifies the resource ("database", "queue", "blob", "license").
	Name string
	// Required resources make the whole report not ready when they are not up, even when
	// merely disabled.
	Required bool
	// Disabled, when not empty, skips Run and reports the resource disabled for this reason.
	Disabled string
	// Run probes the resource and returns a short human detail ("postgres 15.4", "dir ok").
	Run func(ctx context.Context) (detail string, err error)
}

// Result is one check's outcome.
type Result struct {
	Name      string  `json:"name"`
	State     State   `json:"state"`
	Required  bool    `json:"required"`
	Detail    string  `json:"detail,omitempty"`
	LatencyMS float64 `json:"latency_ms"`
}

// Ready reports whether r lets the product serve: required checks up, optional ones up or
// disabled.
func (r Result) Ready() bool {
	if r.Required {
		return r.State == Up
	}
	return r.State != Down
}

// Runner runs checks concurrently, each under Timeout.
type Runner struct {
	// Timeout bounds each check. Default 2s: the host and load balancers probe often.
	Timeout time.Duration
	// Now is the clock for latencies; default time.Now.
	Now func() time.Time
}

// Run executes every check and returns the results sorted by name.
func (rn Runner) Run(ctx context.Context, checks []Check) []Result {
	timeout, now := rn.Timeout, rn.Now
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	if now == nil {
		now = time.Now
	}
	results := make([]Result, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		results[i] = Result{Name: c.Name, Required: c.Required}
		if c.Disabled != "" || c.Run == nil {
			results[i].State, results[i].Detail = Disabled, c.Disabled
			continue
		}
		wg.Add(1)
		go func(i int, c Check) {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			start := now()
			detail, err := runGuarded(cctx, c.Run)
			results[i].LatencyMS = float64(now().Sub(start).Microseconds()) / 1000
			switch {
			case err == nil:
				results[i].State, results[i].Detail = Up, detail
			case errors.Is(err, context.DeadlineExceeded) || cctx.Err() != nil:
				results[i].State, results[i].Detail = Down, fmt.Sprintf("no answer within %s", timeout)
			default:
				results[i].State, results[i].Detail = Down, err.Error()
			}
		}(i, c)
	}
	wg.Wait()
	slices.SortStableFunc(results, func(a, b Result) int { return strings.Compare(a.Name, b.Name) })
	return results
}

// runGuarded runs fn but returns as soon as ctx ends, even if fn ignores ctx.
func runGuarded(ctx context.Context, fn func(context.Context) (string, error)) (string, error) {
	type out struct {
		detail string
		err    error
	}
	ch := make(chan out, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				ch <- out{err: fmt.Errorf("check panicked: %v", p)}
			}
		}()
		d, err := fn(ctx)
		ch <- out{d, err}
	}()
	select {
	case o := <-ch:
		return o.detail, o.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Ready reports whether every result is Ready.
func Ready(results []Result) bool {
	for _, r := range results {
		if !r.Ready() {
			return false
		}
	}
	return true
}
