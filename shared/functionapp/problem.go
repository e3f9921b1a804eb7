package functionapp

// Rule names the requirement a Problem breaks, so callers and tests can branch on it
// without matching message text.
type Rule string

// The rules Check enforces.
const (
	// RuleLayout: the tree holds something other than host.json, the executable and
	// function folders, or a function folder holds more than function.json.
	RuleLayout Rule = "layout"
	// RuleHostJSON: host.json is missing, unreadable or not configured as the design needs.
	RuleHostJSON Rule = "host.json"
	// RuleExecutable: the custom-handler executable is missing, not executable, or not a
	// static linux/amd64 ELF binary.
	RuleExecutable Rule = "executable"
	// RuleFunctionJSON: a function.json is missing, unparsable or has malformed bindings.
	RuleFunctionJSON Rule = "function.json"
	// RuleHTTP: an HTTP function would not get the forwarded raw request.
	RuleHTTP Rule = "http"
	// RuleRoute: an HTTP route could shadow or reach paths it must not.
	RuleRoute Rule = "route"
	// RuleServiceBus: a Service Bus trigger is not configured as the handler expects.
	RuleServiceBus Rule = "servicebus"
	// RuleTimer: a timer trigger has an invalid or unsafe schedule configuration.
	RuleTimer Rule = "timer"
	// RuleContract: the set of functions, their triggers, routes or queues differ from
	// Contract.
	RuleContract Rule = "contract"
	// RuleZip: the zip archive has unsafe names or loses Unix permissions.
	RuleZip Rule = "zip"
)

// Problem is one way a staged function app departs from what the host or the design
// requires.
type Problem struct {
	// Path is the slash-separated path inside the app root the problem is about
	// ("host.json", "Health/function.json"); empty for the tree as a whole.
	Path string
	// Rule is the requirement broken.
	Rule Rule
	// Detail says what is wrong and, where useful, what is expected instead.
	Detail string
}

// Error returns "path: detail", or just the detail when Path is empty.
func (p *Problem) Error() string {
	if p.Path == "" {
		return p.Detail
	}
	return p.Path + ": " + p.Detail
}
