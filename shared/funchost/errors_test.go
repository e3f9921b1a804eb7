package funchost

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestStatusOfAndPublicMessage(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		err     error
		status  int
		message string
	}{
		{"nil", nil, 200, "OK"},
		{"not found", ErrNotFound, 404, "not found"},
		{"wrapped not found hides the chain", fmt.Errorf("meeting m-1 of tenant t-42: %w", ErrNotFound), 404, "not found"},
		{"bad request", fmt.Errorf("parse: %w", ErrBadRequest), 400, "bad request"},
		{"unauthorized", ErrUnauthorized, 401, "unauthorized"},
		{"forbidden", ErrForbidden, 403, "forbidden"},
		{"conflict", ErrConflict, 409, "conflict"},
		{"too large", ErrTooLarge, 413, "request body too large"},
		{"one-off status", Status(422, "title is too long"), 422, "title is too long"},
		{"unavailable names what to configure", Unavailable("transcription is off: set SPEECH_KEY"), 503, "transcription is off: set SPEECH_KEY"},
		{"max bytes", fmt.Errorf("read: %w", &http.MaxBytesError{Limit: 10}), 413, "request body exceeds 10 bytes"},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), 503, "Service Unavailable"},
		{"plain error never shows its text", errors.New("dial tcp 10.0.0.4:5432: password=hunter2"), 500, "Internal Server Error"},
		{"poison wrapping a status", Poison(ErrNotFound), 404, "not found"},
		{"later wrapping unavailable", Later(time.Minute, Unavailable("graph is down")), 503, "graph is down"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.status, StatusOf(tt.err))
			if tt.err != nil {
				require.Equal(t, tt.message, PublicMessage(tt.err))
			}
		})
	}
}

func TestPoisonAndLater(t *testing.T) {
	t.Parallel()
	require.NoError(t, Poison(nil))
	base := errors.New("bad body")
	p := Poison(fmt.Errorf("decode: %w", base))
	require.True(t, IsPoison(p))
	require.True(t, IsPoison(fmt.Errorf("handler: %w", p)), "found through wrapping")
	require.ErrorIs(t, p, base)
	require.False(t, IsPoison(base))

	l := fmt.Errorf("fetch transcript: %w", Later(5*time.Minute, base))
	after, ok := RetryAfter(l)
	require.True(t, ok)
	require.Equal(t, 5*time.Minute, after)
	require.ErrorIs(t, l, base)
	_, ok = RetryAfter(base)
	require.False(t, ok)
}
