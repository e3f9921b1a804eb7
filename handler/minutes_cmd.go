package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/meetingminutes/minutes/shared/config"
	"github.com/meetingminutes/minutes/shared/generate"
	"github.com/meetingminutes/minutes/shared/minutes"
)

// maxMinutesInput is the largest transcript `handler minutes` reads: 50 MB, far above a
// day-long Teams transcript.
const maxMinutesInput = 50 << 20

const minutesUsage = `usage: handler minutes [--offline] [--format md|json] [--subject S] [--date YYYY-MM-DD] FILE.vtt|-

Drafts minutes from a Teams transcript (WebVTT or the .txt export; "-" reads standard input).
Uses the language model when OPENAI_ENDPOINT+OPENAI_DEPLOYMENT (Azure OpenAI) or
OPENAI_BASE_URL+OPENAI_MODEL are set, unless --offline. --date resolves "by Friday".
`

// runMinutes runs `handler minutes` and returns the exit code, printing errors as run does.
func runMinutes(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, lookup config.Lookup) int {
	err := minutesCmd(ctx, args, stdin, stdout, stderr, lookup)
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "handler: "+oneLine(ue.msg))
		return exitUsage
	default:
		fmt.Fprintln(stderr, "handler: "+oneLine(err.Error()))
		return exitFailure
	}
}

// minutesCmd is `handler minutes`: bad usage, configuration or input is a *usageError
// (exit 2); a failure of the model that did not fall back is any other error (exit 1).
func minutesCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, lookup config.Lookup) error {
	fs := flag.NewFlagSet("minutes", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	offline := fs.Bool("offline", false, "")
	format := fs.String("format", "md", "")
	subject := fs.String("subject", "", "")
	date := fs.String("date", "", "")
	// Flags may come before or after the file name.
	var files []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, minutesUsage)
				return nil
			}
			return usagef("minutes: %v (try 'handler minutes --help')", err)
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(files) != 1 {
		return usagef("minutes: want one transcript file or -, got %d (try 'handler minutes --help')", len(files))
	}
	if *format != "md" && *format != "json" {
		return usagef("minutes: --format must be md or json, got %q", *format)
	}
	var start time.Time
	if *date != "" {
		d, err := time.Parse(time.DateOnly, *date)
		if err != nil {
			return usagef("minutes: --date must be YYYY-MM-DD, got %q", *date)
		}
		start = d
	}

	name := files[0]
	var r io.Reader = stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return usagef("minutes: %v", err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxMinutesInput+1))
	if err != nil {
		return usagef("minutes: read %s: %v", name, err)
	}
	t, err := parseMinutesInput(name, data)
	if err != nil {
		return err
	}

	var gen generate.Generator = &generate.Offline{}
	if !*offline {
		cfg, err := generate.LoadLLMConfig(func(k string) string { v, _ := lookup(k); return v })
		if err != nil {
			return usagef("minutes: configuration: %v", err)
		}
		if cfg.Configured() {
			log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
			llm, err := generate.NewLLM(cfg, &generate.LLMOptions{Logger: log})
			if err != nil {
				return usagef("minutes: %v", err)
			}
			gen = llm
		}
	}
	m, err := gen.Generate(ctx, generate.Input{Transcript: t, Subject: *subject, Start: start})
	if err != nil {
		return fmt.Errorf("minutes: generate: %w", err)
	}
	if *format == "json" {
		b, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			return fmt.Errorf("minutes: encode: %w", err)
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	_, err = io.WriteString(stdout, m.Markdown())
	return err
}

// parseMinutesInput checks and parses the bytes of a transcript; every refusal is a
// one-line *usageError.
func parseMinutesInput(name string, data []byte) (*minutes.Transcript, error) {
	switch {
	case len(data) > maxMinutesInput:
		return nil, usagef("minutes: %s is larger than %d MB", name, maxMinutesInput>>20)
	case len(bytes.TrimSpace(data)) == 0:
		return nil, usagef("minutes: %s is empty", name)
	}
	head := data[:min(len(data), 8<<10)]
	if bytes.IndexByte(head, 0) >= 0 || !utf8.Valid(trimPartialRune(head)) {
		return nil, usagef("minutes: %s is not a transcript (binary data)", name)
	}
	parseName := name
	if name == "-" {
		parseName = "stdin"
	}
	t, err := minutes.Parse(parseName, bytes.NewReader(data))
	if err != nil {
		var pe *minutes.ParseError
		switch {
		case errors.Is(err, minutes.ErrNotVTT), errors.Is(err, minutes.ErrUnsupportedFormat), errors.As(err, &pe):
			return nil, usagef("minutes: %s is not a transcript: %v", name, err)
		}
		return nil, usagef("minutes: read %s: %v", name, err)
	}
	if len(t.Cues) == 0 {
		return nil, usagef("minutes: %s is not a transcript: no speech found", name)
	}
	if strings.TrimSpace(t.Cues[0].Text) == "" {
		return nil, usagef("minutes: %s is not a transcript", name)
	}
	return t, nil
}

// trimPartialRune drops an incomplete UTF-8 sequence cut at the end of b.
func trimPartialRune(b []byte) []byte {
	for i := 0; i < 3 && len(b) > 0; i++ {
		r, size := utf8.DecodeLastRune(b)
		if r != utf8.RuneError || size != 1 {
			return b
		}
		b = b[:len(b)-1]
	}
	return b
}
