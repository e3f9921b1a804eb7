package templatecheck

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ARMOptions configures [CheckARM].
type ARMOptions struct {
	// API is the API version policy.
	API APIPolicy
	// Marketplace requires the pid-<GUID>-partnercenter deployment (customer usage attribution).
	Marketplace bool
	// Queues are the Service Bus queue names the functions listen on; nil skips comparing the set.
	Queues []string
	// Roles are the allowed role definition ids (values.json "roles"); nil allows any.
	Roles map[string]string
}

// ForbiddenFlexSettings are app settings Flex Consumption rejects or ignores: their jobs moved to
// functionAppConfig (runtime, deployment storage) or are unsupported on Flex
// (../shared/reference/functions.md §3.2).
var ForbiddenFlexSettings = []string{
	"FUNCTIONS_WORKER_RUNTIME",
	"FUNCTIONS_EXTENSION_VERSION",
	"WEBSITE_RUN_FROM_PACKAGE",
	"WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
	"WEBSITE_CONTENTSHARE",
	"SCM_DO_BUILD_DURING_DEPLOYMENT",
	"WEBSITE_TIME_ZONE",
}

// LoadJSON reads a JSON file into a generic value and returns its bytes too.
func LoadJSON(path string) (map[string]any, []byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return doc, raw, nil
}

const rgSchema = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"

var allowedLocationDefaults = map[string]bool{
	"[resourceGroup().location]": true,
	"[deployment().location]":    true,
	"global":                     true,
}

// CheckARM checks a resource-group-scope ARM template (languageVersion 1.0).
func CheckARM(file string, raw []byte, opts ARMOptions) []Problem {
	ps := &problems{file: file}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		ps.add("json", "%v", err)
		return ps.list
	}
	if doc["$schema"] != rgSchema {
		ps.add("schema", "$schema is %v, want %s", doc["$schema"], rgSchema)
	}
	if _, ok := doc["contentVersion"].(string); !ok {
		ps.add("schema", "contentVersion missing")
	}
	if lv, ok := doc["languageVersion"]; ok && lv != "1.0" {
		ps.add("schema", "languageVersion %v: managed applications take languageVersion 1.0 templates only", lv)
	}
	vars, _ := doc["variables"].(map[string]any)
	declared := map[string]bool{}
	forEachResource(doc, "", func(res map[string]any, typ string) {
		v, _ := res["apiVersion"].(string)
		declared[v] = true
		if err := opts.API.Check(typ, v); err != nil {
			ps.add("apiVersions", "%v", err)
		}
	})
	checkExpressionVersions(ps, string(raw), declared)
	checkTemplate(ps, doc, "template", true)
	if h := hardcodedHosts(string(raw)); len(h) > 0 {
		ps.add("hardcodedHosts", "cloud host names in the template (use environment() or resource properties): %s", strings.Join(uniq(h), ", "))
	}
	for _, name := range ForbiddenFlexSettings {
		if strings.Contains(string(raw), `"`+name+`"`) {
			ps.add("flexSettings", "%s must not be set on Flex Consumption", name)
		}
	}
	if opts.Marketplace {
		checkPid(ps, doc)
	}
	checkFunctionApps(ps, doc, vars)
	checkQueues(ps, doc, vars, opts.Queues)
	checkRoleAssignments(ps, doc, vars, opts.Roles)
	checkPostgres(ps, doc)
	return ps.list
}

// forEachResource calls fn for every resource of t, its child resources (full type joined to
// the parent's) and the resources of nested deployments' templates.
func forEachResource(t map[string]any, parent string, fn func(res map[string]any, typ string)) {
	list, _ := t["resources"].([]any)
	for _, r := range list {
		res, ok := r.(map[string]any)
		if !ok {
			continue
		}
		typ, _ := res["type"].(string)
		if parent != "" {
			typ = parent + "/" + typ
		}
		fn(res, typ)
		forEachResource(res, typ, fn)
		if props, ok := res["properties"].(map[string]any); ok {
			if inner, ok := props["template"].(map[string]any); ok {
				forEachResource(inner, "", fn)
			}
		}
	}
}

var exprVersionRE = regexp.MustCompile(`(reference|list\w*)\([^\[\]]*?'(\d{4}-\d{2}-\d{2}[^']*)'`)

