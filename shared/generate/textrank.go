package generate

import (
	"math"
	"sort"
	"strings"

	"github.com/meetingminutes/minutes/shared/minutes"
)

// TextRank is the extractive baseline of Mihalcea and Tarau (2004): the transcript's
// sentences are the nodes of a graph whose edges weigh their word overlap, normalised by
// the logarithms of their lengths; PageRank (damping 0.85) ranks them, and the extract is
// the best-ranked sentences, in meeting order, until it holds at least words words.
// Sentences shorter than four words are left out (they are acknowledgements, not content).
func TextRank(t *minutes.Transcript, words int) string {
	sents := splitTurns(t.Turns(), t)
	var nodes []int
	var toks [][]string
	for i, s := range sents {
		if s.Words < 4 {
			continue
		}
		ws := RougeTokens(s.Text)
		nodes = append(nodes, i)
		toks = append(toks, dedupe(ws))
	}
	n := len(nodes)
	if n == 0 {
		return ""
	}
	// Similarity matrix as adjacency lists.
	type edge struct {
		to int
		w  float64
	}
	adj := make([][]edge, n)
	out := make([]float64, n)
	for a := 0; a < n; a++ {
		set := make(map[string]bool, len(toks[a]))
		for _, w := range toks[a] {
			set[w] = true
		}
		for b := a + 1; b < n; b++ {
			common := 0
			for _, w := range toks[b] {
				if set[w] {
					common++
				}
			}
			if common == 0 {
				continue
			}
			den := math.Log(float64(len(toks[a]))) + math.Log(float64(len(toks[b])))
			if den <= 0 {
				continue
			}
			w := float64(common) / den
			adj[a] = append(adj[a], edge{b, w})
			adj[b] = append(adj[b], edge{a, w})
			out[a] += w
			out[b] += w
		}
	}
	const d = 0.85
	rank := make([]float64, n)
	next := make([]float64, n)
	for i := range rank {
		rank[i] = 1
	}
	for iter := 0; iter < 100; iter++ {
		delta := 0.0
		for i := range next {
			next[i] = 1 - d
		}
		for a := 0; a < n; a++ {
			if out[a] == 0 {
				continue
			}
			for _, e := range adj[a] {
				next[e.to] += d * rank[a] * e.w / out[a]
			}
		}
		for i := range rank {
			delta += math.Abs(next[i] - rank[i])
		}
		rank, next = next, rank
		if delta < 1e-6 {
			break
		}
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return rank[order[a]] > rank[order[b]] })
	var picked []int
	total := 0
	for _, k := range order {
		if total >= words {
			break
		}
		picked = append(picked, nodes[k])
		total += len(RougeTokens(sents[nodes[k]].Text))
	}
	sort.Ints(picked)
	parts := make([]string, len(picked))
	for i, k := range picked {
		parts[i] = sents[k].Text
	}
	return strings.Join(parts, " ")
}

func dedupe(ws []string) []string {
	seen := make(map[string]bool, len(ws))
	out := ws[:0:0]
	for _, w := range ws {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}
