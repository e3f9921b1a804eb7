package config

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func env(kv ...string) Lookup {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env())
	require.NoError(t, err)
	require.Equal(t, 8080, c.Port)
	require.Equal(t, 0, c.HostPort)
	require.Equal(t, 30*time.Second, c.ShutdownTimeout)
	require.Equal(t, 9*time.Minute, c.InvocationTimeout)
	require.Equal(t, slog.LevelInfo, c.LogLevel)
	require.False(t, c.DevAuth)
	require.Equal(t, QueueAuto, c.QueueBackend())
	require.ErrorContains(t, c.RequireHostPort(), "FUNCTIONS_CUSTOMHANDLER_PORT")
	for _, f := range c.Features() {
		require.False(t, f.Enabled, f.Name)
		require.NotEmpty(t, f.Reason, f.Name)
	}
}

func TestLoadValues(t *testing.T) {
	c, err := Load(env(
		"FUNCTIONS_CUSTOMHANDLER_PORT", "54321", "PORT", "9090", "LISTEN_HOST", "127.0.0.1",
		"DATABASE_URL", "postgres://minutes_app@127.0.0.1:5432/minutes?sslmode=disable",
		"LOG_LEVEL", "debug", "DEV_AUTH", "1", "SHUTDOWN_TIMEOUT", "5s",
		"STRIPE_SECRET_KEY", "sk_test_123", "STRIPE_WEBHOOK_SECRET", "whsec_1", "STRIPE_API_BASE", "http://127.0.0.1:12111",
		"BLOB_DIR", "rel/blobs",
	))
	require.NoError(t, err)
	require.Equal(t, 54321, c.HostPort)
	require.NoError(t, c.RequireHostPort())
	require.Equal(t, 9090, c.Port)
	require.Equal(t, "127.0.0.1", c.ListenHost)
	require.True(t, c.DevAuth)
	require.Equal(t, 5*time.Second, c.ShutdownTimeout)
	require.Equal(t, c.Database.URL, c.Database.MigrationsURL, "migrations fall back to DATABASE_URL")
	require.Equal(t, QueuePostgres, c.QueueBackend())
	require.True(t, c.Feature(FeatureBilling).Enabled)
	require.True(t, c.Feature(FeatureDatabase).Enabled)
	require.True(t, c.Feature(FeatureBlob).Enabled)
	require.Contains(t, c.Blob.Dir, "/rel/blobs", "relative blob dir made absolute")
	require.Equal(t, "127.0.0.1:12111", c.Stripe.APIBase.Host)
}

func TestLoadRejectsMalformedValuesNamingTheKey(t *testing.T) {
	cases := []struct {
		key, value string
	}{
		{"FUNCTIONS_CUSTOMHANDLER_PORT", "abc"},
		{"FUNCTIONS_CUSTOMHANDLER_PORT", "70000"},
		{"PORT", "-1"},
		{"LISTEN_HOST", "not a host"},
		{"DATABASE_URL", "mysql://u:hunter2@db:3306/x"},
		{"DATABASE_URL", "postgres://u:hunter2@db:notaport/x"},
		{"MIGRATIONS_DATABASE_URL", "postgres://%zz"},
		{"DATABASE_MAX_CONNS", "0"},
		{"LOG_LEVEL", "loud"},
		{"SHUTDOWN_TIMEOUT", "soon"},
		{"INVOCATION_TIMEOUT", "-5s"},
		{"DEV_AUTH", "maybe"},
		{"QUEUE_BACKEND", "kafka"},
		{"STRIPE_API_BASE", "ftp://stripe"},
		{"STRIPE_PRICES", "starter"},
		{"STRIPE_PRICES", "gold=price_1"},
		{"STRIPE_PRICES", "starter=price_1,starter=price_2"},
		{"STRIPE_PRICES", "pro=price 1"},
		{"STRIPE_METERS", "minutes=mtr_1"},
		{"PUBLIC_BASE_URL", "/relative"},
		{"AZURE_STORAGE_BLOB_URL", "::"},
	}
	for _, tt := range cases {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			_, err := Load(env(tt.key, tt.value))
			require.Error(t, err)
			var ce *Error
			require.True(t, errors.As(err, &ce))
			require.Equal(t, tt.key, ce.Key)
			require.NotContains(t, err.Error(), "hunter2", "a password must never be echoed")
			require.NotContains(t, err.Error(), "\n")
		})
	}
}

