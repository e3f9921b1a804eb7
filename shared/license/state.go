package license

import (
	"fmt"
	"strings"
	"time"
)

// Leeway is the clock skew allowed on iat, nbf and exp.
const Leeway = 5 * time.Minute

// State is where a license stands at a moment.
type State string

// States of a license that verified.
const (
	// StateValid: within its validity (a Marketplace plan always is).
	StateValid State = "valid"
	// StateGrace: expired, but within its offline grace period: the product runs, with notices.
	StateGrace State = "grace"
	// StateExpired: expired and past its grace period: the product refuses to start.
	StateExpired State = "expired"
)

// Source says where a license came from.
type Source string

// Sources of a license.
const (
	// SourceToken: a signed license token (LICENSE_KEY).
	SourceToken Source = "token"
	// SourceMarketplace: a Marketplace managed application's plan.
	SourceMarketplace Source = "marketplace"
)

// License is a verified license: its claims, where it came from, and which key verified it.
type License struct {
	Claims
	// Source is a token or a Marketplace plan.
	Source Source
	// Key is the key a token verified with (empty for a Marketplace plan).
	Key KeySource
	// PlanID is the Marketplace plan id (SourceMarketplace only).
	PlanID string
}

// GraceEnds is when the offline grace period ends: ExpiresAt plus OfflineGracePeriod; zero
// when the license does not expire.
func (l License) GraceEnds() time.Time {
	if l.ExpiresAt.IsZero() {
		return time.Time{}
	}
	return l.ExpiresAt.Add(l.OfflineGracePeriod)
}

// State is the license's state at now.
func (l License) State(now time.Time) State {
	switch {
	case l.ExpiresAt.IsZero() || !now.After(l.ExpiresAt.Add(Leeway)):
		return StateValid
	case !now.After(l.GraceEnds().Add(Leeway)):
		return StateGrace
	}
	return StateExpired
}

// Check is the license at now as the gate and /api/health see it: a one-line summary
// (state, edition, seats, expiry or grace end; never the token, nor the customer), and
// [ErrExpired] once the grace period is over.
func (l License) Check(now time.Time) (string, error) {
	var b strings.Builder
	switch l.State(now) {
	case StateValid:
		b.WriteString("valid")
	case StateGrace:
		fmt.Fprintf(&b, "expired %s, in the grace period until %s: renew the license", day(l.ExpiresAt), day(l.GraceEnds()))
	case StateExpired:
		return "", l.expiredError()
	}
	fmt.Fprintf(&b, "; %s edition, %d seats", l.Edition, l.Seats)
	switch {
	case l.Source == SourceMarketplace:
		fmt.Fprintf(&b, "; Marketplace plan %s", l.PlanID)
	case l.State(now) == StateValid:
		fmt.Fprintf(&b, "; expires %s", day(l.ExpiresAt))
		if l.OfflineGracePeriod > 0 {
			fmt.Fprintf(&b, " (grace %s)", FormatDuration(l.OfflineGracePeriod))
		}
	}
	if l.Key == KeyDevelopment {
		b.WriteString("; signed with the development key")
	}
	return b.String(), nil
}

func (l License) expiredError() error {
	if l.OfflineGracePeriod == 0 {
		return fmt.Errorf("%w on %s (no grace period): renew the license", ErrExpired, day(l.ExpiresAt))
	}
	return fmt.Errorf("%w on %s and its %s grace period ended %s: renew the license", ErrExpired,
		day(l.ExpiresAt), FormatDuration(l.OfflineGracePeriod), day(l.GraceEnds()))
}
