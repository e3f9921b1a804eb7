package license

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPlansTableIsSound(t *testing.T) {
	t.Parallel()
	ps, err := Plans()
	require.NoError(t, err)
	require.NotEmpty(t, ps)
	editions := map[Edition]bool{}
	for _, p := range ps {
		editions[p.Edition] = true
		require.Contains(t, p.Features, "minutes", "plan %s: every plan includes minutes", p.ID)
	}
	for _, e := range Editions() {
		require.True(t, editions[e], "edition %s has a Marketplace plan", e)
	}
}

func TestFromPlan(t *testing.T) {
	t.Parallel()
	l, err := FromPlan("professional")
	require.NoError(t, err)
	require.Equal(t, EditionProfessional, l.Edition)
	require.Equal(t, 250, l.Seats)
	require.Equal(t, SourceMarketplace, l.Source)
	require.Equal(t, StateValid, l.State(now.AddDate(10, 0, 0)), "a plan does not expire: the Marketplace bills it")

	_, err = FromPlan("platinum")
	require.ErrorIs(t, err, ErrUnknownPlan)
	require.ErrorContains(t, err, `"platinum"`)
	require.ErrorContains(t, err, "standard, professional, enterprise")
	_, err = FromPlan("")
	require.ErrorIs(t, err, ErrUnknownPlan)
}

func TestParsePlansRefusesBrokenTables(t *testing.T) {
	t.Parallel()
	for name, doc := range map[string]string{
		"empty":           `{"plans":[]}`,
		"unknown field":   `{"plans":[{"id":"a","edition":"standard","seats":1,"features":[],"price":3}]}`,
		"bad id":          `{"plans":[{"id":"Has Spaces","edition":"standard","seats":1}]}`,
		"twice":           `{"plans":[{"id":"a","edition":"standard","seats":1},{"id":"a","edition":"standard","seats":1}]}`,
		"unknown edition": `{"plans":[{"id":"a","edition":"gold","seats":1}]}`,
		"no seats":        `{"plans":[{"id":"a","edition":"standard","seats":0}]}`,
		"bad feature":     `{"plans":[{"id":"a","edition":"standard","seats":1,"features":["A B"]}]}`,
	} {
		_, err := parsePlans([]byte(doc))
		require.Error(t, err, name)
	}
}

// TestMarketplacePackagesAKnownPlan reads infra/marketplace, which packages one plan id per
// upload (make marketplace, MARKETPLACE_PLAN_ID): the ids it uses by default must be plans
// this build knows, or a default install would refuse to start.
func TestMarketplacePackagesAKnownPlan(t *testing.T) {
	t.Parallel()
	var tmpl struct {
		Parameters map[string]struct {
			DefaultValue any `json:"defaultValue"`
		} `json:"parameters"`
	}
	b, err := os.ReadFile("../../infra/marketplace/mainTemplate.json")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &tmpl))
	p, ok := tmpl.Parameters["marketplacePlanId"]
	require.True(t, ok, "mainTemplate.json has a marketplacePlanId parameter")
	ids := []string{p.DefaultValue.(string)}

	script, err := os.ReadFile("../../scripts/marketplace.sh")
	require.NoError(t, err)
	m := regexp.MustCompile(`MARKETPLACE_PLAN_ID:-([a-z0-9_-]+)`).FindSubmatch(script)
	require.NotNil(t, m, "scripts/marketplace.sh defaults MARKETPLACE_PLAN_ID")
	ids = append(ids, string(m[1]))

	pack, err := os.ReadFile("../../infra/marketplace/pack/main.go")
	require.NoError(t, err)
	m = regexp.MustCompile(`fs\.String\("plan", "([^"]+)"`).FindSubmatch(pack)
	require.NotNil(t, m, "infra/marketplace/pack has a -plan flag")
	ids = append(ids, string(m[1]))
	require.True(t, strings.Contains(string(pack), planID.String()), "pack accepts the plan ids this table accepts (%s)", planID)

	for _, id := range ids {
		_, err := FromPlan(id)
		require.NoError(t, err, "infra/marketplace packages plan %q by default", id)
	}
}
