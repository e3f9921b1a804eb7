package identity

import "testing"

func TestS256RFC7636(t *testing.T) {
	t.Parallel()
	// RFC 7636 appendix B.
	const verifier, want = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	if got := s256(verifier); got != want {
		t.Fatalf("s256 = %q, want %q", got, want)
	}
}
