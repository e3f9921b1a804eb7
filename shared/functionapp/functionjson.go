package functionapp

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// functionJSONName is the only file a function folder holds in a staged app.
const functionJSONName = "function.json"

// functionFile is the part of function.json the checks read.
type functionFile struct {
	Bindings []binding `json:"bindings"`
}

// binding is one function.json binding; fields apply to some binding types only.
type binding struct {
	Type      string `json:"type"`
	Direction string `json:"direction"`
	Name      string `json:"name"`

	// httpTrigger
	AuthLevel string   `json:"authLevel"`
	Methods   []string `json:"methods"`
	Route     *string  `json:"route"`

	// serviceBusTrigger
	QueueName         string `json:"queueName"`
	TopicName         string `json:"topicName"`
	Connection        string `json:"connection"`
	DataType          string `json:"dataType"`
	Cardinality       string `json:"cardinality"`
	IsSessionsEnabled bool   `json:"isSessionsEnabled"`

	// timerTrigger
	Schedule     string `json:"schedule"`
	RunOnStartup bool   `json:"runOnStartup"`
}

// in reports whether b is an input binding.
func (b binding) in() bool { return strings.EqualFold(b.Direction, "in") }

// out reports whether b is an output binding.
func (b binding) out() bool { return strings.EqualFold(b.Direction, "out") }

// is reports whether b has binding type t; the host compares types case-insensitively.
func (b binding) is(t string) bool { return strings.EqualFold(b.Type, t) }

// checkFunction reads and checks <name>/function.json against the host's rules and, when
// want is not nil, against the contract entry for name.
func checkFunction(fsys fs.FS, name string, want *Function) []*Problem {
	file := path.Join(name, functionJSONName)
	bad := func(rule Rule, format string, args ...any) *Problem {
		return &Problem{Path: file, Rule: rule, Detail: fmt.Sprintf(format, args...)}
	}
	raw, err := fs.ReadFile(fsys, file)
	if err != nil {
		return []*Problem{bad(RuleFunctionJSON, "read function.json: %v", err)}
	}
	var fn functionFile
	if err := json.Unmarshal(raw, &fn); err != nil {
		return []*Problem{bad(RuleFunctionJSON, "parse function.json: %v", err)}
	}

	var probs []*Problem
	var triggers []binding
	names := map[string]bool{}
	for i, b := range fn.Bindings {
		if b.Type == "" || b.Name == "" || (!b.in() && !b.out() && !strings.EqualFold(b.Direction, "inout")) {
			probs = append(probs, bad(RuleFunctionJSON, "binding %d needs type, name and direction in|out", i))
		}
		if names[strings.ToLower(b.Name)] {
			probs = append(probs, bad(RuleFunctionJSON, "binding name %q is used twice", b.Name))
		}
		names[strings.ToLower(b.Name)] = true
		if b.in() && strings.HasSuffix(strings.ToLower(b.Type), "trigger") {
			triggers = append(triggers, b)
		}
	}
	if len(triggers) != 1 {
		probs = append(probs, bad(RuleFunctionJSON, "has %d trigger bindings, want exactly one", len(triggers)))
		return probs
	}
	trig := triggers[0]

	switch {
	case trig.is(string(TriggerHTTP)):
		probs = append(probs, checkHTTP(fn.Bindings, trig, bad)...)
	case trig.is(string(TriggerServiceBus)):
		probs = append(probs, checkServiceBus(fn.Bindings, trig, bad)...)
	case trig.is(string(TriggerTimer)):
		probs = append(probs, checkTimer(fn.Bindings, trig, bad)...)
	default:
		probs = append(probs, bad(RuleFunctionJSON, "trigger type %q is not one this app handles (httpTrigger, serviceBusTrigger, timerTrigger)", trig.Type))
	}
	if want != nil {
		probs = append(probs, checkContract(trig, *want, bad)...)
	}
	return probs
}

// problemFunc builds a Problem about the function.json being checked.
type problemFunc func(rule Rule, format string, args ...any) *Problem

