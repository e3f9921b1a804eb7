// Package license verifies and issues Meeting Minutes licenses, and derives the license of a
// Marketplace managed-application install from its plan.
//
// A license is an RS256 JWT issued by [Issuer] whose claims are [Claims]: customer (sub),
// edition, seats, features, iat, nbf, exp, jti, offlineGracePeriod and phoneHomeRequired.
// [Verifier.Verify] checks it against a public key compiled into the binary ([EmbeddedKey]):
// the development key (dev_public.pem, whose private half is testdata/dev_private.pem) unless
// the release build injects its own:
//
//	go build -ldflags "-X github.com/meetingminutes/minutes/shared/license.releasePublicKey=$(base64 -w0 release_public.der)"
//
// where release_public.der is the PKIX DER of the vendor's public key ('handler license
// keygen' prints the whole flag). The key is never read from configuration: whoever controls
// the configuration must not be able to choose the key that licenses are checked against.
//
// Invariants:
//   - only RS256 verifies; "none", HS256 keyed with the public key (algorithm confusion) and
//     every other algorithm are [ErrInvalid], before any key is used;
//   - nothing is trusted before the signature is: error messages never quote an unverified
//     token, and no error or log ever holds the token itself;
//   - a token is at most [MaxTokenBytes]; surrounding white space (a file's trailing newline)
//     is ignored;
//   - every time decision takes its clock from the caller, with [Leeway] for clock skew;
//   - an expired license still verifies during its offline grace period (from exp), with
//     [StateGrace]; after it, Verify returns [ErrExpired].
//
// A Marketplace purchase is the license of a managed-application install: [FromPlan] maps the
// plan id to an edition, seats and features through the embedded plan table (plans.json, the
// one list of plans; infra/marketplace packages one of its ids), and [Identity] proves the
// install runs as the managed application by obtaining a metering-service token.
package license
