package templatecheck_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/infra/templatecheck"
)

// checkDate is the earliest date API versions are aged against; the real templates are aged
// against today when it is later, so they start failing when a version falls out of
// Marketplace's 730-day window (fixtures use checkDate alone and never change outcome).
var checkDate = time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)

const infra = ".."

func policy() templatecheck.APIPolicy {
	today := time.Now().UTC()
	if today.Before(checkDate) {
		today = checkDate
	}
	return templatecheck.APIPolicy{Today: today}
}

func readJSON(t *testing.T, path string) (map[string]any, []byte) {
	t.Helper()
	doc, raw, err := templatecheck.LoadJSON(path)
	require.NoError(t, err)
	return doc, raw
}

func values(t *testing.T) map[string]any {
	v, _ := readJSON(t, filepath.Join(infra, "values.json"))
	return v
}

func roles(t *testing.T) map[string]string {
	out := map[string]string{}
	for k, v := range values(t)["roles"].(map[string]any) {
		out[k] = v.(string)
	}
	return out
}

// functionQueues are the queue names of the Service Bus triggers under functions/.
func functionQueues(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(infra, "..", "functions", "*", "function.json"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	var out []string
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		require.NoError(t, err)
		var fj struct {
			Bindings []struct {
				Type       string `json:"type"`
				QueueName  string `json:"queueName"`
				Connection string `json:"connection"`
			} `json:"bindings"`
		}
		require.NoError(t, json.Unmarshal(raw, &fj), p)
		for _, b := range fj.Bindings {
			if b.Type == "serviceBusTrigger" {
				require.Equal(t, "ServiceBusConnection", b.Connection, "%s: connection must be values.serviceBus.connectionPrefix", p)
				out = append(out, b.QueueName)
			}
		}
	}
	sort.Strings(out)
	return out
}

func requireNoProblems(t *testing.T, ps []templatecheck.Problem) {
	t.Helper()
	require.Empty(t, ps, "\n%s", templatecheck.Join(ps))
}

func TestTemplates(t *testing.T) {
	t.Parallel()
	mainTemplate := filepath.Join(infra, "marketplace", "mainTemplate.json")

	t.Run("values", func(t *testing.T) {
		t.Parallel()
		v := values(t)
		require.Equal(t, "ServiceBusConnection", v["serviceBus"].(map[string]any)["connectionPrefix"])
		requireNoProblems(t, templatecheck.CheckValues("values.json", v, functionQueues(t)))
	})

	t.Run("marketplace mainTemplate", func(t *testing.T) {
		t.Parallel()
		_, raw := readJSON(t, mainTemplate)
		requireNoProblems(t, templatecheck.CheckARM(mainTemplate, raw, templatecheck.ARMOptions{
			API:         policy(),
			Marketplace: true,
			Queues:      functionQueues(t),
			Roles:       roles(t),
		}))
	})

	t.Run("createUiDefinition", func(t *testing.T) {
		t.Parallel()
		_, tmpl := readJSON(t, mainTemplate)
		path := filepath.Join(infra, "marketplace", "createUiDefinition.json")
		_, raw := readJSON(t, path)
		requireNoProblems(t, templatecheck.CheckCreateUIDef(path, raw, tmpl))
	})

	t.Run("viewDefinition", func(t *testing.T) {
		t.Parallel()
		doc, _ := readJSON(t, filepath.Join(infra, "marketplace", "viewDefinition.json"))
		views, _ := doc["views"].([]any)
		require.NotEmpty(t, views)
		require.Equal(t, "Overview", views[0].(map[string]any)["kind"])
	})

	t.Run("bicep", func(t *testing.T) {
		t.Parallel()
		params, _ := readJSON(t, filepath.Join(infra, "main.parameters.json"))
		requireNoProblems(t, templatecheck.CheckBicep(filepath.Join(infra, "main.bicep"), templatecheck.BicepOptions{
			API:        policy(),
			Values:     values(t),
			ValuesPath: filepath.Join(infra, "values.json"),
			Parameters: params["parameters"].(map[string]any),
		}))
	})

	t.Run("bicep and marketplace agree", func(t *testing.T) {
		t.Parallel()
		files, err := templatecheck.LoadBicepTree(filepath.Join(infra, "main.bicep"))
		require.NoError(t, err)
		_, raw := readJSON(t, mainTemplate)
		requireNoProblems(t, templatecheck.CheckConsistency(mainTemplate, files, raw, values(t), marketplaceDifferences))
	})

	t.Run("scripts create the Key Vault secrets the app settings reference", func(t *testing.T) {
		t.Parallel()
		var scripts string
		for _, name := range []string{"postprovision.sh", "entra-app.sh"} {
			b, err := os.ReadFile(filepath.Join(infra, "scripts", name))
			require.NoError(t, err)
			scripts += string(b)
		}
		for key, name := range values(t)["keyVault"].(map[string]any)["secrets"].(map[string]any) {
			require.Contains(t, scripts, name.(string), "values.keyVault.secrets.%s", key)
		}
	})

	t.Run("azure.yaml", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(infra, "..", "azure.yaml")
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		requireNoProblems(t, templatecheck.CheckAzureYAML(path, raw, azdOptions))
	})
}

// marketplaceDifferences are the deliberate differences between our subscription (Bicep) and
// a customer's managed application (ARM).
var marketplaceDifferences = templatecheck.ConsistencyOptions{
	// azd creates the resource group; the managed application gets one from Azure.
	BicepOnlyTypes: []string{"Microsoft.Resources/resourceGroups"},
	// pid-…-partnercenter and the PostgreSQL admin deployment; the customer's secrets are
	// written by the template (our own are set by infra/scripts/postprovision.sh).
	// azd deploys our code; the managed application deploys it with OneDeploy.
	ARMOnlyTypes: []string{"Microsoft.Resources/deployments", "Microsoft.KeyVault/vaults/secrets", "Microsoft.Web/sites/extensions"},
	// the person running azd may manage our Key Vault's secrets
	BicepOnlyRoles: []string{"keyVaultSecretsOfficer"},
}

var azdOptions = templatecheck.AzdOptions{
	ServiceName: "api",
	Dist:        ".build/functionapp",
	StageScript: "scripts/package.sh",
}
