// Command handler is the Meeting Minutes binary: an Azure Functions custom handler (serve),
// a self-hosted server (standalone), and the operator commands (migrate, version).
//
// main only builds the process's inputs and sets the exit code; everything else lives in run,
// which tests call directly.
package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr))
}
