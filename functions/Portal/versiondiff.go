package portal

import (
	"slices"

	"github.com/meetingminutes/minutes/shared/store"
)

// versionChanges is what an edit changed, against the version before it: the diff kept by
// keeping every version.
type versionChanges struct {
	// Previous is the version compared with.
	Previous int
	// Title and Summary hold the old text when it changed, "" otherwise.
	OldTitle, OldSummary string
	TitleChanged         bool
	SummaryChanged       bool
	// Added and Removed list decision texts and action-item lines ("task — owner, due").
	AddedDecisions, RemovedDecisions []string
	AddedItems, RemovedItems         []string
}

// Any reports whether anything changed.
func (c versionChanges) Any() bool {
	return c.TitleChanged || c.SummaryChanged || len(c.AddedDecisions)+len(c.RemovedDecisions)+len(c.AddedItems)+len(c.RemovedItems) > 0
}

// diffVersions compares a version with the one before it.
func diffVersions(prev, cur minutesDoc) versionChanges {
	c := versionChanges{Previous: prev.Minutes.Version}
	if prev.Title != cur.Title {
		c.TitleChanged, c.OldTitle = true, prev.Title
	}
	if prev.Summary != cur.Summary {
		c.SummaryChanged, c.OldSummary = true, prev.Summary
	}
	dec := func(d minutesDoc) []string {
		var out []string
		for _, x := range d.Decisions {
			out = append(out, x.Text)
		}
		return out
	}
	item := func(d minutesDoc) []string {
		var out []string
		for _, x := range d.Items {
			line := x.Task
			if x.Owner != "" {
				line += " — " + x.Owner
			}
			if x.Due != "" {
				line += ", due " + x.Due
			}
			out = append(out, line)
		}
		return out
	}
	c.AddedDecisions, c.RemovedDecisions = setDiff(dec(prev), dec(cur))
	c.AddedItems, c.RemovedItems = setDiff(item(prev), item(cur))
	return c
}

// setDiff returns what is in cur and not in prev (in cur's order), and the reverse.
func setDiff(prev, cur []string) (added, removed []string) {
	for _, s := range cur {
		if !slices.Contains(prev, s) {
			added = append(added, s)
		}
	}
	for _, s := range prev {
		if !slices.Contains(cur, s) {
			removed = append(removed, s)
		}
	}
	return added, removed
}

// previousVersion finds the version just before v in history (newest first).
func previousVersion(history []store.Minutes, v int) (store.Minutes, bool) {
	for _, m := range history {
		if m.Version == v-1 {
			return m, true
		}
	}
	return store.Minutes{}, false
}
