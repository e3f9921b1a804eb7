package templatecheck

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// BicepFile is what the checks need from one Bicep file, read from its text.
type BicepFile struct {
	// Path is the file's path.
	Path string
	// Text is the file without comments (strings intact).
	Text string
	// Code is Text with string contents blanked except ${...} interpolations, so identifier
	// searches see only code.
	Code string
	// TargetScope is the targetScope value, "" when absent (resourceGroup).
	TargetScope string
	Params      []BicepParam
	Vars        []string
	Resources   []BicepResource
	Modules     []BicepModule
	Outputs     []BicepOutput
	// LoadJSON holds the paths given to loadJsonContent.
	LoadJSON []string
}

// BicepParam is a param declaration.
type BicepParam struct {
	Name       string
	Type       string
	HasDefault bool
	Secure     bool
}

// BicepResource is a resource declaration.
type BicepResource struct {
	Symbol     string
	Type       string
	APIVersion string
	Existing   bool
	// Body is the declaration's text from the symbol to its closing brace.
	Body string
}

// BicepModule is a module declaration.
type BicepModule struct {
	Symbol string
	Path   string
	// Params are the top-level keys of its params object.
	Params []string
}

// BicepOutput is an output declaration.
type BicepOutput struct {
	Name string
	Type string
	Expr string
}

var (
	paramRE    = regexp.MustCompile(`(?m)^param\s+(\w+)\s+(\w+)(\s*=)?`)
	varRE      = regexp.MustCompile(`(?m)^var\s+(\w+)\s*=`)
	resourceRE = regexp.MustCompile(`(?m)^resource\s+(\w+)\s+'([^'@]+)@([^']+)'\s*(existing)?`)
	moduleRE   = regexp.MustCompile(`(?m)^module\s+(\w+)\s+'([^']+)'`)
	outputRE   = regexp.MustCompile(`(?m)^output\s+(\w+)\s+(\w+)\s*=`)
	scopeRE    = regexp.MustCompile(`(?m)^targetScope\s*=\s*'(\w+)'`)
	loadRE     = regexp.MustCompile(`loadJsonContent\('([^']+)'\)`)
	keyRE      = regexp.MustCompile(`(?m)^\s*([A-Za-z_]\w*)\s*:`)
)

// ParseBicep reads a Bicep file.
func ParseBicep(path string) (*BicepFile, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	text, code := scanBicep(string(raw))
	f := &BicepFile{Path: path, Text: text, Code: code}
	if m := scopeRE.FindStringSubmatch(text); m != nil {
		f.TargetScope = m[1]
	}
	for _, m := range paramRE.FindAllStringSubmatchIndex(text, -1) {
		p := BicepParam{Name: text[m[2]:m[3]], Type: text[m[4]:m[5]], HasDefault: m[6] >= 0}
		p.Secure = strings.Contains(decorators(text, m[0]), "@secure()")
		f.Params = append(f.Params, p)
	}
	for _, m := range varRE.FindAllStringSubmatch(text, -1) {
		f.Vars = append(f.Vars, m[1])
	}
	for _, m := range resourceRE.FindAllStringSubmatchIndex(text, -1) {
		r := BicepResource{Symbol: text[m[2]:m[3]], Type: text[m[4]:m[5]], APIVersion: text[m[6]:m[7]], Existing: m[8] >= 0}
		if open := strings.IndexByte(code[m[1]:], '{'); open >= 0 {
			end := matchBrace(code, m[1]+open)
			r.Body = text[m[0]:end]
		}
		f.Resources = append(f.Resources, r)
	}
	for _, m := range moduleRE.FindAllStringSubmatchIndex(text, -1) {
		mod := BicepModule{Symbol: text[m[2]:m[3]], Path: text[m[4]:m[5]]}
		open := strings.IndexByte(code[m[1]:], '{')
		if open >= 0 {
			start := m[1] + open
			body := code[start:matchBrace(code, start)]
			if pm := regexp.MustCompile(`params\s*:\s*\{`).FindStringIndex(body); pm != nil {
				pstart := start + pm[1] - 1
				pbody := code[pstart+1 : matchBrace(code, pstart)-1]
				mod.Params = topLevelKeys(pbody)
			}
		}
		f.Modules = append(f.Modules, mod)
	}
	for _, m := range outputRE.FindAllStringSubmatchIndex(text, -1) {
		f.Outputs = append(f.Outputs, BicepOutput{Name: text[m[2]:m[3]], Type: text[m[4]:m[5]], Expr: statement(text, code, m[1])})
	}
	for _, m := range loadRE.FindAllStringSubmatch(text, -1) {
		f.LoadJSON = append(f.LoadJSON, m[1])
	}
	return f, nil
}

