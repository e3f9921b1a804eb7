package config

import "log/slog"

// Secret is a configuration value that must never reach a log or an error message.
type Secret string

// String redacts the value, so %v and %s print nothing secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// LogValue redacts the value in slog records.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Reveal returns the value itself, for the one call that needs it.
func (s Secret) Reveal() string { return string(s) }

// IsSet reports whether a value was configured.
func (s Secret) IsSet() bool { return s != "" }

var _ slog.LogValuer = Secret("")

// MarshalJSON redacts the value when a struct holding it is encoded (slog's JSON handler
// encodes struct values with encoding/json).
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }
