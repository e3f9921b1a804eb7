package main

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func lookup(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestRunExitCodesAndOneLineReasons(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	busy := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	cases := []struct {
		name     string
		args     []string
		env      []string
		code     int
		stdout   string
		stderrIn string
	}{
		{"version", []string{"version"}, nil, exitOK, "schema: control", ""},
		{"help", []string{"help"}, nil, exitOK, "standalone", ""},
		{"unknown command", []string{"frobnicate"}, nil, exitUsage, "", `unknown command "frobnicate"`},
		{"serve needs the host's port", nil, nil, exitUsage, "", "FUNCTIONS_CUSTOMHANDLER_PORT"},
		{"malformed port", []string{"serve"}, []string{"FUNCTIONS_CUSTOMHANDLER_PORT", "x1"}, exitUsage, "", "FUNCTIONS_CUSTOMHANDLER_PORT: not a port number"},
		{"malformed database url", []string{"standalone"}, []string{"DATABASE_URL", "mysql://root:pw@h/db"}, exitUsage, "", "DATABASE_URL"},
		{"serve takes no arguments", []string{"serve", "extra"}, []string{"FUNCTIONS_CUSTOMHANDLER_PORT", "7071"}, exitUsage, "", "serve takes no arguments"},
		{"migrate without a database", []string{"migrate", "up"}, nil, exitUsage, "", "MIGRATIONS_DATABASE_URL"},
		{"migrate bad verb", []string{"migrate", "sideways"}, nil, exitUsage, "", "usage: handler migrate up|status"},
		{"dev auth refuses a public listener", []string{"standalone"}, []string{"DEV_AUTH", "1", "LISTEN_HOST", "0.0.0.0", "PORT", freePort(t)}, exitUsage, "", "DEV_AUTH"},
		{"port in use is a runtime failure", []string{"standalone"}, []string{"LISTEN_HOST", "127.0.0.1", "PORT", busy}, exitFailure, "", "listen on 127.0.0.1:" + busy},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			code := run(context.Background(), tt.args, lookup(tt.env...), &out, &errOut)
			require.Equal(t, tt.code, code, "stderr: %s", errOut.String())
			require.Contains(t, out.String(), tt.stdout)
			if tt.stderrIn == "" {
				require.Empty(t, errOut.String())
				return
			}
			require.Contains(t, errOut.String(), tt.stderrIn)
			require.Equal(t, 1, strings.Count(errOut.String(), "\n"), "one line: %q", errOut.String())
			require.NotContains(t, errOut.String(), "pw@", "never echo a password")
		})
	}
}

// freePort returns a port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// TestUnlicensedPublicStandaloneWarns: standalone without a licence on a non-loopback address
// starts (evaluation) and warns that self-hosted installs need one; on loopback it does not.
func TestUnlicensedPublicStandaloneWarns(t *testing.T) {
	t.Parallel()
	for host, warned := range map[string]bool{"0.0.0.0": true, "127.0.0.1": false} {
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		var out, errOut bytes.Buffer
		code := run(ctx, []string{"standalone"}, lookup("LISTEN_HOST", host, "PORT", freePort(t)), &out, &errOut)
		cancel()
		require.Equal(t, exitOK, code, "%s: %s", host, errOut.String())
		require.Equal(t, warned, strings.Contains(out.String()+errOut.String(), "unlicensed"), host)
	}
}
