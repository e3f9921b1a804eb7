package config

// Feature is one capability of the product and whether its configuration is present.
type Feature struct {
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
	// Reason says, when disabled, which settings would enable it.
	Reason string `json:"reason,omitempty"`
}

// Feature names, as /api/health reports them.
const (
	FeatureDatabase = "database"
	FeatureQueue    = "queue"
	FeatureBlob     = "blob"
	FeatureBilling  = "billing"
	FeatureLicense  = "license"
	FeatureSignIn   = "sign_in"
	FeatureMail     = "mail"
)

// Features lists every feature in a fixed order with its state.
func (c *Config) Features() []Feature {
	f := func(name string, on bool, reason string) Feature {
		if on {
			reason = ""
		}
		return Feature{Name: name, Enabled: on, Reason: reason}
	}
	return []Feature{
		f(FeatureDatabase, c.Database.URL.IsSet(), "DATABASE_URL is not set"),
		f(FeatureQueue, c.QueueBackend() != QueueAuto, "set SERVICEBUS_NAMESPACE or ServiceBusConnection, or DATABASE_URL for the PostgreSQL queue"),
		f(FeatureBlob, c.Blob.Dir != "" || c.Blob.AccountURL != nil || c.Blob.ConnectionString.IsSet(),
			"set BLOB_DIR, AZURE_STORAGE_BLOB_URL or AZURE_STORAGE_CONNECTION_STRING"),
		f(FeatureBilling, c.Stripe.SecretKey.IsSet() && c.Stripe.WebhookSecret.IsSet(), "STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET are not both set"),
		// A Marketplace managed-application install is licensed by its purchase.
		f(FeatureLicense, c.LicenseKey.IsSet() || c.Marketplace.ResourceURI != "", "LICENSE_KEY is not set"),
		f(FeatureSignIn, (c.Identity.ClientID != "" || c.DevAuth) && (len(c.Identity.SessionKeys) > 0 || c.DevAuth),
			"set ENTRA_CLIENT_ID, ENTRA_CLIENT_SECRET and SESSION_KEYS (or DEV_AUTH=1 on a loopback listener)"),
		f(FeatureMail, c.Mail.SMTPURL.IsSet() || c.Mail.Dir != "" || c.Mail.FromUser != "",
			"set SMTP_URL, MAIL_DIR, or MAIL_FROM_USER (Graph sendMail from our own tenant)"),
	}
}

// Feature returns the named feature's state.
func (c *Config) Feature(name string) Feature {
	for _, f := range c.Features() {
		if f.Name == name {
			return f
		}
	}
	return Feature{Name: name, Reason: "unknown feature"}
}
