package migrations

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSets(t *testing.T) {
	t.Parallel()

	name := regexp.MustCompile(`^\d{5}_[a-z0-9_]+\.sql$`)
	for setName, fsys := range map[string]fs.FS{"control": Control(), "tenant": Tenant()} {
		t.Run(setName, func(t *testing.T) {
			t.Parallel()

			files, err := fs.Glob(fsys, "*.sql")
			require.NoError(t, err)
			require.NotEmpty(t, files, "the set has migrations at its root")
			for _, f := range files {
				require.Regexp(t, name, f)
				body, err := fs.ReadFile(fsys, f)
				require.NoError(t, err)
				require.Contains(t, string(body), "-- +goose Up", f)
				require.Contains(t, string(body), "-- +goose Down", f)
				require.Equal(t, strings.Count(string(body), "-- +goose StatementBegin"),
					strings.Count(string(body), "-- +goose StatementEnd"), f)
			}
		})
	}
}
