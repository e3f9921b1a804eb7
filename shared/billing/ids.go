package billing

import (
	"fmt"
	"strings"
)

// CustomerID is a Stripe customer id (cus_...).
type CustomerID string

// SubscriptionID is a Stripe subscription id (sub_...).
type SubscriptionID string

// ParseCustomerID checks the shape of a Stripe customer id.
func ParseCustomerID(s string) (CustomerID, error) {
	if !stripeID(s, "cus_") {
		return "", fmt.Errorf("%w: customer id %q", ErrInvalidID, clip(s, 40))
	}
	return CustomerID(s), nil
}

// stripeID reports whether s is prefix followed by 1 to 250 letters, digits or underscores.
func stripeID(s, prefix string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok || rest == "" || len(rest) > 250 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
