// Package buildinfo carries the version and commit stamped into the binary at link time
// (see scripts/ldflags.sh). They are variables only because the linker can set nothing else.
package buildinfo

// Version is the release version, "dev" for local builds.
var Version = "dev"

// Commit is the short git commit the binary was built from, "unknown" when not stamped.
var Commit = "unknown"
