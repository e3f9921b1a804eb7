// Command pack builds the Marketplace managed-application package (make marketplace): a zip
// with mainTemplate.json, createUiDefinition.json and viewDefinition.json at its root, plus
// functionapp.zip, which the template deploys with OneDeploy from beside itself
// (_artifactsLocation).
//
//	go run ./infra/marketplace/pack -app .build/functionapp.zip -out .build/marketplace.zip \
//	    -plan standard -pid <customer usage attribution GUID from Partner Center>
//
// It sets the plan id (marketplacePlanId's default) and the pid-<GUID>-partnercenter
// deployment name in the packaged template, then runs the template checks on what it is about
// to zip and refuses to write a package that fails them.
package main

import (
	"archive/zip"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/meetingminutes/minutes/infra/templatecheck"
	"github.com/meetingminutes/minutes/shared/license"
)

const placeholderPid = "pid-00000000-0000-0000-0000-000000000000-partnercenter"

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "pack:", err)
		os.Exit(1)
	}
}

func run(args []string, log io.Writer) error {
	fs := flag.NewFlagSet("pack", flag.ContinueOnError)
	dir := fs.String("dir", "infra/marketplace", "directory holding the three JSON files")
	app := fs.String("app", ".build/functionapp.zip", "the staged function app zip (make package)")
	out := fs.String("out", ".build/marketplace.zip", "package to write")
	plan := fs.String("plan", "standard", "Marketplace plan id this package is uploaded to")
	pid := fs.String("pid", "", "customer usage attribution GUID of the plan (Partner Center, Technical configuration)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tmpl, err := os.ReadFile(filepath.Join(*dir, "mainTemplate.json"))
	if err != nil {
		return err
	}
	if !regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,49}$`).MatchString(*plan) {
		return fmt.Errorf("-plan %q is not a plan id", *plan)
	}
	// The installed app refuses to start on a plan it does not know: never package one.
	if _, err := license.FromPlan(*plan); err != nil {
		return fmt.Errorf("-plan %q: %w (shared/license/plans.json lists the plans)", *plan, err)
	}
	if *pid == "" {
		fmt.Fprintln(log, "pack: warning: no -pid (PARTNER_CENTER_PID): the package keeps the all-zero attribution GUID")
	} else {
		if !regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`).MatchString(*pid) {
			return fmt.Errorf("-pid %q is not a GUID", *pid)
		}
		if tmpl, err = replaceOnce(tmpl, `"`+placeholderPid+`"`, `"pid-`+*pid+`-partnercenter"`); err != nil {
			return err
		}
	}
	planDefault := regexp.MustCompile(`("marketplacePlanId": \{\s*"type": "string",\s*"defaultValue": )"standard"`)
	if len(planDefault.FindAllIndex(tmpl, -1)) != 1 {
		return errors.New("mainTemplate.json: marketplacePlanId's default not found")
	}
	tmpl = planDefault.ReplaceAll(tmpl, []byte(`${1}"`+*plan+`"`))

	ui, err := os.ReadFile(filepath.Join(*dir, "createUiDefinition.json"))
	if err != nil {
		return err
	}
	view, err := os.ReadFile(filepath.Join(*dir, "viewDefinition.json"))
	if err != nil {
		return err
	}
	ps := templatecheck.CheckARM("mainTemplate.json", tmpl, templatecheck.ARMOptions{
		API:         templatecheck.APIPolicy{Today: time.Now().UTC()},
		Marketplace: true,
	})
	ps = append(ps, templatecheck.CheckCreateUIDef("createUiDefinition.json", ui, tmpl)...)
	if len(ps) > 0 {
		return fmt.Errorf("the package would fail certification:\n%s", templatecheck.Join(ps))
	}
	appZip, err := os.ReadFile(*app)
	if err != nil {
		return fmt.Errorf("%w (run make package first)", err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range []struct {
		name string
		data []byte
	}{{"mainTemplate.json", tmpl}, {"createUiDefinition.json", ui}, {"viewDefinition.json", view}, {"functionapp.zip", appZip}} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			return err
		}
		if _, err := w.Write(f.data); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(log, "pack: wrote %s (plan %s, %d bytes)\n", *out, *plan, buf.Len())
	return nil
}

func replaceOnce(b []byte, old, new string) ([]byte, error) {
	if n := bytes.Count(b, []byte(old)); n != 1 {
		return nil, fmt.Errorf("mainTemplate.json: %s found %d times, want once", old, n)
	}
	return bytes.Replace(b, []byte(old), []byte(new), 1), nil
}
