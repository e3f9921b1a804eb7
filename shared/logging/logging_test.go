package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestContextAttributesReachEveryRecord(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, slog.LevelInfo)
	ctx := With(context.Background(), slog.String(KeyInvocationID, "inv-1"), slog.String(KeyFunction, "Health"))
	ctx = With(ctx, slog.String(KeyTenantID, "t-1"))
	log.InfoContext(ctx, "hello", "n", 1)
	log.DebugContext(ctx, "dropped below level")
	log.Info("no context attrs")

	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	require.Len(t, lines, 2)
	var first map[string]any
	require.NoError(t, json.Unmarshal(lines[0], &first))
	require.Equal(t, "inv-1", first[KeyInvocationID])
	require.Equal(t, "Health", first[KeyFunction])
	require.Equal(t, "t-1", first[KeyTenantID])
	var second map[string]any
	require.NoError(t, json.Unmarshal(lines[1], &second))
	require.NotContains(t, second, KeyInvocationID)
}

func TestWithDoesNotAliasParent(t *testing.T) {
	parent := With(context.Background(), slog.String("a", "1"))
	child1 := With(parent, slog.String("b", "2"))
	child2 := With(parent, slog.String("c", "3"))
	require.Len(t, Attrs(parent), 1)
	require.Equal(t, "b", Attrs(child1)[1].Key)
	require.Equal(t, "c", Attrs(child2)[1].Key)
}

func TestParseLevel(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want slog.Level
		err  bool
	}{
		{"", slog.LevelInfo, false}, {"DEBUG", slog.LevelDebug, false}, {"warning", slog.LevelWarn, false},
		{"error", slog.LevelError, false}, {"loud", 0, true},
	} {
		got, err := ParseLevel(tt.in)
		if tt.err {
			require.Error(t, err, tt.in)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tt.want, got)
	}
}

func TestSplitSendsOnlyErrorsToErrOut(t *testing.T) {
	var out, errOut bytes.Buffer
	log := NewSplit(&out, &errOut, slog.LevelInfo).With("component", "x")
	ctx := With(context.Background(), slog.String(KeyInvocationID, "inv-9"))
	log.InfoContext(ctx, "fine")
	log.WarnContext(ctx, "careful")
	log.ErrorContext(ctx, "broken")
	require.Equal(t, 2, bytes.Count(out.Bytes(), []byte("\n")))
	require.Equal(t, 1, bytes.Count(errOut.Bytes(), []byte("\n")))
	require.Contains(t, errOut.String(), `"invocation_id":"inv-9"`)
	require.Contains(t, errOut.String(), `"component":"x"`)
}
