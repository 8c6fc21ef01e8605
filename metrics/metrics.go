// Package metrics computes the task metrics of vision-language evaluation
// as their reference implementations define them: corpus BLEU and
// coco-caption's CIDEr-D for captions, exact-match VQA accuracy, box IoU
// for grounding and recall@k for image-text retrieval.
//
// Captions are compared as word lists. Tokenize gives the words that
// coco-caption's PTBTokenizer gives for plain lowercase captions:
// lowercase, split on white space, punctuation tokens dropped. It does not
// split contractions or hyphenated words as the Stanford tokenizer would.
package metrics

import (
	"math"
	"sort"
	"strings"
	"unicode"
)

// Tokenize lowercases text, splits it on white space and drops the tokens
// that hold no letter or digit.
func Tokenize(text string) []string {
	var words []string
	for _, w := range strings.Fields(strings.ToLower(text)) {
		if strings.IndexFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
			words = append(words, w)
		}
	}
	return words
}

// ngram is a run of up to four words, joined by a byte that Tokenize
// never leaves inside a word.
type ngram string

const sep = "\x00"

// countNgrams counts the n-grams of words for n = lo..hi.
func countNgrams(words []string, lo, hi int) map[ngram]int {
	c := map[ngram]int{}
	for n := lo; n <= hi; n++ {
		for i := 0; i+n <= len(words); i++ {
			c[ngram(strings.Join(words[i:i+n], sep))]++
		}
	}
	return c
}

// order returns the number of words of g.
func (g ngram) order() int { return strings.Count(string(g), sep) + 1 }

// BLEU is corpus BLEU with one reference per candidate.
type BLEU struct {
	// Score is the brevity penalty times the geometric mean of the
	// modified n-gram precisions for n = 1..N.
	Score float64
	// Precisions[n-1] is the clipped n-gram precision over the corpus.
	Precisions []float64
	// BrevityPenalty is exp(1 - r/c) when the candidates' total length c
	// is below the references' r, else 1.
	BrevityPenalty float64
}

// CorpusBLEU computes BLEU-n over pairs of candidate and reference word
// lists (Papineni et al.: counts clipped by the reference and summed over
// the corpus before dividing). The score is 0 when a precision is 0.
func CorpusBLEU(candidates, references [][]string, n int) BLEU {
	match, total := make([]int, n), make([]int, n)
	var cLen, rLen int
	for i, c := range candidates {
		r := references[i]
		cLen += len(c)
		rLen += len(r)
		for k := 1; k <= n; k++ {
			rc := countNgrams(r, k, k)
			for g, v := range countNgrams(c, k, k) {
				match[k-1] += min(v, rc[g])
			}
			total[k-1] += max(len(c)-k+1, 0)
		}
	}
	b := BLEU{Precisions: make([]float64, n), BrevityPenalty: 1}
	logSum := 0.0
	for k := range n {
		if total[k] > 0 {
			b.Precisions[k] = float64(match[k]) / float64(total[k])
		}
		if b.Precisions[k] == 0 {
			return b
		}
		logSum += math.Log(b.Precisions[k])
	}
	if cLen < rLen {
		b.BrevityPenalty = math.Exp(1 - float64(rLen)/float64(cLen))
	}
	b.Score = b.BrevityPenalty * math.Exp(logSum/float64(n))
	return b
}

