package graphhook_test

import (
	"crypto/sha256"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/graphhook"
)

func TestClientStateMatches(t *testing.T) {
	t.Parallel()
	const secret = "mm-7f3KcQ9vX2pL8wR4tZ1nB6yH0jD5sE"
	stored := graphhook.HashClientState(secret)
	require.Equal(t, sha256.Sum256([]byte(secret)), stored)

	cases := []struct {
		name string
		got  string
		want [32]byte
		ok   bool
	}{
		{name: "match", got: secret, want: stored, ok: true},
		{name: "mismatch", got: "mm-7f3KcQ9vX2pL8wR4tZ1nB6yH0jD5sF", want: stored},
		{name: "prefix", got: secret[:10], want: stored},
		{name: "case differs", got: "MM-7F3KCQ9VX2PL8WR4TZ1NB6YH0JD5SE", want: stored},
		{name: "empty got", got: "", want: stored},
		{name: "empty got against the hash of empty", got: "", want: sha256.Sum256(nil)},
		{name: "stored without a secret", got: secret, want: [32]byte{}},
		{name: "the hash itself is not the secret", got: string(stored[:]), want: stored},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.ok, graphhook.ClientStateMatches(tt.got, tt.want))
		})
	}
}
