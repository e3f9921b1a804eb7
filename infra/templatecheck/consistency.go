package templatecheck

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
)

// LoadBicepTree parses entry and every module it reaches (missing modules are skipped:
// [CheckBicep] reports them).
func LoadBicepTree(entry string) ([]*BicepFile, error) {
	var out []*BicepFile
	seen := map[string]bool{}
	var walk func(string) error
	walk = func(path string) error {
		abs, _ := filepath.Abs(path)
		if seen[abs] {
			return nil
		}
		seen[abs] = true
		f, err := ParseBicep(path)
		if err != nil {
			return err
		}
		out = append(out, f)
		for _, m := range f.Modules {
			_ = walk(filepath.Join(filepath.Dir(path), m.Path))
		}
		return nil
	}
	return out, walk(entry)
}

// ConsistencyOptions lists what may differ between the azd (Bicep) and Marketplace (ARM)
// deployments.
type ConsistencyOptions struct {
	// BicepOnlyTypes and ARMOnlyTypes are resource types one side deploys and the other does not.
	BicepOnlyTypes, ARMOnlyTypes []string
	// BicepOnlyRoles and ARMOnlyRoles are values.json role keys one side assigns.
	BicepOnlyRoles, ARMOnlyRoles []string
}

// CheckConsistency compares the Bicep tree with the ARM template: the template's
// variables.values must equal values.json; both deploy the same resource types at the same
// API versions, assign the same roles, and give the function app the same base settings.
func CheckConsistency(file string, bicep []*BicepFile, armRaw []byte, values map[string]any, opts ConsistencyOptions) []Problem {
	ps := &problems{file: file}
	var arm map[string]any
	if err := json.Unmarshal(armRaw, &arm); err != nil {
		ps.add("json", "%v", err)
		return ps.list
	}
	vars, _ := arm["variables"].(map[string]any)
	if !reflect.DeepEqual(vars["values"], values) {
		ps.add("sharedValues", "mainTemplate variables.values differs from values.json (copy values.json into it)")
	}

	bTypes := map[string]string{}
	for _, f := range bicep {
		for _, r := range f.Resources {
			t := strings.ToLower(r.Type)
			if prev, ok := bTypes[t]; ok && prev != r.APIVersion {
				ps.add("apiVersionConsistency", "Bicep uses %s at %s and %s", r.Type, prev, r.APIVersion)
			}
			bTypes[t] = r.APIVersion
		}
	}
	aTypes := map[string]string{}
	forEachResource(arm, "", func(res map[string]any, typ string) {
		v, _ := res["apiVersion"].(string)
		t := strings.ToLower(typ)
		if prev, ok := aTypes[t]; ok && prev != v {
			ps.add("apiVersionConsistency", "the template uses %s at %s and %s", typ, prev, v)
		}
		aTypes[t] = v
	})
	skipB, skipA := lowerSet(opts.BicepOnlyTypes), lowerSet(opts.ARMOnlyTypes)
	for _, t := range sortedStrings(bTypes) {
		av, ok := aTypes[t]
		switch {
		case !ok && !skipB[t]:
			ps.add("resourceTypes", "Bicep deploys %s, the Marketplace template does not", t)
		case ok && av != bTypes[t]:
			ps.add("apiVersionConsistency", "%s: Bicep %s, Marketplace template %s", t, bTypes[t], av)
		}
	}
	for _, t := range sortedStrings(aTypes) {
		if _, ok := bTypes[t]; !ok && !skipA[t] {
			ps.add("resourceTypes", "the Marketplace template deploys %s, Bicep does not", t)
		}
	}

	roleRE := regexp.MustCompile(`values\.roles\.(\w+)`)
	bRoles, aRoles := map[string]bool{}, map[string]bool{}
	for _, f := range bicep {
		for _, m := range roleRE.FindAllStringSubmatch(f.Code, -1) {
			bRoles[m[1]] = true
		}
	}
	for _, m := range regexp.MustCompile(`variables\('values'\)\.roles\.(\w+)`).FindAllStringSubmatch(string(armRaw), -1) {
		aRoles[m[1]] = true
	}
	onlyB, onlyA := map[string]bool{}, map[string]bool{}
	for _, r := range opts.BicepOnlyRoles {
		onlyB[r] = true
	}
	for _, r := range opts.ARMOnlyRoles {
		onlyA[r] = true
	}
	for _, r := range keys(bRoles) {
		if !aRoles[r] && !onlyB[r] {
			ps.add("roleConsistency", "Bicep assigns role %s, the Marketplace template does not", r)
		}
	}
	for _, r := range keys(aRoles) {
		if !bRoles[r] && !onlyA[r] {
			ps.add("roleConsistency", "the Marketplace template assigns role %s, Bicep does not", r)
		}
	}

	prefix, _ := values["serviceBus"].(map[string]any)["connectionPrefix"].(string)
	bSettings := bicepAppSettings(bicep, prefix)
	if len(bSettings) == 0 {
		ps.add("appSettings", "no app settings found in the Bicep Microsoft.Web/sites/config resource")
	}
	aSettings := map[string]bool{}
	forEachResource(arm, "", func(res map[string]any, typ string) {
		if strings.EqualFold(typ, "Microsoft.Web/sites/config") {
			props, _ := res["properties"].(map[string]any)
			for k := range props {
				aSettings[k] = true
			}
		}
	})
	for _, k := range bSettings {
		if !aSettings[k] {
			ps.add("appSettings", "app setting %s is set by Bicep, not by the Marketplace template", k)
		}
	}
	checkEntraDatabase(ps, bicep, arm)
	return ps.list
}

