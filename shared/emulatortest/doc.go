// Package emulatortest runs real emulators for tests: Azurite (Azure Blob, Table and Queue
// Storage) and stripe-mock (the Stripe API). It is for tests only.
//
// Each emulator is started lazily, the first time a test of the process asks for it, as a
// child process listening on free 127.0.0.1 ports; later callers share it. The binaries come
// from scripts/services.sh (which `make test` runs): $AZURITE_BIN, else node_modules/.bin/azurite
// found by walking up from the working directory to the repository root; $STRIPE_MOCK_BIN,
// else .cache/bin/stripe-mock at the repository root. When a binary is missing the test is
// skipped, except when CI is set: then it fails, so CI cannot pass by skipping.
//
// A package that uses an emulator stops it at the end with [Main] from its TestMain (or calls
// [Stop] from its own TestMain after m.Run):
//
//	func TestMain(m *testing.M) { emulatortest.Main(m) }
//
// On Linux the children are also killed if the test process dies without stopping them.
// Emulator state is shared by every test of the process: use unique container, table and
// customer names per test.
package emulatortest
