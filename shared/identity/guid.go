package identity

import "github.com/google/uuid"

// parseGUID accepts only the canonical 8-4-4-4-12 form (uuid.Parse also accepts urn:uuid:,
// braces and bare hex, none of which Entra emits) and rejects the nil GUID.
func parseGUID(s string) (uuid.UUID, bool) {
	if len(s) != 36 {
		return uuid.Nil, false
	}
	u, err := uuid.Parse(s)
	if err != nil || u == uuid.Nil {
		return uuid.Nil, false
	}
	return u, true
}
