package usagereport

import (
	"testing"

	"github.com/meetingminutes/minutes/shared/dbtest"
)

// TestMain drops the template database; stripe-mock dies with the process (see
// shared/emulatortest).
func TestMain(m *testing.M) { dbtest.Main(m) }
