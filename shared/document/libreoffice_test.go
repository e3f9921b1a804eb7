package document_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/document"
)

// TestLibreOffice converts the sample (with hostile and right-to-left text added) to PDF and
// to plain text with LibreOffice, when it is installed: an independent OOXML reader accepting
// the file is the best evidence short of Word itself that the document is valid. Skipped when
// neither soffice nor libreoffice is on PATH (apt-get install libreoffice-writer-nogui).
func TestLibreOffice(t *testing.T) {
	if testing.Short() {
		t.Skip("converts with LibreOffice: slow")
	}
	bin, err := exec.LookPath("soffice")
	if err != nil {
		if bin, err = exec.LookPath("libreoffice"); err != nil {
			t.Skip("LibreOffice is not installed")
		}
	}
	in := sample(t)
	in.Minutes.ActionItems = append(in.Minutes.ActionItems,
		document.ActionItem{Task: "לאשר את התקציב ]]> <script>\x00", Owner: "דנה 🚀", Due: "2026-04-01"})
	docx, err := document.DOCX(in)
	require.NoError(t, err)
	dir := t.TempDir()
	src := filepath.Join(dir, "minutes.docx")
	require.NoError(t, os.WriteFile(src, docx, 0o600))

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	for _, to := range []string{"pdf", "txt:Text (encoded):UTF8"} {
		cmd := exec.CommandContext(ctx, bin, "-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
			"--headless", "--norestore", "--convert-to", to, "--outdir", dir, src)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "soffice: %s", out)
	}
	pdf, err := os.ReadFile(filepath.Join(dir, "minutes.pdf"))
	require.NoError(t, err, "LibreOffice produced no PDF")
	require.True(t, len(pdf) > 1000 && string(pdf[:5]) == "%PDF-", "not a PDF")
	txt, err := os.ReadFile(filepath.Join(dir, "minutes.txt"))
	require.NoError(t, err)
	for _, want := range []string{"Q3 engineering hiring plan", "Hire two backend engineers and one SRE in Q3.",
		"Publish the three job descriptions", "Nora Lindqvist", "Review <contractor> spend", "לאשר את התקציב ]]> <script>", "דנה 🚀"} {
		require.Contains(t, string(txt), want)
	}
}
