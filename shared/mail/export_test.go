package mail

import "time"

// Render exposes the renderer to the external tests: the bytes every sender produces.
func Render(msg Message, defaultFrom Address, now time.Time) ([]byte, error) {
	r, err := render(msg, defaultFrom, now)
	return r.data, err
}
