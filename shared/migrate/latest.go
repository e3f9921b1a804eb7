package migrate

import (
	"io/fs"
	"strconv"
	"strings"
)

// Latest returns the highest migration version this binary carries for s, read from the
// embedded file names (NNNNN_name.sql), without touching a database: /api/health and
// 'handler version' compare it with what the database has.
func Latest(s Set) int64 {
	fsys := s.FS()
	if fsys == nil {
		return 0
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return 0
	}
	var latest int64
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		i := strings.IndexByte(name, '_')
		if i <= 0 {
			continue
		}
		if v, err := strconv.ParseInt(name[:i], 10, 64); err == nil && v > latest {
			latest = v
		}
	}
	return latest
}
