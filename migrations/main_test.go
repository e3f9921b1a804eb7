package migrations_test

import (
	"testing"

	"github.com/meetingminutes/minutes/shared/dbtest"
)

// The database tests live in the external package migrations_test: dbtest imports
// shared/migrate, which imports this package, so an internal test importing dbtest would be
// an import cycle.
func TestMain(m *testing.M) { dbtest.Main(m) }
