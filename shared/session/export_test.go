package session

// Decode exposes the cookie decoder to the external tests (fuzzing).
func (m *Manager) Decode(value string) (*Session, error) { return m.decode(value) }
