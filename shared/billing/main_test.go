package billing_test

import (
	"testing"

	"github.com/meetingminutes/minutes/shared/dbtest"
)

// TestMain drops the process's template database. stripe-mock, started on first use by
// billingtest, is killed with this process (emulatortest's parent-death signal) because
// dbtest.Main exits before emulatortest.Stop could run.
func TestMain(m *testing.M) { dbtest.Main(m) }
