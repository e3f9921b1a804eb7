package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/meetingminutes/minutes/shared/dbtest"
)

// handlerBin is the real binary, built once per test process, that the conformance suite
// starts exactly as the Functions host would.
var handlerBin string

func TestMain(m *testing.M) {
	dir, err := filepath.Abs(filepath.Join("..", ".cache", "testbin"))
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err == nil {
		handlerBin = filepath.Join(dir, "handler")
		cmd := exec.Command("go", "build", "-o", handlerBin, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		err = cmd.Run()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "build handler for tests:", err)
		os.Exit(1)
	}
	dbtest.Main(m)
}
