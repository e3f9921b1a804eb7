package license

import "errors"

// Sentinels for the conditions callers branch on; the errors wrapping them add the reason.
var (
	// ErrInvalid: not a license this binary accepts — malformed, too long, not RS256, a
	// signature that does not match the key, the wrong issuer, or claims missing or insane.
	ErrInvalid = errors.New("invalid license")
	// ErrNotYetValid: the license starts (nbf) or was issued (iat) later than now, beyond
	// [Leeway]; a wrong system clock does this too.
	ErrNotYetValid = errors.New("license not yet valid")
	// ErrExpired: the license expired and its offline grace period is over.
	ErrExpired = errors.New("license expired")
	// ErrRevoked: the license's id is on the revocation list compiled into the binary.
	ErrRevoked = errors.New("license revoked")
	// ErrUnknownPlan: a Marketplace plan id that is not in the plan table.
	ErrUnknownPlan = errors.New("unknown Marketplace plan")
)
