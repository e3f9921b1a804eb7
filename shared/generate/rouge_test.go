package generate_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/generate"
)

// TestRougeCalibration checks the scorer against independent figures: the rouge-score
// package's unit tests (themselves checked against ROUGE-1.5.5) and the worked examples of
// Lin (2004), "ROUGE: A Package for Automatic Evaluation of Summaries", section 3.1.
func TestRougeCalibration(t *testing.T) {
	t.Parallel()
	type want struct{ p, r, f float64 }
	cases := []struct {
		name, ref, cand string
		r1, r2, rl      *want
	}{
		// rouge_scorer_test.py testRouge1, testRouge2, testRougeLConsecutive,
		// testRougeLNonConsecutive, testRougeEmpty.
		{name: "rouge1", ref: "testing one two", cand: "testing", r1: &want{1, 1.0 / 3, 0.5}},
		{name: "rouge2", ref: "testing one two", cand: "testing one", r1: &want{1, 2.0 / 3, 0.8}, r2: &want{1, 0.5, 2.0 / 3}, rl: &want{1, 2.0 / 3, 0.8}},
		{name: "rougeL non-consecutive", ref: "testing one two", cand: "testing two", rl: &want{1, 2.0 / 3, 0.8}},
		{name: "empty candidate", ref: "testing one two", cand: "", r1: &want{}, r2: &want{}, rl: &want{}},
		// Lin (2004) §3.1: S1 scores 3/4 against the reference, S2 2/4 (ROUGE-L recall);
		// for ROUGE-2, S1 shares one of three reference bigrams.
		{name: "Lin S1", ref: "police killed the gunman", cand: "police kill the gunman", rl: &want{0.75, 0.75, 0.75}, r2: &want{1.0 / 3, 1.0 / 3, 1.0 / 3}},
		{name: "Lin S2", ref: "police killed the gunman", cand: "the gunman kill police", rl: &want{0.5, 0.5, 0.5}},
	}
	check := func(t *testing.T, what string, w *want, got generate.Score) {
		t.Helper()
		if w == nil {
			return
		}
		require.InDelta(t, w.p, got.Precision, 1e-9, what+" precision")
		require.InDelta(t, w.r, got.Recall, 1e-9, what+" recall")
		require.InDelta(t, w.f, got.F1, 1e-9, what+" F1")
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := generate.Rouge(tt.ref, tt.cand)
			check(t, "ROUGE-1", tt.r1, s.R1)
			check(t, "ROUGE-2", tt.r2, s.R2)
			check(t, "ROUGE-L", tt.rl, s.RL)
		})
	}

	// rouge_scorer_test.py test*AgainstRouge155: ROUGE-1.5.5's figures, to five places.
	t.Run("ROUGE-1.5.5", func(t *testing.T) {
		t.Parallel()
		targets := readLines(t, "target.txt")
		preds := readLines(t, "prediction.txt")
		figures := []struct{ r1, r2, rl want }{
			{r1: want{0.68750, 0.40741, 0.51163}, r2: want{0.53333, 0.30769, 0.39024}, rl: want{0.68750, 0.40741, 0.51163}},
			{r1: want{0.65385, 0.40476, 0.50000}, r2: want{0.48000, 0.29268, 0.36364}, rl: want{0.65385, 0.40476, 0.50000}},
		}
		for i, w := range figures {
			s := generate.Rouge(targets[i], preds[i])
			for _, c := range []struct {
				name string
				w    want
				got  generate.Score
			}{{"ROUGE-1", w.r1, s.R1}, {"ROUGE-2", w.r2, s.R2}, {"ROUGE-L", w.rl, s.RL}} {
				require.InDelta(t, c.w.p, c.got.Precision, 5e-6, "line %d %s precision", i, c.name)
				require.InDelta(t, c.w.r, c.got.Recall, 5e-6, "line %d %s recall", i, c.name)
				require.InDelta(t, c.w.f, c.got.F1, 5e-6, "line %d %s F1", i, c.name)
			}
		}
	})
}

func readLines(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "rouge-calibration", name))
	require.NoError(t, err)
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

func TestRougeTruncate(t *testing.T) {
	t.Parallel()
	require.Equal(t, "the deck is", generate.RougeTruncate("The deck, is due Friday!", 3))
	require.Equal(t, "a b", generate.RougeTruncate("a b", 10))
}
