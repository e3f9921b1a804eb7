package migrate

import (
	"io/fs"

	"github.com/meetingminutes/minutes/migrations"
)

// Set names one migration set. Each set has its own version table and advisory lock.
type Set string

const (
	// SetControl is the control-plane schema (migrations/control).
	SetControl Set = "control"
	// SetTenant is the tenant-data schema (migrations/tenant).
	SetTenant Set = "tenant"
)

// allSets lists every set, in the order Up and Status take them when given none.
var allSets = []Set{SetControl, SetTenant}

// FS returns the set's migration files, at the root of the returned file system, or nil for
// an unknown set.
func (s Set) FS() fs.FS {
	switch s {
	case SetControl:
		return migrations.Control()
	case SetTenant:
		return migrations.Tenant()
	}
	return nil
}

// table is the set's goose version table.
func (s Set) table() string {
	return "goose_" + string(s) + "_version"
}

// lockID is the set's session advisory lock key. Advisory locks are per database, so one key
// per set is enough; the values are arbitrary but fixed ("mm" + set number).
func (s Set) lockID() int64 {
	switch s {
	case SetControl:
		return 0x6d6d_0001
	case SetTenant:
		return 0x6d6d_0002
	}
	return 0x6d6d_0000
}

// valid reports whether s is a known set.
func (s Set) valid() bool {
	return s == SetControl || s == SetTenant
}
