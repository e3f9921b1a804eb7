package templatecheck

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// AzureYAML is the part of azd's azure.yaml schema (schemas/v1.0/azure.yaml.json) we use.
type AzureYAML struct {
	Name  string `yaml:"name"`
	Infra struct {
		Provider string `yaml:"provider"`
		Path     string `yaml:"path"`
		Module   string `yaml:"module"`
	} `yaml:"infra"`
	Services map[string]AzdService `yaml:"services"`
	Hooks    map[string]AzdHook    `yaml:"hooks"`
}

// AzdService is one azure.yaml service.
type AzdService struct {
	Project  string             `yaml:"project"`
	Host     string             `yaml:"host"`
	Language string             `yaml:"language"`
	Dist     string             `yaml:"dist"`
	Hooks    map[string]AzdHook `yaml:"hooks"`
}

// AzdHook is a hook with optional per-OS overrides.
type AzdHook struct {
	Run     string   `yaml:"run"`
	Shell   string   `yaml:"shell"`
	Posix   *AzdHook `yaml:"posix"`
	Windows *AzdHook `yaml:"windows"`
}

// AzdOptions are what azure.yaml must agree with.
type AzdOptions struct {
	// ServiceName is values.json serviceName: the only service, and the site's azd-service-name tag.
	ServiceName string
	// Dist is the staged function app directory (scripts/package.sh).
	Dist string
	// StageScript is the staging script the prepackage hook must run.
	StageScript string
}

// CheckAzureYAML checks azure.yaml: one custom-handler function service packaged from dist by a
// prepackage hook on both OS families, Bicep infrastructure.
func CheckAzureYAML(file string, raw []byte, opts AzdOptions) []Problem {
	ps := &problems{file: file}
	var y AzureYAML
	if err := yaml.Unmarshal(raw, &y); err != nil {
		ps.add("yaml", "%v", err)
		return ps.list
	}
	if y.Name == "" {
		ps.add("azdName", "name is empty")
	}
	if y.Infra.Provider != "bicep" {
		ps.add("azdInfra", "infra.provider is %q, want bicep", y.Infra.Provider)
	}
	if y.Infra.Path != "" && strings.TrimSuffix(y.Infra.Path, "/") != "infra" {
		ps.add("azdInfra", "infra.path is %q, want infra", y.Infra.Path)
	}
	if y.Infra.Module != "" && y.Infra.Module != "main" {
		ps.add("azdInfra", "infra.module is %q, want main", y.Infra.Module)
	}
	if len(y.Services) != 1 {
		ps.add("azdService", "%d services, want exactly one (%s)", len(y.Services), opts.ServiceName)
	}
	s, ok := y.Services[opts.ServiceName]
	if !ok {
		ps.add("azdService", "no service %q (the site's azd-service-name tag)", opts.ServiceName)
		return ps.list
	}
	if s.Host != "function" {
		ps.add("azdService", "host is %q, want function", s.Host)
	}
	if s.Language != "custom" {
		ps.add("azdService", "language is %q, want custom (go targets the native Go worker and drops the function folders)", s.Language)
	}
	if strings.TrimSuffix(strings.TrimPrefix(s.Dist, "./"), "/") != opts.Dist {
		ps.add("azdService", "dist is %q, want %s (azd zips it as-is)", s.Dist, opts.Dist)
	}
	if s.Project != "." && s.Project != "./" {
		ps.add("azdService", "project is %q, want . (the custom packager uses dist verbatim)", s.Project)
	}
	hook, ok := s.Hooks["prepackage"]
	if !ok {
		ps.add("azdPrepackage", "no prepackage hook staging %s", opts.Dist)
		return ps.list
	}
	for _, os := range []struct {
		name   string
		h      *AzdHook
		shells []string
	}{{"posix", hook.Posix, []string{"sh"}}, {"windows", hook.Windows, []string{"pwsh"}}} {
		if os.h == nil {
			ps.add("azdPrepackage", "prepackage has no %s entry", os.name)
			continue
		}
		if !contains(os.shells, os.h.Shell) {
			ps.add("azdPrepackage", "prepackage %s shell is %q, want %s", os.name, os.h.Shell, strings.Join(os.shells, " or "))
		}
		if !strings.Contains(os.h.Run, opts.StageScript) {
			ps.add("azdPrepackage", "prepackage %s runs %q, not %s", os.name, os.h.Run, opts.StageScript)
		}
	}
	return ps.list
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// CheckValues checks the shared values file: queues (the same rules as the templates'), the
// queue names the functions listen on, role ids, the custom-handler runtime.
func CheckValues(file string, values map[string]any, queues []string) []Problem {
	ps := &problems{file: file}
	sb, _ := values["serviceBus"].(map[string]any)
	list, _ := sb["queues"].([]any)
	var names []string
	for _, q := range list {
		qm, _ := q.(map[string]any)
		name := fmt.Sprint(qm["name"])
		names = append(names, name)
		checkQueue(ps, name, func(k string) any { return qm[k] })
	}
	if queues != nil {
		compareSets(ps, "queues", "values.json queues vs functions/*/function.json", names, queues)
	}
	if sku := fmt.Sprint(sb["skuName"]); sku != "Standard" && sku != "Premium" {
		ps.add("queues", "Service Bus sku %s has no duplicate detection (want Standard or Premium)", sku)
	}
	roles, _ := values["roles"].(map[string]any)
	for _, k := range sortedKeys(roles) {
		if s, _ := roles[k].(string); !guidRE.MatchString(s) || len(s) != 36 {
			ps.add("roleAssignments", "roles.%s is %v, not a role definition GUID", k, roles[k])
		}
	}
	fa, _ := values["functionApp"].(map[string]any)
	if fa["runtimeName"] != "custom" || fa["runtimeVersion"] != "1.0" {
		ps.add("flexRuntime", "functionApp runtime is %v %v, want custom 1.0", fa["runtimeName"], fa["runtimeVersion"])
	}
	return ps.list
}
