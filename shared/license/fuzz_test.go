package license

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzVerify feeds the verifier untrusted tokens. Seeds: testdata/fuzz/FuzzVerify (a valid
// development license, forgeries, damaged tokens) and those added below. Run with
//
//	go test -run=^$ -fuzz=FuzzVerify -fuzztime=60s -fuzzminimizetime=200x ./shared/license
//
// It checks that nothing panics, that whatever verifies is sane and carries a signature of
// the development key by crypto/rsa's own check (not jwt's), and that no error quotes the
// input.
func FuzzVerify(f *testing.F) {
	good := issue(f, validClaims())
	f.Add(good)
	f.Add(good + "\n")
	f.Add(sign(f, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, wire()))
	f.Add(sign(f, jwt.SigningMethodHS256, []byte("secret"), wire()))
	f.Add(good[:len(good)-5])
	f.Add("a.b.c")
	f.Add("")
	v := verifier(f)
	f.Fuzz(func(t *testing.T, token string) {
		l, err := v.Verify(token)
		if err == nil {
			if !l.Edition.Valid() || l.Seats < 1 || l.Customer == "" || l.ExpiresAt.IsZero() {
				t.Fatalf("verified an insane license: %+v", l)
			}
			if !signedByDevKey(trim(token)) {
				t.Fatalf("verified a token the development key did not sign: %q", token)
			}
			return
		}
		if msg, tok := err.Error(), trim(token); len(tok) >= 16 && strings.Contains(msg, tok) {
			t.Fatalf("error quotes the token: %s", msg)
		}
	})
}

// signedByDevKey checks tok's RS256 signature with crypto/rsa directly, independently of jwt.
func signedByDevKey(tok string) bool {
	header, payload, sig := split(tok)
	raw, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return false
	}
	sum := sha256.Sum256([]byte(header + "." + payload))
	return rsa.VerifyPKCS1v15(&devKey.PublicKey, crypto.SHA256, sum[:], raw) == nil
}

func BenchmarkVerify(b *testing.B) {
	tok := issue(b, validClaims())
	v := verifier(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}