// checkExpressionVersions is arm-ttk's "apiVersions Should Be Recent In Reference Functions":
// an API version passed to reference() or list*() must be one the template's resources use
// (which the apiVersions rule has aged).
func checkExpressionVersions(ps *problems, text string, declared map[string]bool) {
	for _, m := range exprVersionRE.FindAllStringSubmatch(text, -1) {
		if !declared[m[2]] || strings.Count(m[2], "-") > 2 {
			ps.add("apiVersionsInExpressions", "%s(...) uses API version %s, which no resource in the template declares", m[1], m[2])
		}
	}
}

// checkTemplate applies the per-template rules to t and to every nested template.
func checkTemplate(ps *problems, t map[string]any, where string, main bool) {
	params, _ := t["parameters"].(map[string]any)
	vars, _ := t["variables"].(map[string]any)
	outputs, _ := t["outputs"].(map[string]any)

	// Text in which references count: everything but the declarations, and without the
	// bodies of inner-scoped nested templates (their parameters(...) are their own).
	body := map[string]any{"resources": stripInner(t["resources"]), "outputs": outputs}
	bodyText := mustJSON(body)
	for _, name := range sortedKeys(params) {
		ref := "parameters('" + name + "')"
		if !strings.Contains(bodyText, ref) && !strings.Contains(mustJSON(vars), ref) {
			ps.add("parametersReferenced", "%s: parameter %s is never used", where, name)
		}
	}
	for _, name := range sortedKeys(vars) {
		others := map[string]any{}
		for k, v := range vars {
			if k != name {
				others[k] = v
			}
		}
		ref := "variables('" + name + "')"
		if !strings.Contains(bodyText, ref) && !strings.Contains(mustJSON(others), ref) {
			ps.add("variablesReferenced", "%s: variable %s is never used", where, name)
		}
	}

	secure := map[string]bool{}
	for _, name := range sortedKeys(params) {
		p, _ := params[name].(map[string]any)
		typ := strings.ToLower(fmt.Sprint(p["type"]))
		def, hasDefault := p["defaultValue"]
		isSecure := typ == "securestring" || typ == "secureobject"
		if isSecure {
			secure[name] = true
			if hasDefault && !(name == "_artifactsLocationSasToken" && def == "") {
				ps.add("secureParams", "%s: secure parameter %s has a default value", where, name)
			}
		}
		lower := strings.ToLower(name)
		if !isSecure && (strings.Contains(lower, "password") || strings.Contains(lower, "secret")) {
			ps.add("secureParams", "%s: parameter %s holds a secret but is not secureString", where, name)
		}
		if name == "location" && hasDefault {
			if !main {
				ps.add("location", "%s: nested template parameter location has a default", where)
			} else if s, _ := def.(string); !allowedLocationDefaults[s] {
				ps.add("location", "%s: location defaults to %v, want [resourceGroup().location] or [deployment().location]", where, def)
			}
		}
	}
	if main {
		if _, ok := params["location"]; !ok {
			ps.add("location", "%s: no location parameter", where)
		}
	}
	forEachTopResource(t, func(res map[string]any) {
		loc, ok := res["location"]
		if !ok {
			return
		}
		if s, _ := loc.(string); s != "[parameters('location')]" && s != "global" {
			ps.add("location", "%s: resource %v has location %v, want [parameters('location')]", where, res["name"], loc)
		}
	})

	for _, name := range sortedKeys(outputs) {
		text := mustJSON(outputs[name])
		lower := strings.ToLower(name)
		if strings.Contains(lower, "password") || strings.Contains(lower, "secret") {
			ps.add("outputsNoSecrets", "%s: output %s is named like a secret", where, name)
		}
		if regexp.MustCompile(`\blist\w*\(`).MatchString(text) {
			ps.add("outputsNoSecrets", "%s: output %s calls a list*() function", where, name)
		}
		for p := range secure {
			if strings.Contains(text, "parameters('"+p+"')") {
				ps.add("outputsNoSecrets", "%s: output %s returns secure parameter %s", where, name, p)
			}
		}
		if o, _ := outputs[name].(map[string]any); strings.HasPrefix(strings.ToLower(fmt.Sprint(o["type"])), "secure") {
			ps.add("outputsNoSecrets", "%s: output %s is of a secure type", where, name)
		}
	}

	forEachTopResource(t, func(res map[string]any) {
		props, _ := res["properties"].(map[string]any)
		inner, ok := props["template"].(map[string]any)
		if !ok {
			return
		}
		innerScope := false
		if eo, ok := props["expressionEvaluationOptions"].(map[string]any); ok && strings.EqualFold(fmt.Sprint(eo["scope"]), "inner") {
			innerScope = true
		}
		if innerScope {
			checkTemplate(ps, inner, fmt.Sprintf("nested deployment %v", res["name"]), false)
		}
	})
}

