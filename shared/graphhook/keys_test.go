package graphhook_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/graphhook"
	"github.com/meetingminutes/minutes/shared/graphhook/graphhooktest"
)

func TestLoadKeyPEM(t *testing.T) {
	t.Parallel()
	key := graphhooktest.ReferenceEncryptionKey(t)
	cert := graphhooktest.ReferenceCertificate(t)
	pemOf := func(typ string, der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}) }
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	pkcs1 := x509.MarshalPKCS1PrivateKey(key)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ecDER, err := x509.MarshalPKCS8PrivateKey(ec)
	require.NoError(t, err)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	certPEM := pemOf("CERTIFICATE", cert.Raw)

	cases := []struct {
		name    string
		pem     []byte
		wantErr error // nil with wantAny false: success
		wantAny bool
	}{
		{name: "PKCS#8", pem: pemOf("PRIVATE KEY", pkcs8)},
		{name: "PKCS#1", pem: pemOf("RSA PRIVATE KEY", pkcs1)},
		{name: "certificate first, then the key (Key Vault export)", pem: append(append([]byte("subject=CN=x\n"), certPEM...), pemOf("PRIVATE KEY", pkcs8)...)},
		{name: "no PEM at all", pem: []byte("not pem"), wantErr: graphhook.ErrNoKey},
		{name: "certificate only", pem: certPEM, wantErr: graphhook.ErrNoKey},
		{name: "EC key", pem: pemOf("PRIVATE KEY", ecDER), wantErr: graphhook.ErrNoKey},
		{name: "1024-bit key", pem: pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(small)), wantAny: true},
		{name: "encrypted key", pem: pemOf("ENCRYPTED PRIVATE KEY", []byte{1, 2, 3}), wantAny: true},
		{name: "corrupt PKCS#8", pem: pemOf("PRIVATE KEY", pkcs8[:100]), wantAny: true},
		{name: "corrupt PKCS#1", pem: pemOf("RSA PRIVATE KEY", pkcs1[:100]), wantAny: true},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := graphhook.LoadKeyPEM(tt.pem)
			switch {
			case tt.wantErr != nil:
				require.ErrorIs(t, err, tt.wantErr)
			case tt.wantAny:
				require.Error(t, err)
			default:
				require.NoError(t, err)
				require.True(t, key.Equal(got))
				require.True(t, graphhook.KeyMatchesCertificate(got, cert))
				return
			}
			require.Nil(t, got)
		})
	}
}

func TestLoadCertificatePEM(t *testing.T) {
	t.Parallel()
	cert := graphhooktest.ReferenceCertificate(t)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(graphhooktest.ReferenceEncryptionKey(t))
	require.NoError(t, err)
	both := append(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})...)

	got, err := graphhook.LoadCertificatePEM(both)
	require.NoError(t, err)
	require.True(t, got.Equal(cert))
	require.Equal(t, "F1204F859EB41470EED7901646FD5D01B4B5F5F9", graphhook.Thumbprint(got))

	_, err = graphhook.LoadCertificatePEM(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}))
	require.ErrorIs(t, err, graphhook.ErrNoKey)
	_, err = graphhook.LoadCertificatePEM(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 0x00}}))
	require.Error(t, err)
}