// scanBicep removes comments; code also blanks string contents outside ${...}. Both keep the
// input's length and line structure.
func scanBicep(src string) (text, code string) {
	t := []byte(src)
	c := []byte(src)
	inString, interp := false, 0
	for i := 0; i < len(src); i++ {
		ch := src[i]
		switch {
		case inString && interp == 0:
			switch {
			case ch == '\\' && i+1 < len(src):
				c[i], c[i+1] = ' ', ' '
				i++
			case ch == '\'':
				inString = false
			case ch == '$' && i+1 < len(src) && src[i+1] == '{':
				interp = 1
				i++
			case ch != '\n':
				c[i] = ' '
			}
		case inString && interp > 0:
			if ch == '{' {
				interp++
			} else if ch == '}' {
				interp--
			}
		case ch == '\'':
			inString = true
		case ch == '/' && i+1 < len(src) && src[i+1] == '/':
			for ; i < len(src) && src[i] != '\n'; i++ {
				t[i], c[i] = ' ', ' '
			}
		case ch == '/' && i+1 < len(src) && src[i+1] == '*':
			for ; i < len(src) && !(src[i] == '*' && i+1 < len(src) && src[i+1] == '/'); i++ {
				if src[i] != '\n' {
					t[i], c[i] = ' ', ' '
				}
			}
			if i+1 < len(src) {
				t[i], t[i+1], c[i], c[i+1] = ' ', ' ', ' ', ' '
				i++
			}
		}
	}
	return string(t), string(c)
}

