package license

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCheckSaysWhatAnOperatorNeeds(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	lic := License{Claims: validClaims(), Source: SourceToken, Key: KeyRelease}
	cases := []struct {
		name string
		at   time.Time
		want string
		err  error
	}{
		{"valid", now, "valid; professional edition, 25 seats; expires 2026-03-31 12:00 UTC (grace 14d)", nil},
		{"in grace", lic.ExpiresAt.Add(3 * day),
			"expired 2026-03-31 12:00 UTC, in the grace period until 2026-04-14 12:00 UTC: renew the license; professional edition, 25 seats", nil},
		{"past grace", lic.ExpiresAt.Add(15 * day), "", ErrExpired},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := lic.Check(tt.at)
			require.ErrorIs(t, err, tt.err)
			require.Equal(t, tt.want, got)
			require.NotContains(t, got, "Contoso", "health is public: no customer name")
		})
	}

	dev := lic
	dev.Key = KeyDevelopment
	got, err := dev.Check(now)
	require.NoError(t, err)
	require.Contains(t, got, "signed with the development key")

	mp, err := FromPlan("standard")
	require.NoError(t, err)
	got, err = mp.Check(now)
	require.NoError(t, err)
	require.Equal(t, "valid; standard edition, 50 seats; Marketplace plan standard", got)
}
