package main

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPack(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	app := filepath.Join(tmp, "functionapp.zip")
	require.NoError(t, os.WriteFile(app, []byte("PK-app"), 0o644))
	out := filepath.Join(tmp, "out", "marketplace.zip")
	var log bytes.Buffer
	require.NoError(t, run([]string{"-dir", "..", "-app", app, "-out", out, "-plan", "enterprise",
		"-pid", "0c6b2f4e-1a2b-4c3d-8e9f-001122334455"}, &log))

	zr, err := zip.OpenReader(out)
	require.NoError(t, err)
	defer zr.Close()
	files := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		rc.Close()
		files[f.Name] = string(b)
	}
	require.ElementsMatch(t, []string{"mainTemplate.json", "createUiDefinition.json", "viewDefinition.json", "functionapp.zip"}, keys(files))
	require.Contains(t, files["mainTemplate.json"], `"pid-0c6b2f4e-1a2b-4c3d-8e9f-001122334455-partnercenter"`)
	require.NotContains(t, files["mainTemplate.json"], placeholderPid)
	require.Contains(t, files["mainTemplate.json"], `"defaultValue": "enterprise"`)
	require.Equal(t, "PK-app", files["functionapp.zip"])
}

func TestPackRefuses(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	for name, tt := range map[string]struct {
		args []string
		want string
	}{
		"bad pid":      {[]string{"-pid", "not-a-guid"}, "not a GUID"},
		"bad plan":     {[]string{"-plan", "Has Spaces"}, "not a plan id"},
		"unknown plan": {[]string{"-plan", "platinum"}, "plans.json"},
		"missing app":  {[]string{"-app", filepath.Join(tmp, "none.zip")}, "none.zip"},
	} {
		err := run(append([]string{"-dir", "..", "-out", filepath.Join(tmp, name+".zip")}, tt.args...), io.Discard)
		require.ErrorContains(t, err, tt.want, name)
		_, statErr := os.Stat(filepath.Join(tmp, name+".zip"))
		require.True(t, os.IsNotExist(statErr), name)
	}

	// a template that fails the checks is not packaged
	dir := filepath.Join(tmp, "broken")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for _, f := range []string{"mainTemplate.json", "createUiDefinition.json", "viewDefinition.json"} {
		b, err := os.ReadFile(filepath.Join("..", f))
		require.NoError(t, err)
		if f == "createUiDefinition.json" {
			b = []byte(strings.Replace(string(b), `"[location()]"`, `"westeurope"`, 1))
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), b, 0o644))
	}
	app := filepath.Join(tmp, "app.zip")
	require.NoError(t, os.WriteFile(app, []byte("x"), 0o644))
	err := run([]string{"-dir", dir, "-app", app, "-out", filepath.Join(tmp, "broken.zip")}, io.Discard)
	require.ErrorContains(t, err, "uiLocation")
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
