package health

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRunReportsEachStateAndReadiness(t *testing.T) {
	t.Parallel()
	ok := func(context.Context) (string, error) { return "fine", nil }
	fail := func(context.Context) (string, error) { return "", errors.New("connection refused") }
	hang := func(ctx context.Context) (string, error) { time.Sleep(5 * time.Second); return "late", nil }
	boom := func(context.Context) (string, error) { panic("bug") }

	cases := []struct {
		name   string
		checks []Check
		ready  bool
		states map[string]State
	}{
		{"all up", []Check{{Name: "database", Required: true, Run: ok}, {Name: "blob", Run: ok}}, true,
			map[string]State{"database": Up, "blob": Up}},
		{"optional disabled is still ready", []Check{{Name: "database", Required: true, Run: ok}, {Name: "license", Disabled: "LICENSE_KEY is not set"}}, true,
			map[string]State{"database": Up, "license": Disabled}},
		{"required disabled is not ready", []Check{{Name: "database", Required: true, Disabled: "DATABASE_URL is not set"}}, false,
			map[string]State{"database": Disabled}},
		{"optional down is not ready", []Check{{Name: "database", Required: true, Run: ok}, {Name: "blob", Run: fail}}, false,
			map[string]State{"database": Up, "blob": Down}},
		{"hung check times out", []Check{{Name: "queue", Run: hang}}, false, map[string]State{"queue": Down}},
		{"panicking check is down, not a crash", []Check{{Name: "queue", Run: boom}}, false, map[string]State{"queue": Down}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			res := Runner{Timeout: 100 * time.Millisecond}.Run(context.Background(), tt.checks)
			require.Less(t, time.Since(start), 2*time.Second, "a hung check must not hang the report")
			require.Equal(t, tt.ready, Ready(res))
			for _, r := range res {
				require.Equal(t, tt.states[r.Name], r.State, r.Name)
				if r.State != Up {
					require.NotEmpty(t, r.Detail, "a non-up check says why")
				}
			}
		})
	}
}

func TestRunSortsByName(t *testing.T) {
	res := Runner{}.Run(context.Background(), []Check{{Name: "queue", Disabled: "x"}, {Name: "blob", Disabled: "y"}})
	require.Equal(t, "blob", res[0].Name)
	require.Equal(t, "queue", res[1].Name)
}
