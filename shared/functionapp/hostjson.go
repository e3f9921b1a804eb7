package functionapp

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
)

// The host.json values the design requires (ARCHITECTURE.md §2, functions.md §2.1).
const (
	hostJSONName      = "host.json"
	wantHostVersion   = "2.0"
	wantBundleID      = "Microsoft.Azure.Functions.ExtensionBundle"
	wantBundleVersion = "[4.*, 5.0.0)"
	wantRoutePrefix   = "api"
)

// hostFile is the part of host.json the checks read. encoding/json matches keys
// case-insensitively, as the host does.
type hostFile struct {
	Version         string `json:"version"`
	ExtensionBundle *struct {
		ID      string `json:"id"`
		Version string `json:"version"`
	} `json:"extensionBundle"`
	FunctionTimeout *string `json:"functionTimeout"`
	CustomHandler   *struct {
		Description *struct {
			DefaultExecutablePath string   `json:"defaultExecutablePath"`
			WorkingDirectory      string   `json:"workingDirectory"`
			Arguments             []string `json:"arguments"`
		} `json:"description"`
		EnableForwardingHTTPRequest bool `json:"enableForwardingHttpRequest"`
	} `json:"customHandler"`
	HTTPWorker json.RawMessage `json:"httpWorker"`
	Extensions struct {
		HTTP struct {
			RoutePrefix *string `json:"routePrefix"`
		} `json:"http"`
		ServiceBus struct {
			AutoCompleteMessages *bool `json:"autoCompleteMessages"`
		} `json:"serviceBus"`
	} `json:"extensions"`
}

// checkHost reads and checks host.json. It returns the executable name host.json points
// at ("" when it cannot tell) and the problems found.
func checkHost(fsys fs.FS) (string, []*Problem) {
	bad := func(format string, args ...any) *Problem {
		return &Problem{Path: hostJSONName, Rule: RuleHostJSON, Detail: fmt.Sprintf(format, args...)}
	}
	raw, err := fs.ReadFile(fsys, hostJSONName)
	if err != nil {
		return "", []*Problem{bad("read host.json: %v", err)}
	}
	var h hostFile
	if err := json.Unmarshal(raw, &h); err != nil {
		return "", []*Problem{bad("parse host.json: %v", err)}
	}

	var probs []*Problem
	if h.Version != wantHostVersion {
		probs = append(probs, bad("version is %q, want %q", h.Version, wantHostVersion))
	}
	switch {
	case h.ExtensionBundle == nil:
		probs = append(probs, bad("extensionBundle is missing, want %s %s", wantBundleID, wantBundleVersion))
	default:
		if h.ExtensionBundle.ID != wantBundleID {
			probs = append(probs, bad("extensionBundle.id is %q, want %q", h.ExtensionBundle.ID, wantBundleID))
		}
		if h.ExtensionBundle.Version != wantBundleVersion {
			probs = append(probs, bad("extensionBundle.version is %q, want %q (Flex Consumption needs bundle 4.x)",
				h.ExtensionBundle.Version, wantBundleVersion))
		}
	}
	switch {
	case h.FunctionTimeout == nil:
		probs = append(probs, bad("functionTimeout is missing; set it explicitly, the host's client timeout derives from it"))
	case !validTimeSpan(*h.FunctionTimeout):
		probs = append(probs, bad("functionTimeout %q is not hh:mm:ss", *h.FunctionTimeout))
	}
	if len(h.HTTPWorker) > 0 {
		probs = append(probs, bad("legacy httpWorker section is present; use only customHandler (httpWorker forwards to /{FunctionName}, not the original path)"))
	}

	exe := ""
	switch {
	case h.CustomHandler == nil:
		probs = append(probs, bad("customHandler section is missing"))
	case h.CustomHandler.Description == nil:
		probs = append(probs, bad("customHandler.description is missing"))
	default:
		d := h.CustomHandler.Description
		p := d.DefaultExecutablePath
		switch {
		case p == "":
			probs = append(probs, bad("customHandler.description.defaultExecutablePath is empty"))
		case strings.ContainsAny(p, `/\%`) || p == "." || p == "..":
			probs = append(probs, bad("customHandler.description.defaultExecutablePath %q must name a file at the app root", p))
		default:
			exe = p
		}
		if d.WorkingDirectory != "" && d.WorkingDirectory != "." {
			probs = append(probs, bad("customHandler.description.workingDirectory is %q, want \"\" (the app root)", d.WorkingDirectory))
		}
		for _, a := range d.Arguments {
			if a == "" || strings.ContainsAny(a, " \t\r\n") {
				probs = append(probs, bad("customHandler.description.arguments item %q is empty or holds whitespace; the host joins arguments unquoted", a))
			}
		}
	}
	if h.CustomHandler != nil && !h.CustomHandler.EnableForwardingHTTPRequest {
		probs = append(probs, bad("customHandler.enableForwardingHttpRequest is not true; HTTP functions would get the JSON envelope instead of the raw request"))
	}

	switch rp := h.Extensions.HTTP.RoutePrefix; {
	case rp == nil:
		probs = append(probs, bad("extensions.http.routePrefix is missing, want %q", wantRoutePrefix))
	case *rp != wantRoutePrefix:
		probs = append(probs, bad("extensions.http.routePrefix is %q, want %q; without it public routes can reach envelope paths",
			*rp, wantRoutePrefix))
	}
	if ac := h.Extensions.ServiceBus.AutoCompleteMessages; ac != nil && !*ac {
		probs = append(probs, bad("extensions.serviceBus.autoCompleteMessages is false; a custom handler cannot settle messages itself"))
	}
	return exe, probs
}

// validTimeSpan reports whether s looks like a .NET TimeSpan "hh:mm:ss[.fff]" with
// optional leading days "d.".
func validTimeSpan(s string) bool {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return false
	}
	if d, h, ok := strings.Cut(parts[0], "."); ok {
		if !digits(d) {
			return false
		}
		parts[0] = h
	}
	if sec, frac, ok := strings.Cut(parts[2], "."); ok {
		if !digits(frac) {
			return false
		}
		parts[2] = sec
	}
	for _, p := range parts {
		if !digits(p) {
			return false
		}
	}
	return true
}

// digits reports whether s is a non-empty run of ASCII digits.
func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
