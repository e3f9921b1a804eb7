package main

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/config"
	"github.com/meetingminutes/minutes/shared/functionapp"
)

// The registry must agree with functions/*/function.json: the host invokes exactly those
// names, triggers, routes and methods.
func TestFunctionsMatchTheContract(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(lookup())
	require.NoError(t, err)
	a, err := newApp(cfg, modeFunctions, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer a.close()

	var ours, theirs []string
	byName := map[string]function{}
	for _, f := range a.functions() {
		ours = append(ours, f.name)
		byName[f.name] = f
	}
	for _, c := range functionapp.Contract() {
		theirs = append(theirs, c.Name)
		f := byName[c.Name]
		switch c.Trigger {
		case functionapp.TriggerHTTP:
			require.Equal(t, kindHTTP, f.kind, c.Name)
			path := "/api/" + strings.ReplaceAll(c.Route, "{*path}", "some/page")
			for _, m := range c.Methods {
				rec := httptest.NewRecorder()
				a.router.ServeHTTP(rec, httptest.NewRequest(strings.ToUpper(m), path, nil))
				require.NotContains(t, []int{http.StatusNotFound, http.StatusMethodNotAllowed}, rec.Code,
					"%s %s %s is routed by the host, so we must serve it", c.Name, m, path)
			}
		case functionapp.TriggerServiceBus:
			require.Equal(t, kindQueue, f.kind, c.Name)
			require.Equal(t, c.Queue, f.queue, c.Name)
		case functionapp.TriggerTimer:
			require.Equal(t, kindTimer, f.kind, c.Name)
			_, ok := timerEvery(c.Name)
			require.True(t, ok, "standalone runs timer %s too", c.Name)
		}
	}
	sort.Strings(ours)
	sort.Strings(theirs)
	require.Equal(t, theirs, ours)
}