// CIDErD computes coco-caption's CIDEr-D (Vedantam et al., with the "D"
// changes of pycocoevalcap's CiderD): tf-idf vectors of 1- to 4-grams, the
// document frequencies taken over the references of the whole set,
// candidate counts clipped by each reference's, a Gaussian penalty
// (sigma 6) on the difference of the lengths that coco-caption's code
// counts (its number of bigrams), averaged over n and the references, times
// 10. references[i] holds the references of candidate i. It returns the
// mean over the candidates and each candidate's score.
func CIDErD(candidates [][]string, references [][][]string) (float64, []float64) {
	const nMax, sigma = 4, 6.0
	refCounts := make([][]map[ngram]int, len(references))
	df := map[ngram]float64{}
	for i, refs := range references {
		seen := map[ngram]bool{}
		for _, r := range refs {
			c := countNgrams(r, 1, nMax)
			refCounts[i] = append(refCounts[i], c)
			for g := range c {
				seen[g] = true
			}
		}
		for g := range seen {
			df[g]++
		}
	}
	logN := math.Log(float64(len(references)))
	type vector struct {
		tfidf []map[ngram]float64
		norm  []float64
		len   int
	}
	vec := func(counts map[ngram]int) vector {
		v := vector{tfidf: make([]map[ngram]float64, nMax), norm: make([]float64, nMax)}
		for n := range v.tfidf {
			v.tfidf[n] = map[ngram]float64{}
		}
		for g, tf := range counts {
			n := g.order() - 1
			x := float64(tf) * (logN - math.Log(math.Max(1, df[g])))
			v.tfidf[n][g] = x
			v.norm[n] += x * x
			if n == 1 {
				v.len += tf
			}
		}
		for n := range v.norm {
			v.norm[n] = math.Sqrt(v.norm[n])
		}
		return v
	}
	scores := make([]float64, len(candidates))
	var mean float64
	for i, c := range candidates {
		h := vec(countNgrams(c, 1, nMax))
		var s float64
		for _, rc := range refCounts[i] {
			r := vec(rc)
			penalty := math.Exp(-math.Pow(float64(h.len-r.len), 2) / (2 * sigma * sigma))
			for n := range nMax {
				var val float64
				for g, x := range h.tfidf[n] {
					val += math.Min(x, r.tfidf[n][g]) * r.tfidf[n][g]
				}
				if h.norm[n] != 0 && r.norm[n] != 0 {
					val /= h.norm[n] * r.norm[n]
				}
				s += val * penalty
			}
		}
		if len(refCounts[i]) > 0 {
			scores[i] = s / nMax / float64(len(refCounts[i])) * 10
		}
		mean += scores[i]
	}
	if len(candidates) > 0 {
		mean /= float64(len(candidates))
	}
	return mean, scores
}

// Box is an axis-aligned box [X0, X1) x [Y0, Y1).
type Box struct{ X0, Y0, X1, Y1 float64 }

// IoU returns the area of the intersection of a and b over the area of
// their union, 0 when the union is empty. A box with X1 < X0 or Y1 < Y0
// has a negative extent on that axis and intersects nothing.
func IoU(a, b Box) float64 {
	iw := math.Max(0, math.Min(a.X1, b.X1)-math.Max(a.X0, b.X0))
	ih := math.Max(0, math.Min(a.Y1, b.Y1)-math.Max(a.Y0, b.Y0))
	inter := iw * ih
	union := (a.X1-a.X0)*(a.Y1-a.Y0) + (b.X1-b.X0)*(b.Y1-b.Y0) - inter
	if union <= 0 {
		return 0
	}
	return inter / union
}

// Recall returns recall@k both ways for a square similarity matrix
// sim[image][text] whose true pairs are its diagonal: the fraction of
// images whose text is among their k most similar texts (imageToText), and
// of texts whose image is among their k most similar images. Ties rank the
// lower index first.
func Recall(sim [][]float32, k int) (imageToText, textToImage float64) {
	n := len(sim)
	if n == 0 {
		return 0, 0
	}
	rank := func(score func(j int) float32, want int) bool {
		idx := make([]int, n)
		for j := range idx {
			idx[j] = j
		}
		sort.SliceStable(idx, func(a, b int) bool { return score(idx[a]) > score(idx[b]) })
		for _, j := range idx[:min(k, n)] {
			if j == want {
				return true
			}
		}
		return false
	}
	var i2t, t2i int
	for i := range n {
		if rank(func(j int) float32 { return sim[i][j] }, i) {
			i2t++
		}
		if rank(func(j int) float32 { return sim[j][i] }, i) {
			t2i++
		}
	}
	return float64(i2t) / float64(n), float64(t2i) / float64(n)
}
