package templatecheck

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one rule violation.
type Problem struct {
	// File is the checked file (as given to the check).
	File string
	// Rule names the rule, e.g. "apiVersions"; tests select problems by it.
	Rule string
	// Msg says what is wrong and where.
	Msg string
}

func (p Problem) String() string { return p.File + ": " + p.Rule + ": " + p.Msg }

// problems collects Problems for one file.
type problems struct {
	file string
	list []Problem
}

func (ps *problems) add(rule, format string, args ...any) {
	ps.list = append(ps.list, Problem{File: ps.file, Rule: rule, Msg: fmt.Sprintf(format, args...)})
}

// Rules returns the sorted distinct rule names in ps.
func Rules(ps []Problem) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range ps {
		if !seen[p.Rule] {
			seen[p.Rule] = true
			out = append(out, p.Rule)
		}
	}
	sort.Strings(out)
	return out
}

// Join renders ps one per line (test failure messages).
func Join(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String())
		b.WriteByte('\n')
	}
	return b.String()
}
