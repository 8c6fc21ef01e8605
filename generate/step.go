package generate

import (
	"math"

	"github.com/vlmrt/vlmrt/parallel"
)

// chunkLen is how many logits one part of a step's work covers. Sums are
// formed per chunk, then across the chunks of a row in order, with or
// without a Pool, so the bits of every score do not depend on the number
// of threads.
const chunkLen = 4096

// minParallel is the fewest logits of a step worth handing to a Pool.
const minParallel = 2 * chunkLen

// The phases of stepWork.
const (
	phaseMax   = iota // per chunk: largest logit, its index, NaN seen
	phaseSum          // per chunk: sum of e^(x - row max)
	phaseCands        // per chunk: its best candidates (Beam)
)

// stepWork is the per-step scan of the live rows of logits, split into
// parts of one chunk of one row each; it is the Task a Pool runs.
type stepWork struct {
	logits            []float32 // [live * v]
	v, live, chunks   int       // chunks per row
	phase             int
	partMax           []float32 // per part
	partArg           []int     // per part, -1: no finite value above -Inf
	partNaN           []bool    // per part
	partSum           []float64 // per part
	rowArg            []int     // per row, from normalise
	rowMax, rowLogSum []float64 // per row, from normalise
	base              []float64 // per row: the hypothesis score (Beam)
	n                 int       // candidates kept per part (Beam)
	partCands         []candidate
	partCount         []int
}

// grow makes w hold room for `rows` rows of vocabulary v and n candidates
// per part.
func (w *stepWork) grow(rows, v, n int) {
	parts := rows * ((v + chunkLen - 1) / chunkLen)
	w.partMax = growSlice(w.partMax, parts)
	w.partArg = growSlice(w.partArg, parts)
	w.partNaN = growSlice(w.partNaN, parts)
	w.partSum = growSlice(w.partSum, parts)
	w.partCount = growSlice(w.partCount, parts)
	w.partCands = growSlice(w.partCands, parts*n)
	w.rowArg = growSlice(w.rowArg, rows)
	w.rowMax = growSlice(w.rowMax, rows)
	w.rowLogSum = growSlice(w.rowLogSum, rows)
}

// Do runs part p of the current phase.
func (w *stepWork) Do(p int) {
	h, c := p/w.chunks, p%w.chunks
	lo := c * chunkLen
	hi := min(lo+chunkLen, w.v)
	row := w.logits[h*w.v+lo : h*w.v+hi]
	switch w.phase {
	case phaseMax:
		w.partArg[p], w.partMax[p], w.partNaN[p] = chunkMax(row)
	case phaseSum:
		w.partSum[p] = sumExp(row, w.rowMax[h])
	case phaseCands:
		cands := w.partCands[p*w.n : p*w.n : (p+1)*w.n]
		cands = bestOf(cands, w.n, row, int32(h), int32(lo), w.base[h], w.rowMax[h], w.rowLogSum[h])
		w.partCount[p] = len(cands)
	}
}

// run runs the current phase over every part, on pool when it is worth it.
func (w *stepWork) run(pool *parallel.Pool) {
	parts := w.live * w.chunks
	if pool == nil || w.live*w.v < minParallel {
		for p := range parts {
			w.Do(p)
		}
		return
	}
	pool.Run(parts, w)
}

// normalise computes rowArg, rowMax and rowLogSum for the live rows of
// logits: the lowest index of the largest logit, the largest logit m and
// log(sum(e^(x - m))). It returns the first row whose logits hold NaN or
// +Inf or are all -Inf, or -1.
func (w *stepWork) normalise(pool *parallel.Pool, logits []float32, v, live int) (bad int) {
	w.logits, w.v, w.live, w.chunks = logits, v, live, (v+chunkLen-1)/chunkLen
	w.phase = phaseMax
	w.run(pool)
	for h := range live {
		arg, best, nan := -1, float32(math.Inf(-1)), false
		for c := range w.chunks {
			p := h*w.chunks + c
			nan = nan || w.partNaN[p]
			if w.partArg[p] >= 0 && w.partMax[p] > best {
				arg, best = c*chunkLen+w.partArg[p], w.partMax[p]
			}
		}
		if nan || arg < 0 || math.IsInf(float64(best), 1) {
			return h
		}
		w.rowArg[h], w.rowMax[h] = arg, float64(best)
	}
	w.phase = phaseSum
	w.run(pool)
	for h := range live {
		s := 0.0
		for c := range w.chunks {
			s += w.partSum[h*w.chunks+c]
		}
		w.rowLogSum[h] = logAtLeast1(s)
	}
	return -1
}

// best returns the first n candidates, in SPEC 6's order, of the live rows
// that normalise has seen, row h extending a hypothesis of score base[h].
// Each part keeps its n best; merging the parts' lists in (row, chunk)
// order with the same stable insertion gives the n best of all.
func (w *stepWork) best(pool *parallel.Pool, base []float64, n int, out []candidate) []candidate {
	w.base, w.n = base, n
	w.phase = phaseCands
	w.run(pool)
	out = out[:0]
	for p := range w.live * w.chunks {
		for _, c := range w.partCands[p*n : p*n+w.partCount[p]] {
			if len(out) == n && !(c.score > out[n-1].score) {
				continue
			}
			out = insertCandidate(out, n, c)
		}
	}
	return out
}

// chunkMax returns the index of the first largest value of row (-1 when
// none is above -Inf), that value, and whether row holds a NaN.
func chunkMax(row []float32) (arg int, best float32, nan bool) {
	best, arg = float32(math.Inf(-1)), -1
	for i, x := range row {
		if x > best {
			best, arg = x, i
		} else if x != x {
			nan = true
		}
	}
	return arg, best, nan
}

// bestOf adds to cands (of capacity n, sorted in SPEC 6's order) the
// candidates of row, whose logits extend live hypothesis h of score base
// from token id first on, and returns it.
func bestOf(cands []candidate, n int, row []float32, h, first int32, base, m, logSum float64) []candidate {
	worst := math.Inf(-1) // the score to beat once cands is full
	if len(cands) == n {
		worst = cands[n-1].score
	}
	for t, x := range row {
		score := base + logProb(x, m, logSum)
		// Candidates come in (live, token) order, so one that ties the
		// n-th best comes after it and is not kept.
		if len(cands) == n && !(score > worst) {
			continue
		}
		cands = insertCandidate(cands, n, candidate{score: score, live: h, token: first + int32(t)})
		if len(cands) == n {
			worst = cands[n-1].score
		}
	}
	return cands
}

// insertCandidate inserts c into cands (sorted by score, highest first,
// earlier insertions first among equal scores), dropping the last one
// when cands already holds n.
func insertCandidate(cands []candidate, n int, c candidate) []candidate {
	if len(cands) < n {
		cands = append(cands, candidate{})
	}
	j := len(cands) - 1
	for j > 0 && cands[j-1].score < c.score {
		cands[j] = cands[j-1]
		j--
	}
	cands[j] = c
	return cands
}