// checkHTTP checks an HTTP function: exactly httpTrigger in + http out, so that
// enableForwardingHttpRequest applies, and a route that stays below the "api" prefix
// without catching everything.
func checkHTTP(all []binding, trig binding, bad problemFunc) []*Problem {
	var probs []*Problem
	outs := 0
	for _, b := range all {
		if b.out() && b.is("http") {
			outs++
		}
	}
	if len(all) != 2 || outs != 1 {
		probs = append(probs, bad(RuleHTTP,
			"has %d bindings (%d http out); forwarding needs exactly one httpTrigger in and one http out, nothing else", len(all), outs))
	}
	switch strings.ToLower(trig.AuthLevel) {
	case "anonymous", "function", "admin":
	default:
		probs = append(probs, bad(RuleHTTP, "authLevel %q is not anonymous, function or admin", trig.AuthLevel))
	}
	for _, m := range trig.Methods {
		switch strings.ToLower(m) {
		case "get", "post", "put", "patch", "delete", "head", "options", "trace":
		default:
			probs = append(probs, bad(RuleHTTP, "method %q is not an HTTP method", m))
		}
	}
	if trig.Route == nil {
		return probs
	}
	route := *trig.Route
	first, _, _ := strings.Cut(route, "/")
	switch {
	case strings.HasPrefix(route, "/") || strings.HasPrefix(route, "~"):
		probs = append(probs, bad(RuleRoute, "route %q must be relative to the route prefix (no leading / or ~)", route))
	case strings.EqualFold(first, wantRoutePrefix):
		probs = append(probs, bad(RuleRoute, "route %q starts with %q; the host adds the prefix, the public path would be /api/%s",
			route, wantRoutePrefix+"/", route))
	case strings.HasPrefix(first, "{*"):
		probs = append(probs, bad(RuleRoute, "route %q is a catch-all at the root; with forwarding it can reach envelope paths (azure-functions-host#6251)",
			route))
	}
	return probs
}

// checkServiceBus checks a Service Bus trigger: a queue, a connection prefix, raw bytes one
// message at a time, no sessions, and no output bindings (messages are sent with the SDK).
func checkServiceBus(all []binding, trig binding, bad problemFunc) []*Problem {
	var probs []*Problem
	if len(all) != 1 {
		probs = append(probs, bad(RuleServiceBus, "has %d bindings, want only the trigger (send messages with the SDK)", len(all)))
	}
	if trig.QueueName == "" {
		probs = append(probs, bad(RuleServiceBus, "queueName is empty"))
	}
	if trig.TopicName != "" {
		probs = append(probs, bad(RuleServiceBus, "topicName %q is set; this app reads queues", trig.TopicName))
	}
	if trig.Connection == "" {
		probs = append(probs, bad(RuleServiceBus, "connection is empty; name the app-setting prefix (ServiceBusConnection)"))
	}
	if !strings.EqualFold(trig.DataType, "binary") {
		probs = append(probs, bad(RuleServiceBus, "dataType is %q, want \"binary\" (otherwise the body arrives double-encoded)", trig.DataType))
	}
	if !strings.EqualFold(trig.Cardinality, "one") {
		probs = append(probs, bad(RuleServiceBus, "cardinality is %q, want \"one\"", trig.Cardinality))
	}
	if trig.IsSessionsEnabled {
		probs = append(probs, bad(RuleServiceBus, "isSessionsEnabled is true; the queues are not session-enabled"))
	}
	return probs
}

// checkTimer checks a timer trigger: a six-field NCRONTAB schedule, no run on start-up
// (it would fire on every scale-out), and no output bindings.
func checkTimer(all []binding, trig binding, bad problemFunc) []*Problem {
	var probs []*Problem
	if len(all) != 1 {
		probs = append(probs, bad(RuleTimer, "has %d bindings, want only the trigger", len(all)))
	}
	if n := len(strings.Fields(trig.Schedule)); n != 6 {
		probs = append(probs, bad(RuleTimer, "schedule %q has %d fields, want 6 (second minute hour day month weekday)", trig.Schedule, n))
	}
	if trig.RunOnStartup {
		probs = append(probs, bad(RuleTimer, "runOnStartup is true; it fires on every host start and scale-out"))
	}
	return probs
}

// checkContract checks trig against the contract entry want.
func checkContract(trig binding, want Function, bad problemFunc) []*Problem {
	if !trig.is(string(want.Trigger)) {
		return []*Problem{bad(RuleContract, "trigger is %q, the contract says %q", trig.Type, want.Trigger)}
	}
	var probs []*Problem
	switch want.Trigger {
	case TriggerHTTP:
		route := ""
		if trig.Route != nil {
			route = *trig.Route
		}
		if route != want.Route {
			probs = append(probs, bad(RuleContract, "route is %q, the contract says %q", route, want.Route))
		}
		if !strings.EqualFold(trig.AuthLevel, "anonymous") {
			probs = append(probs, bad(RuleContract,
				"authLevel is %q, want \"anonymous\": the app authenticates itself and Graph/Stripe send no function key", trig.AuthLevel))
		}
		if len(trig.Methods) > 0 {
			for _, m := range want.Methods {
				if !slices.ContainsFunc(trig.Methods, func(got string) bool { return strings.EqualFold(got, m) }) {
					probs = append(probs, bad(RuleContract, "methods %v lack %q", trig.Methods, m))
				}
			}
		}
	case TriggerServiceBus:
		if trig.QueueName != want.Queue {
			probs = append(probs, bad(RuleContract, "queueName is %q, the contract says %q", trig.QueueName, want.Queue))
		}
	}
	return probs
}
