// Package dbtest gives tests a real, private PostgreSQL database. It is for tests only.
//
// It reads TEST_DATABASE_URL, a superuser URL (postgres://user@host:port/db?...), which
// scripts/test.sh sets from scripts/postgres.sh. When it is unset a test is skipped, except
// when CI is set: then it fails, so CI can never pass by skipping the database.
//
// [New] returns a fresh database with both migration sets applied, cloned from a template
// that each test process builds once; [Empty] returns one with no migration at all (for
// migration tests). Either is owned by minutes_owner and comes with a pool connected as
// minutes_app, the runtime role (NOSUPERUSER, NOBYPASSRLS), so row-level security is
// exercised as in production. The database is dropped (WITH (FORCE)) when the test ends.
//
// Roles are cluster-wide: the helper creates minutes_owner (LOGIN, CREATEROLE) and
// minutes_app (with the attributes its migration gives it) when missing. Neither has a password, so the server must trust local
// connections for them, as the machine's server and scripts/postgres.sh's cluster do.
//
// Every database it creates is named mmtest_<unix seconds>_<pid>_<random>, so several test
// processes share one server safely; databases of that form older than an hour (left by a
// crashed run) are dropped at first use. A package that uses New must call [Main] from its
// TestMain, so the process's template is dropped at the end:
//
//	func TestMain(m *testing.M) { dbtest.Main(m) }
package dbtest