// checkEntraDatabase: the PostgreSQL servers both templates create take Microsoft Entra
// tokens only, so a DATABASE_URL without a password works only with DATABASE_AUTH=entra (the
// handler then fetches a token per connection, shared/pgauth); without it every connection
// is refused and the app never becomes ready.
func checkEntraDatabase(ps *problems, bicep []*BicepFile, arm map[string]any) {
	authRE := regexp.MustCompile(`(?m)^\s*DATABASE_AUTH\s*:\s*'entra'`)
	for _, f := range bicep {
		for _, r := range f.Resources {
			if strings.EqualFold(r.Type, "Microsoft.Web/sites/config") && strings.Contains(r.Body, "DATABASE_URL:") &&
				!strings.Contains(strings.ToLower(r.Body), "password") && !authRE.MatchString(r.Body) {
				ps.add("entraDatabaseAuth", "%s sets DATABASE_URL without a password but not DATABASE_AUTH: 'entra'", f.Path)
			}
		}
	}
	forEachResource(arm, "", func(res map[string]any, typ string) {
		if !strings.EqualFold(typ, "Microsoft.Web/sites/config") {
			return
		}
		props, _ := res["properties"].(map[string]any)
		dsn, ok := props["DATABASE_URL"].(string)
		if ok && !strings.Contains(strings.ToLower(dsn), "password") && props["DATABASE_AUTH"] != "entra" {
			ps.add("entraDatabaseAuth", "the Marketplace template sets DATABASE_URL without a password but not DATABASE_AUTH=entra")
		}
	})
}

var settingKeyRE = regexp.MustCompile(`(?m)^\s*'?((?:\$\{values\.serviceBus\.connectionPrefix\}|[A-Za-z])[A-Za-z0-9_]*)'?\s*:`)

// bicepAppSettings returns the keys of the first object in the app settings resource: the
// base settings every deployment gets.
func bicepAppSettings(files []*BicepFile, prefix string) []string {
	var out []string
	for _, f := range files {
		for _, r := range f.Resources {
			if !strings.EqualFold(r.Type, "Microsoft.Web/sites/config") {
				continue
			}
			for _, m := range settingKeyRE.FindAllStringSubmatch(r.Body, -1) {
				k := strings.Replace(m[1], "${values.serviceBus.connectionPrefix}", prefix, 1)
				if strings.ToUpper(k) == k || strings.Contains(k, "__") {
					out = append(out, k)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func lowerSet(list []string) map[string]bool {
	out := map[string]bool{}
	for _, s := range list {
		out[strings.ToLower(s)] = true
	}
	return out
}

func sortedStrings(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
