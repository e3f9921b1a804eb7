package license

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLoad(t *testing.T) {
	t.Parallel()
	good := issue(t, validClaims())
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	cases := []struct {
		name   string
		value  string
		want   string
		err    error
		reason string
	}{
		{name: "the token itself", value: good, want: good},
		{name: "the token with a trailing newline", value: good + "\n", want: good},
		{name: "a file with a trailing newline", value: write("license.jwt", good+"\n"), want: good},
		{name: "a file with CRLF and a byte-order mark", value: write("notepad.jwt", "\ufeff"+good+"\r\n"), want: good},
		{name: "a missing file", value: filepath.Join(dir, "missing.jwt"), err: fs.ErrNotExist, reason: "missing.jwt"},
		{name: "a directory", value: dir, reason: "read license file"},
		{name: "an empty file", value: write("empty.jwt", "\n\n"), err: ErrInvalid, reason: "empty"},
		{name: "an oversized file", value: write("big.jwt", strings.Repeat("A", MaxTokenBytes+8<<10)), err: ErrInvalid, reason: "16 KiB"},
		{name: "a damaged token is not taken for a path", value: strings.Replace(good, ".", "", 1), err: ErrInvalid, reason: "well-formed"},
		{name: "empty", value: "  ", err: ErrInvalid},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Load(tt.value)
			if tt.want != "" {
				require.NoError(t, err)
				require.Equal(t, tt.want, got)
				_, err = verifier(t).Verify(got)
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
			}
			require.Contains(t, err.Error(), tt.reason)
			_, payload, _ := split(good)
			require.NotContains(t, err.Error(), payload)
		})
	}
}

func TestIsToken(t *testing.T) {
	t.Parallel()
	require.True(t, IsToken("eyJh.eyJz.sig-_"))
	require.True(t, IsToken(" a.b.c\n"))
	for _, s := range []string{"/etc/minutes/license.jwt", "license.jwt", "./a.b.c", "a.b", "a.b.c.d", "a b.c.d", ""} {
		require.False(t, IsToken(s), s)
	}
}
