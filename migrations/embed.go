// Package migrations holds the schema migrations of Meeting Minutes as goose SQL files,
// embedded in the binary.
//
// There are two sets, each applied and versioned on its own (see shared/migrate):
//
//   - control (control/*.sql): the control plane — tenants, resource profiles, billing,
//     migration runs, receipts. Applied to our control-plane database.
//   - tenant (tenant/*.sql): tenant data — meetings, transcripts, minutes, action items.
//     Applied to the managed database and to every BYOI database.
//
// Files are named NNNNN_description.sql and use goose annotations (-- +goose Up,
// -- +goose Down, -- +goose StatementBegin/End around DO blocks). A migration, once released,
// is never edited: add a new file. Both sets create the minutes_app role when it is missing,
// because a BYOI database receives only the tenant set.
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed control/*.sql
var control embed.FS

//go:embed tenant/*.sql
var tenant embed.FS

// Control returns the control-plane migrations, with the SQL files at the root of the
// returned file system.
func Control() fs.FS {
	return sub(control, "control")
}

// Tenant returns the tenant-data migrations, with the SQL files at the root of the returned
// file system.
func Tenant() fs.FS {
	return sub(tenant, "tenant")
}

// sub returns the directory dir of fsys. fs.Sub fails only on an invalid path, and dir is a
// constant, so an error here is a programming mistake caught by the package's tests.
func sub(fsys fs.FS, dir string) fs.FS {
	s, err := fs.Sub(fsys, dir)
	if err != nil {
		panic("migrations: " + err.Error())
	}
	return s
}