func forEachTopResource(t map[string]any, fn func(res map[string]any)) {
	list, _ := t["resources"].([]any)
	for _, r := range list {
		if res, ok := r.(map[string]any); ok {
			fn(res)
		}
	}
}

// stripInner copies resources without the templates of inner-scoped nested deployments.
func stripInner(resources any) any {
	list, _ := resources.([]any)
	out := make([]any, 0, len(list))
	for _, r := range list {
		res, ok := r.(map[string]any)
		if !ok {
			out = append(out, r)
			continue
		}
		props, _ := res["properties"].(map[string]any)
		eo, _ := props["expressionEvaluationOptions"].(map[string]any)
		if _, has := props["template"]; has && strings.EqualFold(fmt.Sprint(eo["scope"]), "inner") {
			cp := map[string]any{}
			for k, v := range res {
				cp[k] = v
			}
			pc := map[string]any{}
			for k, v := range props {
				if k != "template" {
					pc[k] = v
				}
			}
			cp["properties"] = pc
			res = cp
		}
		out = append(out, res)
	}
	return out
}

var pidRE = regexp.MustCompile(`^pid-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}-partnercenter$`)

// checkPid requires the empty customer-usage-attribution deployment Partner Center tracks.
func checkPid(ps *problems, doc map[string]any) {
	found := false
	forEachTopResource(doc, func(res map[string]any) {
		name, _ := res["name"].(string)
		if !strings.EqualFold(fmt.Sprint(res["type"]), "Microsoft.Resources/deployments") || !pidRE.MatchString(name) {
			return
		}
		props, _ := res["properties"].(map[string]any)
		tmpl, _ := props["template"].(map[string]any)
		if rs, ok := tmpl["resources"].([]any); !ok || len(rs) != 0 {
			ps.add("partnerCenterPid", "%s must deploy an empty template", name)
		}
		found = true
	})
	if !found {
		ps.add("partnerCenterPid", "no Microsoft.Resources/deployments named pid-<GUID>-partnercenter")
	}
}

// resolve evaluates the small expression subset the templates use for shared values:
// "[variables('v').a.b[copyIndex()].c]" and "[parameters(...)]"-free literals. ok is false
// for anything else.
func resolve(v any, vars map[string]any, index int) (any, bool) {
	s, isString := v.(string)
	if !isString || !strings.HasPrefix(s, "[") || strings.HasPrefix(s, "[[") {
		return v, true
	}
	m := regexp.MustCompile(`^\[variables\('(\w+)'\)((?:\.\w+|\[copyIndex\(\)\]|\[\d+\])*)\]$`).FindStringSubmatch(s)
	if m == nil {
		return nil, false
	}
	cur, ok := vars[m[1]]
	if !ok {
		return nil, false
	}
	for _, step := range regexp.MustCompile(`\.\w+|\[[^\]]+\]`).FindAllString(m[2], -1) {
		switch {
		case strings.HasPrefix(step, "."):
			obj, ok := cur.(map[string]any)
			if !ok {
				return nil, false
			}
			if cur, ok = obj[step[1:]]; !ok {
				return nil, false
			}
		default:
			i := index
			if step != "[copyIndex()]" {
				i, _ = strconv.Atoi(strings.Trim(step, "[]"))
			}
			list, ok := cur.([]any)
			if !ok || i < 0 || i >= len(list) {
				return nil, false
			}
			cur = list[i]
		}
	}
	// a resolved string may itself be an expression
	if inner, ok := cur.(string); ok && strings.HasPrefix(inner, "[") {
		return resolve(inner, vars, index)
	}
	return cur, true
}

// copyCount returns how many instances a resource has: its copy count resolved as
// "[length(variables(...)...)]", or 1.
func copyCount(res map[string]any, vars map[string]any) int {
	c, ok := res["copy"].(map[string]any)
	if !ok {
		return 1
	}
	s, _ := c["count"].(string)
	m := regexp.MustCompile(`^\[length\((.*)\)\]$`).FindStringSubmatch(s)
	if m == nil {
		if n, ok := c["count"].(float64); ok {
			return int(n)
		}
		return 1
	}
	v, ok := resolve("["+m[1]+"]", vars, 0)
	if list, isList := v.([]any); ok && isList {
		return len(list)
	}
	return 1
}

