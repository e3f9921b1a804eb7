package generate

import (
	"strings"
)

// Score is one ROUGE measure of a candidate against a reference.
type Score struct {
	Precision, Recall, F1 float64
}

// RougeScores are ROUGE-1, ROUGE-2 and ROUGE-L of one candidate.
type RougeScores struct {
	R1, R2, RL Score
}

// Rouge scores candidate against reference with ROUGE-1 and ROUGE-2 (clipped n-gram
// overlap) and ROUGE-L (longest common subsequence over the whole text), as the
// rouge-score package does by default (no stemming, no stop-word removal), which itself
// matches ROUGE-1.5.5 run with "-n 2": both texts are lower-cased, every run of characters
// other than a–z and 0–9 separates tokens, and an empty side scores 0.
func Rouge(reference, candidate string) RougeScores {
	ref, cand := RougeTokens(reference), RougeTokens(candidate)
	return RougeScores{R1: rougeN(ref, cand, 1), R2: rougeN(ref, cand, 2), RL: rougeL(ref, cand)}
}

// RougeTokens tokenizes text the way [Rouge] does.
func RougeTokens(text string) []string {
	text = strings.ToLower(text)
	return strings.FieldsFunc(text, func(r rune) bool {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9')
	})
}

// RougeTruncate returns the first n ROUGE tokens of text joined by spaces: how two
// summaries are made the same length before they are compared.
func RougeTruncate(text string, n int) string {
	toks := RougeTokens(text)
	if len(toks) > n {
		toks = toks[:n]
	}
	return strings.Join(toks, " ")
}

func rougeN(ref, cand []string, n int) Score {
	refGrams, candGrams := ngrams(ref, n), ngrams(cand, n)
	refTotal, candTotal := max(len(ref)-n+1, 0), max(len(cand)-n+1, 0)
	overlap := 0
	for g, c := range refGrams {
		overlap += min(c, candGrams[g])
	}
	return score(overlap, candTotal, refTotal)
}

func ngrams(toks []string, n int) map[string]int {
	m := make(map[string]int, len(toks))
	for i := 0; i+n <= len(toks); i++ {
		m[strings.Join(toks[i:i+n], " ")]++
	}
	return m
}

func rougeL(ref, cand []string) Score {
	if len(ref) == 0 || len(cand) == 0 {
		return Score{}
	}
	// Two rows of the LCS table.
	prev := make([]int, len(cand)+1)
	cur := make([]int, len(cand)+1)
	for i := 1; i <= len(ref); i++ {
		for j := 1; j <= len(cand); j++ {
			if ref[i-1] == cand[j-1] {
				cur[j] = prev[j-1] + 1
			} else {
				cur[j] = max(prev[j], cur[j-1])
			}
		}
		prev, cur = cur, prev
	}
	return score(prev[len(cand)], len(cand), len(ref))
}

// score turns a match count into precision (over the candidate's count), recall (over the
// reference's) and their harmonic mean.
func score(match, candTotal, refTotal int) Score {
	var s Score
	if candTotal > 0 {
		s.Precision = float64(match) / float64(candTotal)
	}
	if refTotal > 0 {
		s.Recall = float64(match) / float64(refTotal)
	}
	if s.Precision+s.Recall > 0 {
		s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
	}
	return s
}