// matchBrace returns the index just past the bracket closing the one at open.
func matchBrace(code string, open int) int {
	depth := 0
	for i := open; i < len(code); i++ {
		switch code[i] {
		case '{', '[', '(':
			depth++
		case '}', ']', ')':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return len(code)
}

// topLevelKeys returns the keys of an object body at nesting depth 0.
func topLevelKeys(body string) []string {
	var out []string
	depth := 0
	lineStart := 0
	for i := 0; i <= len(body); i++ {
		if i == len(body) || body[i] == '\n' {
			line := body[lineStart:i]
			if depth == 0 {
				if m := keyRE.FindStringSubmatch(line); m != nil {
					out = append(out, m[1])
				}
			}
			for _, ch := range line {
				switch ch {
				case '{', '[', '(':
					depth++
				case '}', ']', ')':
					depth--
				}
			}
			lineStart = i + 1
		}
	}
	return out
}

// decorators returns the decorator lines directly above the declaration at pos.
func decorators(text string, pos int) string {
	lines := strings.Split(text[:pos], "\n")
	var out []string
	depth := 0
	for i := len(lines) - 2; i >= 0; i-- {
		line := strings.TrimSpace(lines[i])
		depth += strings.Count(line, ")") + strings.Count(line, "]") - strings.Count(line, "(") - strings.Count(line, "[")
		if depth == 0 && !strings.HasPrefix(line, "@") {
			break
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// statement returns the text from pos to the end of its statement (a newline at depth 0).
func statement(text, code string, pos int) string {
	depth := 0
	for i := pos; i < len(code); i++ {
		switch code[i] {
		case '{', '[', '(':
			depth++
		case '}', ']', ')':
			depth--
		case '\n':
			if depth == 0 {
				return strings.TrimSpace(text[pos:i])
			}
		}
	}
	return strings.TrimSpace(text[pos:])
}

// uses counts how often name is used as an identifier in code: not as an object key (alone
// before a colon at the start of a line) and not as a property after a dot.
func uses(code, name string) int {
	re := regexp.MustCompile(`(^|[^.\w])` + regexp.QuoteMeta(name) + `\b(\s*:)?`)
	n := 0
	for _, m := range re.FindAllStringSubmatchIndex(code, -1) {
		if m[4] >= 0 {
			lineStart := strings.LastIndexByte(code[:m[3]], '\n') + 1
			if strings.TrimSpace(code[lineStart:m[3]]) == "" {
				continue // an object key
			}
		}
		n++
	}
	return n
}

// BicepOptions configures [CheckBicep].
type BicepOptions struct {
	// API is the API version policy.
	API APIPolicy
	// Values is the decoded shared values file; ValuesPath its path.
	Values     map[string]any
	ValuesPath string
	// Parameters is the "parameters" object of the entry's parameters file (nil: none).
	Parameters map[string]any
}

// CheckBicep checks the entry file and every module it reaches. The entry must target the
// subscription and create the resource group; modules are resource-group scoped.
func CheckBicep(entry string, opts BicepOptions) []Problem {
	var all []Problem
	seen := map[string]bool{}
	var files []*BicepFile
	var walk func(path string, isEntry bool)
	walk = func(path string, isEntry bool) {
		abs, _ := filepath.Abs(path)
		if seen[abs] {
			return
		}
		seen[abs] = true
		ps := &problems{file: path}
		f, err := ParseBicep(path)
		if err != nil {
			ps.add("bicepModules", "%v", err)
			all = append(all, ps.list...)
			return
		}
		files = append(files, f)
		checkBicepFile(ps, f, isEntry, opts)
		for _, m := range f.Modules {
			target := filepath.Join(filepath.Dir(path), m.Path)
			mf, err := ParseBicep(target)
			if err != nil {
				ps.add("bicepModules", "module %s: %s does not exist", m.Symbol, m.Path)
				continue
			}
			declared := map[string]BicepParam{}
			for _, p := range mf.Params {
				declared[p.Name] = p
			}
			passed := map[string]bool{}
			for _, k := range m.Params {
				passed[k] = true
				if _, ok := declared[k]; !ok {
					ps.add("bicepModules", "module %s passes %s, which %s does not declare", m.Symbol, k, m.Path)
				}
			}
			for _, p := range mf.Params {
				if !p.HasDefault && !passed[p.Name] {
					ps.add("bicepModules", "module %s does not pass required parameter %s of %s", m.Symbol, p.Name, m.Path)
				}
			}
			defer walk(target, false)
		}
		all = append(all, ps.list...)
	}
	walk(entry, true)
	ps := &problems{file: entry}
	checkBicepTree(ps, files, opts)
	return append(all, ps.list...)
}

func checkBicepFile(ps *problems, f *BicepFile, isEntry bool, opts BicepOptions) {
	secure := map[string]bool{}
	for _, p := range f.Params {
		if uses(f.Code, p.Name) < 2 {
			ps.add("bicepParams", "parameter %s is never used", p.Name)
		}
		if p.Secure {
			secure[p.Name] = true
			if p.HasDefault {
				ps.add("secureParams", "secure parameter %s has a default value", p.Name)
			}
		}
		lower := strings.ToLower(p.Name)
		if !p.Secure && (strings.Contains(lower, "password") || strings.Contains(lower, "secret")) {
			ps.add("secureParams", "parameter %s holds a secret but is not @secure()", p.Name)
		}
		if p.Name == "location" && p.HasDefault && !isEntry {
			ps.add("location", "module parameter location has a default (nested templates must not)")
		}
	}
	for _, v := range f.Vars {
		if uses(f.Code, v) < 2 {
			ps.add("bicepVars", "variable %s is never used", v)
		}
	}
	for _, r := range f.Resources {
		if err := opts.API.Check(r.Type, r.APIVersion); err != nil {
			ps.add("apiVersions", "%v", err)
		}
	}
	for _, o := range f.Outputs {
		lower := strings.ToLower(o.Name)
		if strings.Contains(lower, "password") || strings.Contains(lower, "secret") {
			ps.add("outputsNoSecrets", "output %s is named like a secret", o.Name)
		}
		if regexp.MustCompile(`\blist\w*\(`).MatchString(o.Expr) {
			ps.add("outputsNoSecrets", "output %s calls a list*() function", o.Name)
		}
		for p := range secure {
			if uses(o.Expr, p) > 0 {
				ps.add("outputsNoSecrets", "output %s returns secure parameter %s", o.Name, p)
			}
		}
	}
	if h := hardcodedHosts(f.Text); len(h) > 0 {
		ps.add("hardcodedHosts", "cloud host names (use environment() or resource properties): %s", strings.Join(uniq(h), ", "))
	}
	for _, name := range ForbiddenFlexSettings {
		if strings.Contains(f.Text, name) {
			ps.add("flexSettings", "%s must not be set on Flex Consumption", name)
		}
	}
	if m := guidRE.FindString(f.Text); m != "" {
		ps.add("roleAssignments", "GUID literal %s (role ids come from values.json roles)", m)
	}
	for _, p := range f.LoadJSON {
		abs, _ := filepath.Abs(filepath.Join(filepath.Dir(f.Path), p))
		want, _ := filepath.Abs(opts.ValuesPath)
		if abs != want {
			ps.add("values", "loadJsonContent('%s') is not the shared values file %s", p, opts.ValuesPath)
		}
	}
	for _, m := range regexp.MustCompile(`\bvalues((?:\.\w+)+)`).FindAllStringSubmatch(f.Code, -1) {
		var cur any = opts.Values
		for _, k := range strings.Split(strings.TrimPrefix(m[1], "."), ".") {
			obj, ok := cur.(map[string]any)
			if !ok {
				break // a list element's field (queue.name): checked by values rules
			}
			if cur, ok = obj[k]; !ok {
				ps.add("values", "values%s: %s is not in %s", m[1], k, opts.ValuesPath)
				break
			}
		}
	}
	if isEntry {
		checkBicepEntry(ps, f, opts)
	}
}

func checkBicepEntry(ps *problems, f *BicepFile, opts BicepOptions) {
	if f.TargetScope != "subscription" {
		ps.add("bicepEntry", "targetScope is %q, want 'subscription' (azd creates the resource group)", f.TargetScope)
	}
	rg := false
	for _, r := range f.Resources {
		if strings.EqualFold(r.Type, "Microsoft.Resources/resourceGroups") && strings.Contains(r.Body, "'rg-${environmentName}'") {
			rg = true
		}
	}
	if !rg {
		ps.add("bicepEntry", "no resource group named 'rg-${environmentName}'")
	}
	declared := map[string]BicepParam{}
	for _, p := range f.Params {
		declared[p.Name] = p
	}
	for _, name := range []string{"environmentName", "location", "principalId"} {
		if _, ok := declared[name]; !ok {
			ps.add("bicepEntry", "no parameter %s (azd passes it)", name)
		}
	}
	if opts.Parameters != nil {
		for _, k := range sortedKeys(opts.Parameters) {
			if _, ok := declared[k]; !ok {
				ps.add("bicepEntry", "parameters file sets %s, which is not a parameter", k)
			}
		}
		for _, p := range f.Params {
			if _, ok := opts.Parameters[p.Name]; !ok && !p.HasDefault {
				ps.add("bicepEntry", "required parameter %s is missing from the parameters file", p.Name)
			}
		}
	}
}

// checkBicepTree checks what must hold somewhere among the files: the custom-handler site
// with its azd tag, the queue properties taken from values, Entra-only PostgreSQL.
func checkBicepTree(ps *problems, files []*BicepFile, opts BicepOptions) {
	find := func(typ string) []BicepResource {
		var out []BicepResource
		for _, f := range files {
			for _, r := range f.Resources {
				if strings.EqualFold(r.Type, typ) && !r.Existing {
					out = append(out, r)
				}
			}
		}
		return out
	}
	sites := find("Microsoft.Web/sites")
	if len(sites) == 0 {
		ps.add("flexRuntime", "no Microsoft.Web/sites resource")
	}
	for _, s := range sites {
		for _, want := range []string{"'azd-service-name': values.serviceName", "name: values.functionApp.runtimeName", "version: values.functionApp.runtimeVersion", "functionAppConfig:", "type: 'blobContainer'"} {
			if !strings.Contains(s.Body, want) {
				ps.add("flexRuntime", "site %s lacks %q", s.Symbol, want)
			}
		}
	}
	for _, p := range find("Microsoft.Web/serverfarms") {
		if !strings.Contains(p.Body, "name: 'FC1'") || !strings.Contains(p.Body, "tier: 'FlexConsumption'") {
			ps.add("flexRuntime", "plan %s is not Flex Consumption (FC1)", p.Symbol)
		}
	}
	queues := find("Microsoft.ServiceBus/namespaces/queues")
	if len(queues) == 0 {
		ps.add("queues", "no Service Bus queues")
	}
	for _, q := range queues {
		if !strings.Contains(q.Body, "in values.serviceBus.queues") {
			ps.add("queues", "queues %s are not taken from values.serviceBus.queues", q.Symbol)
		}
		for _, k := range []string{"lockDuration", "maxDeliveryCount", "deadLetteringOnMessageExpiration", "requiresDuplicateDetection", "duplicateDetectionHistoryTimeWindow"} {
			if !strings.Contains(q.Body, k+": queue."+k) {
				ps.add("queues", "queues %s do not set %s from values", q.Symbol, k)
			}
		}
	}
	for _, s := range find("Microsoft.DBforPostgreSQL/flexibleServers") {
		for _, want := range []string{"activeDirectoryAuth: 'Enabled'", "passwordAuth: 'Disabled'", "backupRetentionDays: backupRetentionDays", "geoRedundantBackup: geoRedundantBackup"} {
			if !strings.Contains(s.Body, want) {
				ps.add("postgres", "server %s lacks %q", s.Symbol, want)
			}
		}
	}
	if len(find("Microsoft.DBforPostgreSQL/flexibleServers")) > 0 && len(find("Microsoft.DBforPostgreSQL/flexibleServers/administrators")) == 0 {
		ps.add("postgres", "no Microsoft Entra administrator for the PostgreSQL server")
	}
	for _, r := range find("Microsoft.Authorization/roleAssignments") {
		if !regexp.MustCompile(`roleDefinitionId: subscriptionResourceId\('Microsoft\.Authorization/roleDefinitions', (values\.roles\.\w+|role)\)`).MatchString(r.Body) {
			ps.add("roleAssignments", "role assignment %s does not name its role by id from values.roles", r.Symbol)
		}
		if !strings.Contains(r.Body, "principalType:") {
			ps.add("roleAssignments", "role assignment %s has no principalType", r.Symbol)
		}
	}
}

// String renders a file summary (debugging).
func (f *BicepFile) String() string {
	return fmt.Sprintf("%s: %d params, %d vars, %d resources, %d modules, %d outputs", f.Path, len(f.Params), len(f.Vars), len(f.Resources), len(f.Modules), len(f.Outputs))
}
