package identity_test

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/identity"
)

const testBinding = "b64-sha256-of-session-id"

func stateCodec(t testing.TB) (identity.StateCodec, *clock) {
	t.Helper()
	clk := newClock()
	return identity.StateCodec{Key: []byte("0123456789abcdef0123456789abcdef"), Now: clk.Now}, clk
}

func TestStateRoundTrip(t *testing.T) {
	t.Parallel()
	codec, clk := stateCodec(t)
	in := identity.StatePayload{Purpose: identity.PurposeSignIn, Binding: testBinding, ReturnTo: "/meetings/42?tab=minutes", Nonce: "n-1"}
	state, err := codec.Encode(in)
	require.NoError(t, err)
	require.Len(t, strings.Split(state, "."), 2)

	got, err := codec.Decode(state, identity.PurposeSignIn, testBinding)
	require.NoError(t, err)
	require.Equal(t, in.Purpose, got.Purpose)
	require.Equal(t, in.Binding, got.Binding)
	require.Equal(t, in.ReturnTo, got.ReturnTo)
	require.Equal(t, in.Nonce, got.Nonce)
	require.Len(t, got.ID, 22, "a random 128-bit ID is filled in")
	require.Equal(t, clk.Now().Add(identity.DefaultStateTTL), got.ExpiresAt)

	again, err := codec.Encode(in)
	require.NoError(t, err)
	require.NotEqual(t, state, again, "each state is unique")

	withID := in
	withID.ID = "caller-chosen-id-0123456789"
	state, err = codec.Encode(withID)
	require.NoError(t, err)
	got, err = codec.Decode(state, identity.PurposeSignIn, testBinding)
	require.NoError(t, err)
	require.Equal(t, withID.ID, got.ID)
}

func TestStateRejects(t *testing.T) {
	t.Parallel()
	codec, clk := stateCodec(t)
	state, err := codec.Encode(identity.StatePayload{Purpose: identity.PurposeConsent, Binding: testBinding})
	require.NoError(t, err)
	otherKey := codec
	otherKey.Key = []byte("ffffffffffffffffffffffffffffffff")
	forged, err := otherKey.Encode(identity.StatePayload{Purpose: identity.PurposeConsent, Binding: testBinding})
	require.NoError(t, err)
	payload, sig, _ := strings.Cut(state, ".")

	cases := []struct {
		name    string
		state   string
		purpose identity.Purpose
		binding string
		want    error
	}{
		{"other purpose", state, identity.PurposeSignIn, testBinding, identity.ErrStateMismatch},
		{"other binding", state, identity.PurposeConsent, "another-session", identity.ErrStateMismatch},
		{"empty binding", state, identity.PurposeConsent, "", identity.ErrStateMismatch},
		{"signed with another key", forged, identity.PurposeConsent, testBinding, identity.ErrStateInvalid},
		{"empty", "", identity.PurposeConsent, testBinding, identity.ErrStateInvalid},
		{"truncated by one", state[:len(state)-1], identity.PurposeConsent, testBinding, identity.ErrStateInvalid},
		{"truncated by half", state[:len(state)/2], identity.PurposeConsent, testBinding, identity.ErrStateInvalid},
		{"payload only", payload, identity.PurposeConsent, testBinding, identity.ErrStateInvalid},
		{"payload and dot", payload + ".", identity.PurposeConsent, testBinding, identity.ErrStateInvalid},
		{"signature only", "." + sig, identity.PurposeConsent, testBinding, identity.ErrStateInvalid},
		{"extra segment", state + ".x", identity.PurposeConsent, testBinding, identity.ErrStateInvalid},
		{"padded signature", state + "=", identity.PurposeConsent, testBinding, identity.ErrStateInvalid},
		{"swapped parts", sig + "." + payload, identity.PurposeConsent, testBinding, identity.ErrStateInvalid},
		{"oversized 10 KB", strings.Repeat("A", 10<<10) + "." + sig, identity.PurposeConsent, testBinding, identity.ErrStateInvalid},
		{"attacker-chosen value", "attacker-chosen-value", identity.PurposeConsent, testBinding, identity.ErrStateInvalid},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := codec.Decode(tt.state, tt.purpose, tt.binding)
			require.ErrorIs(t, err, tt.want)
			require.Zero(t, got)
			if tt.state != "" {
				require.NotContains(t, err.Error(), tt.state)
			}
		})
	}

	t.Run("tamper each byte", func(t *testing.T) {
		for i := range len(state) {
			b := []byte(state)
			switch b[i] {
			case 'A':
				b[i] = 'B'
			default:
				b[i] = 'A'
			}
			_, err := codec.Decode(string(b), identity.PurposeConsent, testBinding)
			require.ErrorIs(t, err, identity.ErrStateInvalid, "byte %d", i)
		}
	})

	t.Run("expired", func(t *testing.T) {
		c := codec
		c.Now = func() time.Time { return clk.Now().Add(identity.DefaultStateTTL) }
		_, err := c.Decode(state, identity.PurposeConsent, testBinding)
		require.ErrorIs(t, err, identity.ErrStateExpired)
		c.Now = func() time.Time { return clk.Now().Add(identity.DefaultStateTTL - time.Second) }
		_, err = c.Decode(state, identity.PurposeConsent, testBinding)
		require.NoError(t, err)
	})

	t.Run("custom TTL", func(t *testing.T) {
		c := codec
		c.TTL = time.Minute
		short, err := c.Encode(identity.StatePayload{Purpose: identity.PurposeConsent, Binding: testBinding})
		require.NoError(t, err)
		c.Now = func() time.Time { return clk.Now().Add(2 * time.Minute) }
		_, err = c.Decode(short, identity.PurposeConsent, testBinding)
		require.ErrorIs(t, err, identity.ErrStateExpired)
	})
}

