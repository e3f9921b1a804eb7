package identity

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// minTokenBytes is the least randomness RandomToken hands out: 128 bits.
const minTokenBytes = 16

// NewPKCE returns a fresh PKCE verifier (43 base64url characters, 256 random bits) and its
// S256 challenge, BASE64URL(SHA256(verifier)). Keep the verifier server-side with the
// sign-in attempt; send only the challenge.
func NewPKCE() (verifier, challenge string) {
	verifier = RandomToken(32)
	return verifier, s256(verifier)
}

// s256 is the PKCE S256 transform.
func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// RandomToken returns nbytes from crypto/rand, base64url-encoded without padding; nbytes
// below 16 is raised to 16 (128 bits). Use it for nonces, state IDs and session IDs.
func RandomToken(nbytes int) string {
	if nbytes < minTokenBytes {
		nbytes = minTokenBytes
	}
	b := make([]byte, nbytes)
	// crypto/rand.Read never fails; it crashes the program if the OS cannot supply
	// randomness.
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
