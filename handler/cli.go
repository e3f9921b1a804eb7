package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/meetingminutes/minutes/shared/config"
)

// Exit codes (contract): 0 ok, 1 runtime failure, 2 bad usage or configuration.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

const usage = `usage: handler [command]

commands:
  serve                    Azure Functions custom handler on 127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT (default)
  standalone               self-hosted: HTTP on $PORT (default 8080), queue workers and timers in-process
  migrate up|status        apply or show schema migrations (MIGRATIONS_DATABASE_URL, else DATABASE_URL)
  minutes [--offline] [--format md|json] FILE.vtt|-
                           draft minutes from a transcript (the LLM when OPENAI_* is set)
  license keygen [--out DIR]
                           write a new vendor key pair (RSA 3072; the private key mode 0600)
  license issue --key PRIVATE.pem --customer NAME --edition E --seats N --days D
                [--features a,b] [--grace 14d] [--phone-home]
                           print a license signed with the private key
  license verify [--public-key FILE] [TOKEN|FILE|-]
                           print a license's claims and state (default LICENSE_KEY): exit 0 when
                           valid or in its grace period, 1 when not
  version                  print version, commit and schema versions
`

// usageError is bad usage or configuration: exit 2 with its one-line message.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// run executes one command and returns the process exit code.
func run(ctx context.Context, args []string, lookup config.Lookup, stdout, stderr io.Writer) int {
	err := dispatch(ctx, args, lookup, stdout, stderr)
	var ue *usageError
	var ce *config.Error
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "handler: "+oneLine(ue.msg))
		return exitUsage
	case errors.As(err, &ce):
		fmt.Fprintln(stderr, "handler: configuration: "+oneLine(ce.Error()))
		return exitUsage
	default:
		fmt.Fprintln(stderr, "handler: "+oneLine(err.Error()))
		return exitFailure
	}
}

func dispatch(ctx context.Context, args []string, lookup config.Lookup, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	case "version", "--version":
		if len(args) > 0 {
			return usagef("version takes no arguments")
		}
		return printVersion(stdout)
	case "minutes":
		return minutesCmd(ctx, args, os.Stdin, stdout, stderr, lookup)
	case "license":
		return licenseCmd(args, os.Stdin, stdout, lookup, time.Now)
	}
	cfg, err := config.Load(lookup)
	if err != nil {
		return err
	}
	switch cmd {
	case "serve":
		if len(args) > 0 {
			return usagef("serve takes no arguments, got %q", strings.Join(args, " "))
		}
		if err := cfg.RequireHostPort(); err != nil {
			return err
		}
		ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
		defer stop()
		return serve(ctx, cfg, modeFunctions, stdout, stderr)
	case "standalone":
		if len(args) > 0 {
			return usagef("standalone takes no arguments, got %q", strings.Join(args, " "))
		}
		ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
		defer stop()
		return serve(ctx, cfg, modeStandalone, stdout, stderr)
	case "migrate":
		return migrateCmd(ctx, cfg, args, stdout)
	}
	return usagef("unknown command %q (try 'handler help')", cmd)
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\r", " ")
	return strings.ReplaceAll(s, "\n", " ")
}