func prop(res map[string]any, path ...string) any {
	var cur any = res
	for _, p := range path {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = obj[p]
	}
	return cur
}

// checkFunctionApps requires Flex Consumption sites to run the custom handler runtime 1.0 with
// deployment storage, on an FC1 plan.
func checkFunctionApps(ps *problems, doc map[string]any, vars map[string]any) {
	forEachResource(doc, "", func(res map[string]any, typ string) {
		switch strings.ToLower(typ) {
		case "microsoft.web/serverfarms":
			if prop(res, "sku", "name") != "FC1" || prop(res, "sku", "tier") != "FlexConsumption" {
				ps.add("flexRuntime", "plan %v is not Flex Consumption (FC1)", res["name"])
			}
		case "microsoft.web/sites":
			name, _ := resolve(prop(res, "properties", "functionAppConfig", "runtime", "name"), vars, 0)
			version, _ := resolve(prop(res, "properties", "functionAppConfig", "runtime", "version"), vars, 0)
			if name != "custom" || version != "1.0" {
				ps.add("flexRuntime", "site %v: functionAppConfig.runtime is %v %v, want custom 1.0", res["name"], name, version)
			}
			if prop(res, "properties", "functionAppConfig", "deployment", "storage", "type") != "blobContainer" {
				ps.add("flexRuntime", "site %v: no blobContainer deployment storage", res["name"])
			}
		}
	})
}

// checkQueues checks every Service Bus queue: lock duration within the 5-minute maximum,
// bounded deliveries then dead-lettering, dead-lettering of expired messages, duplicate
// detection (message id = dedupe key), no sessions; and the set of names.
func checkQueues(ps *problems, doc map[string]any, vars map[string]any, want []string) {
	got := map[string]bool{}
	forEachResource(doc, "", func(res map[string]any, typ string) {
		if !strings.EqualFold(typ, "Microsoft.ServiceBus/namespaces/queues") {
			return
		}
		for i := 0; i < copyCount(res, vars); i++ {
			name := fmt.Sprint(res["name"])
			if m := regexp.MustCompile(`format\('\{0\}/\{1\}', [^,]+, (.+)\)\]$`).FindStringSubmatch(name); m != nil {
				if v, ok := resolve("["+m[1]+"]", vars, i); ok {
					name = fmt.Sprint(v)
				}
			}
			got[name] = true
			get := func(k string) any {
				v, _ := resolve(prop(res, "properties", k), vars, i)
				return v
			}
			checkQueue(ps, name, get)
		}
	})
	if want != nil {
		compareSets(ps, "queues", "Service Bus queues", keys(got), want)
	}
}

func checkQueue(ps *problems, name string, get func(string) any) {
	lock, _ := get("lockDuration").(string)
	if d, err := isoDuration(lock); err != nil || d <= 0 || d > 5*time.Minute {
		ps.add("queues", "queue %s: lockDuration %q, want PT30S..PT5M", name, lock)
	}
	if n, ok := get("maxDeliveryCount").(float64); !ok || n < 1 || n > 20 {
		ps.add("queues", "queue %s: maxDeliveryCount %v, want 1..20", name, get("maxDeliveryCount"))
	}
	if get("deadLetteringOnMessageExpiration") != true {
		ps.add("queues", "queue %s: deadLetteringOnMessageExpiration is not true", name)
	}
	if get("requiresDuplicateDetection") != true {
		ps.add("queues", "queue %s: requiresDuplicateDetection is not true (message id is the dedupe key)", name)
	}
	if w, _ := get("duplicateDetectionHistoryTimeWindow").(string); w == "" {
		ps.add("queues", "queue %s: no duplicateDetectionHistoryTimeWindow", name)
	}
	if get("requiresSession") == true {
		ps.add("queues", "queue %s: sessions are on (the custom handler's triggers are sessionless)", name)
	}
}

var isoRE = regexp.MustCompile(`^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$`)

// isoDuration parses the ISO 8601 durations Service Bus takes (PnDTnHnMnS).
func isoDuration(s string) (time.Duration, error) {
	m := isoRE.FindStringSubmatch(s)
	if m == nil || s == "P" || s == "PT" {
		return 0, fmt.Errorf("not an ISO 8601 duration: %q", s)
	}
	n := func(i int) time.Duration { v, _ := strconv.Atoi(m[i]); return time.Duration(v) }
	return n(1)*24*time.Hour + n(2)*time.Hour + n(3)*time.Minute + n(4)*time.Second, nil
}

var guidRE = regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// checkRoleAssignments requires each role assignment to name its role by definition id taken
// from the shared values (never an inline GUID or a role name) and to give a principal type.
func checkRoleAssignments(ps *problems, doc map[string]any, vars map[string]any, roles map[string]string) {
	allowed := map[string]bool{}
	for _, id := range roles {
		allowed[strings.ToLower(id)] = true
	}
	forEachResource(doc, "", func(res map[string]any, typ string) {
		if !strings.EqualFold(typ, "Microsoft.Authorization/roleAssignments") {
			return
		}
		def, _ := prop(res, "properties", "roleDefinitionId").(string)
		m := regexp.MustCompile(`^\[subscriptionResourceId\('Microsoft\.Authorization/roleDefinitions', (.+)\)\]$`).FindStringSubmatch(def)
		if m == nil {
			ps.add("roleAssignments", "role assignment %v: roleDefinitionId %q is not subscriptionResourceId('Microsoft.Authorization/roleDefinitions', <id from values>)", res["name"], def)
			return
		}
		if guidRE.MatchString(m[1]) {
			ps.add("roleAssignments", "role assignment %v: inline role id %s (take it from values.json roles)", res["name"], m[1])
		}
		for i := 0; i < copyCount(res, vars); i++ {
			id, ok := resolve("["+m[1]+"]", vars, i)
			if !ok || !guidRE.MatchString(fmt.Sprint(id)) {
				ps.add("roleAssignments", "role assignment %v: role id %s does not resolve to a GUID", res["name"], m[1])
			} else if roles != nil && !allowed[strings.ToLower(fmt.Sprint(id))] {
				ps.add("roleAssignments", "role assignment %v: role id %v is not in values.json roles", res["name"], id)
			}
		}
		if prop(res, "properties", "principalType") == nil {
			ps.add("roleAssignments", "role assignment %v: no principalType", res["name"])
		}
	})
}

// checkPostgres requires Entra-only authentication, a Microsoft Entra admin, and backup
// retention and geo-redundancy taken from parameters.
func checkPostgres(ps *problems, doc map[string]any) {
	servers, admins := 0, 0
	forEachResource(doc, "", func(res map[string]any, typ string) {
		switch strings.ToLower(typ) {
		case "microsoft.dbforpostgresql/flexibleservers":
			servers++
			if prop(res, "properties", "authConfig", "activeDirectoryAuth") != "Enabled" || prop(res, "properties", "authConfig", "passwordAuth") != "Disabled" {
				ps.add("postgres", "server %v: want authConfig activeDirectoryAuth Enabled, passwordAuth Disabled", res["name"])
			}
			for _, k := range []string{"backupRetentionDays", "geoRedundantBackup"} {
				if s, _ := prop(res, "properties", "backup", k).(string); !strings.HasPrefix(s, "[parameters('") {
					ps.add("postgres", "server %v: backup.%s is not a parameter", res["name"], k)
				}
			}
		case "microsoft.dbforpostgresql/flexibleservers/administrators":
			admins++
			if prop(res, "properties", "principalType") != "ServicePrincipal" {
				ps.add("postgres", "administrator %v: principalType is not ServicePrincipal (the app identity)", res["name"])
			}
		}
	})
	if servers > 0 && admins == 0 {
		ps.add("postgres", "no Microsoft Entra administrator for the PostgreSQL server")
	}
}

func compareSets(ps *problems, rule, what string, got, want []string) {
	g, w := map[string]bool{}, map[string]bool{}
	for _, s := range got {
		g[s] = true
	}
	for _, s := range want {
		w[s] = true
	}
	for _, s := range want {
		if !g[s] {
			ps.add(rule, "%s: %s missing", what, s)
		}
	}
	for _, s := range got {
		if !w[s] {
			ps.add(rule, "%s: unexpected %s", what, s)
		}
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // values decoded from JSON always encode
	}
	// undo HTML escaping so text searches see what the file says
	s := strings.NewReplacer(`\u0026`, "&", `\u003c`, "<", `\u003e`, ">").Replace(string(b))
	return s
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func uniq(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if !seen[strings.ToLower(s)] {
			seen[strings.ToLower(s)] = true
			out = append(out, s)
		}
	}
	return out
}
