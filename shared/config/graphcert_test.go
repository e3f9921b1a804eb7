package config

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func certPEM(t *testing.T, bits int, pkcs8 bool) (string, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, bits)
	require.NoError(t, err)
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "graph-notifications"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	require.NoError(t, err)
	var kb *pem.Block
	if pkcs8 {
		raw, err := x509.MarshalPKCS8PrivateKey(key)
		require.NoError(t, err)
		kb = &pem.Block{Type: "PRIVATE KEY", Bytes: raw}
	} else {
		kb = &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})) + string(pem.EncodeToMemory(kb)), key
}

func TestGraphSettings(t *testing.T) {
	current, key := certPEM(t, 2048, true)
	previous, _ := certPEM(t, 2048, false)
	c, err := Load(env("GRAPH_BASE_URL", "http://127.0.0.1:9999/v1.0", "AZURE_STORAGE_CONTAINER", "minutes-prod",
		// App settings cannot hold newlines everywhere: a literal \n is accepted too.
		"GRAPH_NOTIFICATION_CERT", strings.ReplaceAll(current, "\n", `\n`), "GRAPH_NOTIFICATION_CERT_PREVIOUS", previous))
	require.NoError(t, err)
	require.Equal(t, "http://127.0.0.1:9999/v1.0", c.Graph.BaseURL.String())
	require.Equal(t, "minutes-prod", c.Blob.Container)
	require.Len(t, c.Graph.NotificationCerts, 2)
	require.True(t, key.Equal(c.Graph.NotificationCerts[0].Key), "current first")
	require.Len(t, c.Graph.NotificationCerts[0].ID, 40)
	require.NotEqual(t, c.Graph.NotificationCerts[0].ID, c.Graph.NotificationCerts[1].ID)

	d, err := Load(env())
	require.NoError(t, err)
	require.Equal(t, "minutes", d.Blob.Container)
	require.Empty(t, d.Graph.NotificationCerts)
}

func TestGraphSettingsRejected(t *testing.T) {
	good, _ := certPEM(t, 2048, true)
	other, _ := certPEM(t, 2048, true)
	short, _ := certPEM(t, 1024, false)
	certOnly := good[:strings.Index(good, "-----BEGIN PRIVATE KEY")]
	keyOfOther := certOnly + other[strings.Index(other, "-----BEGIN PRIVATE KEY"):]
	cases := []struct{ name, key, value, want string }{
		{"junk", "GRAPH_NOTIFICATION_CERT", "not a pem", "no PEM CERTIFICATE"},
		{"no key", "GRAPH_NOTIFICATION_CERT", certOnly, "no PEM private key"},
		{"key of another certificate", "GRAPH_NOTIFICATION_CERT_PREVIOUS", keyOfOther, "does not belong"},
		{"short key", "GRAPH_NOTIFICATION_CERT", short, "2048"},
		{"container", "AZURE_STORAGE_CONTAINER", "Minutes_Prod", "container name"},
		{"container double hyphen", "AZURE_STORAGE_CONTAINER", "a--b", "container name"},
		{"graph url", "GRAPH_BASE_URL", "ftp://graph", "GRAPH_BASE_URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(env(c.key, c.value))
			var ce *Error
			require.ErrorAs(t, err, &ce)
			require.Equal(t, c.key, ce.Key)
			require.Contains(t, err.Error(), c.want)
			require.NotContains(t, err.Error(), "PRIVATE KEY", "the secret is never echoed")
		})
	}
}

func TestMarketplaceSettings(t *testing.T) {
	uri := "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-c/providers/Microsoft.Solutions/applications/minutes"
	c, err := Load(env("MARKETPLACE_RESOURCE_URI", uri, "MARKETPLACE_PLAN_ID", "pro", "AZURE_CLIENT_ID", "6c3d0f5e-1111-4a5b-9c2d-0123456789ab"))
	require.NoError(t, err)
	require.Equal(t, uri, c.Marketplace.ResourceURI)
	require.True(t, c.Feature(FeatureLicense).Enabled, "the purchase is the licence")

	for _, bad := range [][]string{
		{"MARKETPLACE_RESOURCE_URI", "/subscriptions/x/resourceGroups/y/providers/Microsoft.Web/sites/z", "MARKETPLACE_PLAN_ID", "pro"},
		{"MARKETPLACE_RESOURCE_URI", "https://management.azure.com" + uri, "MARKETPLACE_PLAN_ID", "pro"},
		{"MARKETPLACE_RESOURCE_URI", uri},
	} {
		_, err := Load(env(bad...))
		require.Error(t, err, "%v", bad)
	}
}
