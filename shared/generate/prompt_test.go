package generate

import (
	"encoding/json"
	"testing"
)

func FuzzParseModelMinutes(f *testing.F) {
	for _, s := range []string{
		`{"title":"t","summary":"s","decisions":[{"text":"d","quote":"q"}],"action_items":[{"task":"a","owner":"o","due":"by Friday","quote":"q"}]}`,
		"```json\n{\"title\":\"t\",\"summary\":\"s\",\"decisions\":[],\"action_items\":[]}\n```",
		`{"title": "Weekly sync", "summary": "The team met`, `[]`, `null`, ``, `{"decisions":{}}`, `{"action_items":[1,2]}`,
		`{"title":1}`, "\xff{", `{"summary":"s","extra":{"nested":[1,2,3]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m modelMinutes
		if err := m.parse(b); err != nil {
			return
		}
		if len(m.Decisions) > maxModelItems || len(m.ActionItems) > maxModelItems {
			t.Fatalf("%d decisions, %d action items", len(m.Decisions), len(m.ActionItems))
		}
		// What parses re-encodes.
		if _, err := json.Marshal(m); err != nil {
			t.Fatal(err)
		}
		var s mergedSummary
		_ = s.parse(b)
	})
}