func TestStripePricesAndMeters(t *testing.T) {
	c, err := Load(env("STRIPE_PRICES", " starter=price_1Ab , pro=price_2Cd,byoi_platform=price_3", "STRIPE_METERS", "meetings_processed=mtr_9"))
	require.NoError(t, err)
	require.Equal(t, map[string]string{"starter": "price_1Ab", "pro": "price_2Cd", "byoi_platform": "price_3"}, c.Stripe.Prices)
	require.Equal(t, map[string]string{"meetings_processed": "mtr_9"}, c.Stripe.Meters)
	c, err = Load(env())
	require.NoError(t, err)
	require.Nil(t, c.Stripe.Prices)
	require.Nil(t, c.Stripe.Meters)
}

func TestServiceBusBackendNeedsANamespace(t *testing.T) {
	_, err := Load(env("QUEUE_BACKEND", "servicebus"))
	require.ErrorContains(t, err, "QUEUE_BACKEND")
	c, err := Load(env("SERVICEBUS_NAMESPACE", "sb-mm.servicebus.windows.net", "DATABASE_URL", "postgres://x@h/db"))
	require.NoError(t, err)
	require.Equal(t, QueueServiceBus, c.QueueBackend(), "Service Bus wins when configured")
}

func TestSecretsNeverPrint(t *testing.T) {
	c, err := Load(env("STRIPE_SECRET_KEY", "sk_live_supersecret", "DATABASE_URL", "postgres://u:hunter2@h/db"))
	require.NoError(t, err)
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "stripe", c.Stripe, "db", c.Database.URL)
	out := buf.String() + fmt.Sprintf("%v %+v %+v", c, c.Stripe, c.Database)
	require.NotContains(t, out, "supersecret")
	require.NotContains(t, out, "hunter2")
	require.Equal(t, "sk_live_supersecret", c.Stripe.SecretKey.Reveal())
}

func TestIdentityAndMailSettings(t *testing.T) {
	key := "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // 32 bytes
	c, err := Load(env("ENTRA_CLIENT_ID", "6F1C2C1E-8B7A-4C5E-9D3F-2A1B0C9D8E7F", "ENTRA_CLIENT_SECRET", "s3cr3t-value",
		"SESSION_KEYS", key+", "+key, "SMTP_URL", "smtp://u:pw@mail.example.com:587?from=m@example.com", "OPERATOR_TENANT_ID", "11111111-2222-3333-4444-555555555555",
		"MAIL_FROM_USER", "no-reply@minutes.example"))
	require.NoError(t, err)
	require.Equal(t, "6f1c2c1e-8b7a-4c5e-9d3f-2a1b0c9d8e7f", c.Identity.ClientID)
	require.Len(t, c.Identity.SessionKeys, 2)
	require.Equal(t, "login.microsoftonline.com", c.Identity.Authority.Host)
	require.True(t, c.Feature(FeatureSignIn).Enabled)
	require.True(t, c.Feature(FeatureMail).Enabled)

	for _, tt := range []struct{ key, value, extraKey, extraValue string }{
		{"ENTRA_CLIENT_ID", "not-a-guid", "", ""},
		{"ENTRA_CLIENT_SECRET", "", "ENTRA_CLIENT_ID", "6f1c2c1e-8b7a-4c5e-9d3f-2a1b0c9d8e7f"},
		{"SESSION_KEYS", "c2hvcnQ=", "", ""},
		{"SESSION_KEYS", key + ",!!!", "", ""},
		{"SMTP_URL", "http://mail", "", ""},
		{"OPERATOR_TENANT_ID", "xyz", "", ""},
		{"MAIL_FROM_USER", "no-reply@minutes.example", "", ""},
	} {
		kv := []string{tt.key, tt.value}
		if tt.extraKey != "" {
			kv = append(kv, tt.extraKey, tt.extraValue)
		}
		_, err := Load(env(kv...))
		var ce *Error
		require.True(t, errors.As(err, &ce), "%s=%q", tt.key, tt.value)
		require.Equal(t, tt.key, ce.Key)
		require.NotContains(t, err.Error(), "MDEyMzQ1", "never echo key material")
	}
}
