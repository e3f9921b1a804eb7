package portal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"

	"github.com/meetingminutes/minutes/shared/access"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/store"
)

// fact is one scalar field of the health report.
type fact struct{ Key, Value string }

// factTable is one list of objects of the health report (dependencies, features).
type factTable struct {
	Name    string
	Columns []string
	Rows    [][]string
}

// healthData is the data of the health page.
type healthData struct {
	// Status is the report's own status ("ready", …) and OK whether the HTTP status was 200.
	Status string
	OK     bool
	Code   int
	Facts  []fact
	Tables []factTable
	// Raw is the whole report, indented.
	Raw string
}

// health serves GET /api/app/health: the /api/health report, readable.
func (h *Handler) health(w http.ResponseWriter, r *http.Request) error {
	if _, err := access.Require(r.Context(), store.RoleAdmin); err != nil {
		return err
	}
	if h.d.Health == nil {
		return funchost.Unavailable("The health report is not configured on this installation.")
	}
	report, code := h.d.Health(r.Context())
	data, err := healthView(report, code)
	if err != nil {
		return err
	}
	v := h.newView(r, "Health", "health")
	v.Data = data
	return h.render(w, http.StatusOK, "health", v)
}

// healthView flattens any JSON-encodable report: scalars become facts, lists of objects
// tables, everything else stays in the raw view.
func healthView(report any, code int) (healthData, error) {
	b, err := json.Marshal(report)
	if err != nil {
		return healthData{}, fmt.Errorf("encode health report: %w", err)
	}
	var pretty bytes.Buffer
	_ = json.Indent(&pretty, b, "", "  ") // b is valid JSON: Marshal made it
	d := healthData{OK: code == http.StatusOK, Code: code, Raw: pretty.String()}
	var obj map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if dec.Decode(&obj) != nil {
		return d, nil // not an object: the raw view alone
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch val := obj[k].(type) {
		case map[string]any:
			t := factTable{Name: k, Columns: []string{"name", "value"}}
			sub := make([]string, 0, len(val))
			for sk := range val {
				sub = append(sub, sk)
			}
			sort.Strings(sub)
			for _, sk := range sub {
				t.Rows = append(t.Rows, []string{sk, scalar(val[sk])})
			}
			d.Tables = append(d.Tables, t)
		case []any:
			d.Tables = append(d.Tables, tableOf(k, val))
		default:
			if k == "status" {
				d.Status = scalar(val)
			}
			d.Facts = append(d.Facts, fact{Key: k, Value: scalar(val)})
		}
	}
	return d, nil
}

// tableOf lays out a list: objects by the union of their keys ("name" first), anything else
// in one column.
func tableOf(name string, list []any) factTable {
	t := factTable{Name: name}
	var cols []string
	for _, item := range list {
		if m, ok := item.(map[string]any); ok {
			for k := range m {
				if !slices.Contains(cols, k) {
					cols = append(cols, k)
				}
			}
		}
	}
	sort.SliceStable(cols, func(i, j int) bool {
		if (cols[i] == "name") != (cols[j] == "name") {
			return cols[i] == "name"
		}
		return cols[i] < cols[j]
	})
	if len(cols) == 0 {
		cols = []string{"value"}
	}
	t.Columns = cols
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			t.Rows = append(t.Rows, []string{scalar(item)})
			continue
		}
		row := make([]string, len(cols))
		for i, c := range cols {
			if v, ok := m[c]; ok {
				row[i] = scalar(v)
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// scalar prints a decoded JSON value on one line.
func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case string:
		return x
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case json.Number:
		return x.String()
	}
	b, _ := json.Marshal(v)
	return string(b)
}
