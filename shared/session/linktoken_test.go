package session_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/session"
)

var (
	tenantA = [16]byte{0x01, 0x95, 0xf3, 0xa2, 1}
	objectA = [16]byte{0x01, 0x95, 0xf3, 0xa2, 2}
)

func codec(b byte) session.LinkCodec { return session.LinkCodec{Key: bytes.Repeat([]byte{b}, 32)} }

func TestLinkRoundTrip(t *testing.T) {
	t.Parallel()
	c := codec(1)
	token, hash, err := c.Issue("invitation", tenantA, objectA)
	require.NoError(t, err)
	require.Len(t, token, session.LinkTokenLen)
	require.NotEqual(t, [32]byte{}, hash)

	tenant, object, gotHash, err := c.Parse("invitation", token)
	require.NoError(t, err)
	require.Equal(t, tenantA, tenant)
	require.Equal(t, objectA, object)
	require.Equal(t, hash, gotHash)

	raw, err := base64.RawURLEncoding.DecodeString(token)
	require.NoError(t, err)
	require.Equal(t, sha256.Sum256(raw[33:65]), hash, "the hash is SHA-256 of the random part")

	again, hash2, err := c.Issue("invitation", tenantA, objectA)
	require.NoError(t, err)
	require.NotEqual(t, token, again, "each token is fresh")
	require.NotEqual(t, hash, hash2)
}

func TestLinkRejects(t *testing.T) {
	t.Parallel()
	c := codec(1)
	token, _, err := c.Issue("invitation", tenantA, objectA)
	require.NoError(t, err)
	raw, err := base64.RawURLEncoding.DecodeString(token)
	require.NoError(t, err)

	for i := range raw { // every region: version, tenant, object, random, MAC
		mut := bytes.Clone(raw)
		mut[i] ^= 0x01
		_, _, _, err := c.Parse("invitation", base64.RawURLEncoding.EncodeToString(mut))
		require.ErrorIs(t, err, session.ErrLinkInvalid, "byte %d", i)
	}

	cases := map[string]struct {
		codec   session.LinkCodec
		purpose string
		token   string
	}{
		"other purpose":   {c, "share", token},
		"other key":       {codec(2), "invitation", token},
		"truncated":       {c, "invitation", token[:len(token)-1]},
		"extended":        {c, "invitation", token + "A"},
		"empty":           {c, "invitation", ""},
		"base64 junk":     {c, "invitation", strings.Repeat("!", session.LinkTokenLen)},
		"trailing pad":    {c, "invitation", token + "="},
		"standard base64": {c, "invitation", strings.NewReplacer("-", "+", "_", "/").Replace(token) + "+"},
		"version 2": {c, "invitation", func() string {
			mut := bytes.Clone(raw)
			mut[0] = 2
			return base64.RawURLEncoding.EncodeToString(mut)
		}()},
	}
	for name, tt := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, _, _, err := tt.codec.Parse(tt.purpose, tt.token)
			require.ErrorIs(t, err, session.ErrLinkInvalid)
			if tt.token != "" {
				require.NotContains(t, err.Error(), tt.token)
			}
		})
	}
}

func TestLinkCodecValidation(t *testing.T) {
	t.Parallel()
	_, _, err := session.LinkCodec{Key: make([]byte, 31)}.Issue("invitation", tenantA, objectA)
	require.ErrorContains(t, err, "at least 32")
	_, _, _, err = session.LinkCodec{}.Parse("invitation", "x")
	require.ErrorContains(t, err, "at least 32")
	for _, p := range []string{"", "Invitation", "a b", strings.Repeat("a", 65), "invitation\x00"} {
		_, _, err := codec(1).Issue(p, tenantA, objectA)
		require.Error(t, err, "purpose %q", p)
	}
}

// FuzzLinkParse: arbitrary tokens never panic and never parse to anything but what was
// issued (workers each issue their own token for tenantA/objectA).
func FuzzLinkParse(f *testing.F) {
	c := codec(9)
	valid, _, err := c.Issue("invitation", tenantA, objectA)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(valid[:100])
	f.Add(strings.Repeat("A", session.LinkTokenLen))
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		tenant, object, _, err := c.Parse("invitation", token)
		if err == nil && (tenant != tenantA || object != objectA) {
			t.Fatalf("parsed a token that was never issued: %q", token)
		}
	})
}
