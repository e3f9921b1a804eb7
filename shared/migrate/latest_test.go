package migrate

import (
	"io/fs"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLatestMatchesTheEmbeddedFiles(t *testing.T) {
	for _, s := range []Set{SetControl, SetTenant} {
		files, err := fs.Glob(s.FS(), "*.sql")
		require.NoError(t, err)
		require.NotEmpty(t, files)
		require.GreaterOrEqual(t, Latest(s), int64(1), s)
	}
	require.Zero(t, Latest(Set("nope")))
}
