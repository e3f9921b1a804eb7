package functionapp

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"sort"
)

// Check checks the staged function app in dir (for example .build/functionapp) and returns
// every problem found, each a *Problem; nil means the tree is deployable as designed.
func Check(dir string) []error {
	info, err := os.Stat(dir)
	if err != nil {
		return []error{&Problem{Rule: RuleLayout, Detail: fmt.Sprintf("stat app root: %v", err)}}
	}
	if !info.IsDir() {
		return []error{&Problem{Rule: RuleLayout, Detail: fmt.Sprintf("app root %s is not a directory", dir)}}
	}
	return CheckFS(os.DirFS(dir))
}

// CheckFS is Check for an app root given as a file system, such as an os.DirFS or an
// opened zip archive. File modes come from fsys, so it must report Unix permissions.
func CheckFS(fsys fs.FS) []error {
	var probs []*Problem
	exe, hostProbs := checkHost(fsys)
	probs = append(probs, hostProbs...)
	if exe != "" {
		probs = append(probs, checkExecutable(fsys, exe)...)
	}

	contract := map[string]Function{}
	for _, f := range Contract() {
		contract[f.Name] = f
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		probs = append(probs, &Problem{Rule: RuleLayout, Detail: fmt.Sprintf("list app root: %v", err)})
	}
	seen := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		switch {
		case name == hostJSONName || name == exe:
			// Checked above; a directory here fails the reads there.
		case e.IsDir():
			seen[name] = true
			probs = append(probs, checkFunctionFolder(fsys, name, contract)...)
		default:
			probs = append(probs, &Problem{Path: name, Rule: RuleLayout,
				Detail: "unexpected file at the app root; only host.json, the executable and function folders belong here"})
		}
	}
	var missing []string
	for name := range contract {
		if !seen[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	for _, name := range missing {
		probs = append(probs, &Problem{Path: name, Rule: RuleContract,
			Detail: fmt.Sprintf("function folder is missing (contract: %s)", contract[name].Trigger)})
	}

	if len(probs) == 0 {
		return nil
	}
	errs := make([]error, len(probs))
	for i, p := range probs {
		errs[i] = p
	}
	return errs
}

// checkFunctionFolder checks that folder name is a contract function holding only a valid
// function.json.
func checkFunctionFolder(fsys fs.FS, name string, contract map[string]Function) []*Problem {
	var probs []*Problem
	want, known := contract[name]
	if !known {
		names := make([]string, 0, len(contract))
		for n := range contract {
			names = append(names, n)
		}
		slices.Sort(names)
		probs = append(probs, &Problem{Path: name, Rule: RuleContract,
			Detail: fmt.Sprintf("folder is not a contract function (want one of %v)", names)})
	}
	entries, err := fs.ReadDir(fsys, name)
	if err != nil {
		return append(probs, &Problem{Path: name, Rule: RuleLayout, Detail: fmt.Sprintf("list function folder: %v", err)})
	}
	for _, e := range entries {
		if e.Name() != functionJSONName || !e.Type().IsRegular() {
			probs = append(probs, &Problem{Path: path.Join(name, e.Name()), Rule: RuleLayout,
				Detail: "unexpected entry in a function folder; it holds only function.json"})
		}
	}
	var wantp *Function
	if known {
		wantp = &want
	}
	return append(probs, checkFunction(fsys, name, wantp)...)
}
