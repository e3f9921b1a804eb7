package license

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTheDevelopmentKeyPairMatches(t *testing.T) {
	t.Parallel()
	pub, source, err := EmbeddedKey()
	require.NoError(t, err)
	require.Equal(t, KeyDevelopment, source, "a test binary carries no release key")
	require.True(t, pub.Equal(&devPrivate(t).PublicKey), "testdata/dev_private.pem is the private half of dev_public.pem")
	require.Equal(t, KeyBits, pub.N.BitLen())
}

// TestReleaseKeyInjection sets the variable as -ldflags -X would. Not parallel: it changes
// the package's build-time key.
func TestReleaseKeyInjection(t *testing.T) {
	k := anotherKey(t)
	value, err := ReleaseKeyValue(&k.PublicKey)
	require.NoError(t, err)
	t.Cleanup(func() { releasePublicKey = "" })

	releasePublicKey = value
	pub, source, err := EmbeddedKey()
	require.NoError(t, err)
	require.Equal(t, KeyRelease, source)
	require.True(t, pub.Equal(&k.PublicKey))

	v, err := NewEmbeddedVerifier(nil)
	require.NoError(t, err)
	_, err = v.Verify(issue(t, validClaims()))
	require.ErrorIs(t, err, ErrInvalid, "a release build refuses licenses signed with the development key")

	for _, bad := range []string{"not base64!", "AAAA"} {
		releasePublicKey = bad
		_, _, err = EmbeddedKey()
		require.ErrorContains(t, err, "release public key")
	}
}

func TestParseKeys(t *testing.T) {
	t.Parallel()
	k := anotherKey(t)
	pkcs1Pub := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.PublicKey)})
	pkcs1Priv := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	pub, err := ParsePublicKeyPEM(pkcs1Pub)
	require.NoError(t, err)
	require.True(t, pub.Equal(&k.PublicKey))
	priv, err := ParsePrivateKeyPEM(pkcs1Priv)
	require.NoError(t, err)
	require.True(t, priv.Equal(k))

	_, err = ParsePublicKeyPEM(pkcs1Priv)
	require.ErrorContains(t, err, "not a public key")
	_, err = ParsePrivateKeyPEM(pkcs1Pub)
	require.ErrorContains(t, err, "not a private key")
	_, err = ParsePublicKeyPEM([]byte("hello"))
	require.ErrorContains(t, err, "no PEM block")

	small, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	smallPEM, err := MarshalPublicKeyPEM(&small.PublicKey)
	require.NoError(t, err)
	_, err = ParsePublicKeyPEM(smallPEM)
	require.ErrorContains(t, err, "at least 2048")
	_, err = Issue(small, validClaims())
	require.ErrorContains(t, err, "at least 2048")
	_, err = NewVerifier(&small.PublicKey, KeyFile, nil)
	require.ErrorContains(t, err, "at least 2048")
}
