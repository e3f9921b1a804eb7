package funchost

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// The fast path must agree with the tolerant one wherever it answers.
func TestFastTickMatchesDecodeTick(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "envelopes", "*.json"))
	require.NoError(t, err)
	answered := 0
	for _, f := range files {
		body, err := os.ReadFile(f)
		require.NoError(t, err)
		fast, ok := fastTick(body, "timer")
		if !ok {
			continue
		}
		answered++
		env, err := DecodeEnvelope(body)
		require.NoError(t, err, f)
		slow, err := DecodeTick(env, "timer")
		require.NoError(t, err, f)
		require.Equal(t, slow, fast, f)
	}
	require.GreaterOrEqual(t, answered, 5, "the current hosts' timer shapes take the fast path")
}

func FuzzFastTick(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "envelopes", "timer_*.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, ok := fastTick(body, "timer")
		if !ok {
			return
		}
		env, err := DecodeEnvelope(body)
		if err != nil {
			t.Fatalf("fast path accepted what the envelope decoder refuses: %v", err)
		}
		slow, err := DecodeTick(env, "timer")
		if err != nil {
			t.Fatalf("fast path accepted what DecodeTick refuses: %v", err)
		}
		if fast != slow {
			t.Fatalf("fast %+v != slow %+v", fast, slow)
		}
	})
}
