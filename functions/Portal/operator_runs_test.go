package portal_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestOperatorSeesMigrationRuns(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.env.DB.App.Exec(context.Background(), `INSERT INTO migration_runs (migration_set, target_version, status, total, succeeded, failed, requested_by)
		VALUES ('tenant', 3, 'running', 40, 12, 1, 'operator@example.com')`)
	require.NoError(t, err)
	res := b.get(t, b.asOperator(t), "/api/app/operator/migrations")
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Contains(t, res.text(), "running")
	require.Contains(t, res.text(), "12 ok · 1 failed · 40 in all")
}
