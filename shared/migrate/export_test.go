package migrate

import (
	"context"
	"io/fs"
)

// UpFS applies set s's migrations read from fsys instead of the embedded ones.
func UpFS(ctx context.Context, dsn string, s Set, fsys fs.FS) (Result, error) {
	db, err := open(dsn)
	if err != nil {
		return Result{}, err
	}
	defer db.Close()
	return up(ctx, db, s, fsys)
}

// StatusFS reports set s against migrations read from fsys instead of the embedded ones.
func StatusFS(ctx context.Context, dsn string, s Set, fsys fs.FS) (SetStatus, error) {
	db, err := open(dsn)
	if err != nil {
		return SetStatus{}, err
	}
	defer db.Close()
	return status(ctx, db, s, fsys)
}
