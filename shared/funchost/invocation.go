package funchost

import (
	"crypto/rand"
	"encoding/hex"
)

// NewInvocationID returns a fresh random invocation id, for invocations that did not come
// through the host (standalone timers and queue workers).
func NewInvocationID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
