package graphhook

import (
	"errors"
	"fmt"
)

// LifecycleEvent is a lifecycle notification's lifecycleEvent.
type LifecycleEvent string

// The lifecycle events Graph documents. Transcript subscriptions receive only
// LifecycleReauthorizationRequired; the others exist for Outlook and chat resources and are
// parsed so that a shared lifecycle URL handles them.
const (
	// LifecycleReauthorizationRequired: reauthorize (POST /subscriptions/{id}/reauthorize) or
	// renew with PATCH; notifications produced while delivery was paused are lost, so resync.
	LifecycleReauthorizationRequired LifecycleEvent = "reauthorizationRequired"
	// LifecycleSubscriptionRemoved: the subscription is gone; create a new one, then resync.
	LifecycleSubscriptionRemoved LifecycleEvent = "subscriptionRemoved"
	// LifecycleMissed: notifications were dropped; resync with delta.
	LifecycleMissed LifecycleEvent = "missed"
)

// ErrUnknownLifecycleEvent means a lifecycleEvent value this package does not know.
var ErrUnknownLifecycleEvent = errors.New("graphhook: unknown lifecycle event")

// ParseLifecycleEvent returns the LifecycleEvent named s (exact, case-sensitive match), or
// ErrUnknownLifecycleEvent.
func ParseLifecycleEvent(s string) (LifecycleEvent, error) {
	e := LifecycleEvent(s)
	if !e.Known() {
		return "", fmt.Errorf("parse lifecycle event %q: %w", truncate(s, 64), ErrUnknownLifecycleEvent)
	}
	return e, nil
}

// Known reports whether e is one of the documented lifecycle events.
func (e LifecycleEvent) Known() bool {
	switch e {
	case LifecycleReauthorizationRequired, LifecycleSubscriptionRemoved, LifecycleMissed:
		return true
	default:
		return false
	}
}

// truncate shortens untrusted text quoted in an error.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
