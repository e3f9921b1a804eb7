package graphhook

import (
	"crypto/sha256"
	"crypto/subtle"
)

// MaxClientStateLength is the longest clientState we send when creating a subscription: 128
// characters (the subscription resource documents 128, changeNotification 255; we use the
// smaller).
const MaxClientStateLength = 128

// HashClientState returns the SHA-256 of a clientState secret, the only form in which it is
// stored.
func HashClientState(clientState string) [32]byte { return sha256.Sum256([]byte(clientState)) }

// ClientStateMatches reports whether got (an item's clientState) is the secret whose SHA-256 is
// wantSHA256, comparing the hashes in constant time. An empty got, or an all-zero want (a
// subscription stored without a secret), never matches.
func ClientStateMatches(got string, wantSHA256 [32]byte) bool {
	if got == "" || wantSHA256 == ([32]byte{}) {
		return false
	}
	h := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(h[:], wantSHA256[:]) == 1
}