// TestStateOversized is not parallel: AllocsPerRun and the memory statistics need the
// process to themselves.
func TestStateOversized(t *testing.T) {
	codec, _ := stateCodec(t)
	big := strings.Repeat("A", 10<<10) + "." + strings.Repeat("B", 43)
	var err error
	allocs := testing.AllocsPerRun(100, func() {
		_, err = codec.Decode(big, identity.PurposeConsent, testBinding)
	})
	require.ErrorIs(t, err, identity.ErrStateInvalid)
	require.LessOrEqual(t, allocs, 8.0, "refused before decoding")

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 100 {
		_, _ = codec.Decode(big, identity.PurposeConsent, testBinding)
	}
	runtime.ReadMemStats(&after)
	require.Less(t, (after.TotalAlloc-before.TotalAlloc)/100, uint64(1<<10), "bytes allocated per call, for a 10 KB input")
}

func TestStateEncodeValidates(t *testing.T) {
	t.Parallel()
	codec, _ := stateCodec(t)
	ok := identity.StatePayload{Purpose: identity.PurposeSignIn, Binding: testBinding}
	cases := []struct {
		name  string
		codec identity.StateCodec
		edit  func(*identity.StatePayload)
	}{
		{"short key", identity.StateCodec{Key: []byte("short")}, func(*identity.StatePayload) {}},
		{"unknown purpose", codec, func(p *identity.StatePayload) { p.Purpose = "reset" }},
		{"no binding", codec, func(p *identity.StatePayload) { p.Binding = "" }},
		{"absolute return", codec, func(p *identity.StatePayload) { p.ReturnTo = "https://evil.example/" }},
		{"scheme-relative return", codec, func(p *identity.StatePayload) { p.ReturnTo = "//evil.example/" }},
		{"backslash return", codec, func(p *identity.StatePayload) { p.ReturnTo = "/\\evil.example/" }},
		{"relative return", codec, func(p *identity.StatePayload) { p.ReturnTo = "meetings" }},
		{"control character return", codec, func(p *identity.StatePayload) { p.ReturnTo = "/a\r\nb" }},
		{"huge return", codec, func(p *identity.StatePayload) { p.ReturnTo = "/" + strings.Repeat("a", 1000) }},
		{"huge nonce", codec, func(p *identity.StatePayload) { p.Nonce = strings.Repeat("n", 200) }},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			p := ok
			tt.edit(&p)
			_, err := tt.codec.Encode(p)
			require.Error(t, err)
		})
	}
	_, err := identity.StateCodec{Key: []byte("short")}.Decode("a.b", identity.PurposeSignIn, testBinding)
	require.ErrorIs(t, err, identity.ErrStateInvalid)
}

// FuzzStateDecode: no input panics; every failure is one of the three sentinels; only a value
// this codec minted decodes.
func FuzzStateDecode(f *testing.F) {
	codec, _ := stateCodec(f)
	// A fixed ID and clock make the minted value identical in every fuzz worker process.
	valid, err := codec.Encode(identity.StatePayload{Purpose: identity.PurposeSignIn, Binding: testBinding, ReturnTo: "/x", Nonce: "n", ID: "fuzz-seed-id"})
	require.NoError(f, err)
	f.Add(valid)
	f.Add("")
	f.Add(".")
	f.Add("a.b")
	f.Add("e30.AAAA")
	f.Add(strings.Repeat("A", 3000))
	f.Fuzz(func(t *testing.T, s string) {
		_, err := codec.Decode(s, identity.PurposeSignIn, testBinding)
		if err == nil {
			if s != valid {
				t.Fatalf("decoded a state this codec did not mint: %q", s)
			}
			return
		}
		if !errors.Is(err, identity.ErrStateInvalid) && !errors.Is(err, identity.ErrStateExpired) && !errors.Is(err, identity.ErrStateMismatch) {
			t.Fatalf("unexpected error: %v", err)
		}
	})
}
