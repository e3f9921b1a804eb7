package minutespublish

import (
	"testing"

	"github.com/meetingminutes/minutes/shared/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }
