package templatecheck_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/infra/templatecheck"
)

// Each fixture under testdata/<kind>/ is named <rule>[-variant]: it breaks that rule and only
// as much else as it must. good.* breaks nothing. A new case is a new file.

// fixturePolicy ages API versions against the fixed date only.
var fixturePolicy = templatecheck.APIPolicy{Today: checkDate}

// cases runs check on every fixture in dir (files or directories) and requires good to pass
// and every other fixture to break the rule its name starts with.
func cases(t *testing.T, dir string, check func(t *testing.T, path string) []templatecheck.Problem) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join("testdata", dir))
	require.NoError(t, err)
	require.Greater(t, len(entries), 1)
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), filepath.Ext(e.Name()))
		if e.Name() == "template.json" {
			continue
		}
		path := filepath.Join("testdata", dir, e.Name())
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ps := check(t, path)
			if name == "good" {
				require.Empty(t, ps, "\n%s", templatecheck.Join(ps))
				return
			}
			rule, _, _ := strings.Cut(name, "-")
			require.Contains(t, templatecheck.Rules(ps), rule, "fixture %s: want a %s problem, got:\n%s", path, rule, templatecheck.Join(ps))
		})
	}
}

func TestARMRules(t *testing.T) {
	t.Parallel()
	cases(t, "arm", func(t *testing.T, path string) []templatecheck.Problem {
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		return templatecheck.CheckARM(path, raw, templatecheck.ARMOptions{
			API:         fixturePolicy,
			Marketplace: true,
			Queues:      []string{"q1"},
			Roles:       map[string]string{"receiver": "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0"},
		})
	})
}

func TestCreateUIDefRules(t *testing.T) {
	t.Parallel()
	tmpl, err := os.ReadFile(filepath.Join("testdata", "ui", "template.json"))
	require.NoError(t, err)
	cases(t, "ui", func(t *testing.T, path string) []templatecheck.Problem {
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		return templatecheck.CheckCreateUIDef(path, raw, tmpl)
	})
}

func TestBicepRules(t *testing.T) {
	t.Parallel()
	cases(t, "bicep", func(t *testing.T, dir string) []templatecheck.Problem {
		v, _ := readJSON(t, filepath.Join(dir, "values.json"))
		params, _ := readJSON(t, filepath.Join(dir, "main.parameters.json"))
		return templatecheck.CheckBicep(filepath.Join(dir, "main.bicep"), templatecheck.BicepOptions{
			API:        fixturePolicy,
			Values:     v,
			ValuesPath: filepath.Join(dir, "values.json"),
			Parameters: params["parameters"].(map[string]any),
		})
	})
}

func TestAzureYAMLRules(t *testing.T) {
	t.Parallel()
	cases(t, "azd", func(t *testing.T, path string) []templatecheck.Problem {
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		return templatecheck.CheckAzureYAML(path, raw, azdOptions)
	})
}

func TestValuesRules(t *testing.T) {
	t.Parallel()
	cases(t, "values", func(t *testing.T, path string) []templatecheck.Problem {
		v, _ := readJSON(t, path)
		return templatecheck.CheckValues(path, v, []string{"q1"})
	})
}

// TestConsistencyRules breaks copies of the real templates in memory: the rules compare two
// large files, so the fixture is the real pair with one change.
func TestConsistencyRules(t *testing.T) {
	t.Parallel()
	files, err := templatecheck.LoadBicepTree(filepath.Join(infra, "main.bicep"))
	require.NoError(t, err)
	path := filepath.Join(infra, "marketplace", "mainTemplate.json")
	for _, tt := range []struct {
		rule   string
		mutate func(arm map[string]any)
	}{
		{"sharedValues", func(arm map[string]any) {
			q := arm["variables"].(map[string]any)["values"].(map[string]any)["serviceBus"].(map[string]any)["queues"].([]any)[0].(map[string]any)
			q["maxDeliveryCount"] = 3.0
		}},
		{"apiVersionConsistency", func(arm map[string]any) {
			armResource(arm, "Microsoft.KeyVault/vaults")["apiVersion"] = "2026-02-01"
		}},
		{"resourceTypes", func(arm map[string]any) {
			removeResource(arm, "Microsoft.Storage/storageAccounts/tableServices/tables")
		}},
		{"roleConsistency", func(arm map[string]any) {
			removeRoleUsing(arm, "monitoringMetricsPublisher")
		}},
		{"appSettings", func(arm map[string]any) {
			delete(armResource(arm, "Microsoft.Web/sites/config")["properties"].(map[string]any), "DATABASE_URL")
		}},
		{"entraDatabaseAuth", func(arm map[string]any) {
			delete(armResource(arm, "Microsoft.Web/sites/config")["properties"].(map[string]any), "DATABASE_AUTH")
		}},
	} {
		t.Run(tt.rule, func(t *testing.T) {
			t.Parallel()
			arm, _ := readJSON(t, path)
			tt.mutate(arm)
			raw, err := json.Marshal(arm)
			require.NoError(t, err)
			ps := templatecheck.CheckConsistency(path, files, raw, values(t), marketplaceDifferences)
			require.Contains(t, templatecheck.Rules(ps), tt.rule, "\n%s", templatecheck.Join(ps))
		})
	}
}

func armResource(arm map[string]any, typ string) map[string]any {
	for _, r := range arm["resources"].([]any) {
		if res := r.(map[string]any); res["type"] == typ {
			return res
		}
	}
	panic("no " + typ)
}

func removeResource(arm map[string]any, typ string) {
	var keep []any
	for _, r := range arm["resources"].([]any) {
		if r.(map[string]any)["type"] != typ {
			keep = append(keep, r)
		}
	}
	arm["resources"] = keep
}

func removeRoleUsing(arm map[string]any, role string) {
	var keep []any
	for _, r := range arm["resources"].([]any) {
		b, _ := json.Marshal(r)
		if !strings.Contains(string(b), "roles."+role) {
			keep = append(keep, r)
		}
	}
	arm["resources"] = keep
}
