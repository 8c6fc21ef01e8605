package kernels

import (
	"fmt"
	"math"

	"github.com/vlmrt/vlmrt/parallel"
)

// Probability names the function that turns attention scores into weights.
type Probability uint8

// The probability functions of SPEC.md section 3.3.
const (
	ProbSoftmax   Probability = iota // exp(s - max) / sum
	ProbSparsemax                    // Euclidean projection onto the simplex
)

// Attention describes a multi-head scaled dot-product attention over packed
// projection rows (SPEC.md 3.1): head h of a row owns the values
// [h*HeadDim, (h+1)*HeadDim) of that row of Q, K and V, and writes the same
// range of its output row. A zero stride means Heads*HeadDim.
//
// Mask, when not nil, holds Keys values shared by every query or
// Queries*Keys values, one row per query: 1 keeps a key, 0 blocks it. A
// query that keeps no key keeps every key, as the reference's additive -1e9
// mask does; a blocked key otherwise gets no weight (exp(-1e9 - max) is 0
// in float32 too).
//
// The decode step is Queries 1 (or a few new rows) against Keys cached
// rows: point k and v at the cache, with KStride and VStride its row
// stride, and set Causal, under which query i sees the keys up to i +
// Keys - Queries (the cached ones and the new rows up to its own).
//
// How it runs: with softmax and at least 4 queries, at levels with vector
// kernels, a block of queries (32 or 16 lanes on AVX-512, 8 on AVX2) is
// transposed and scored against a tile of 128 keys at a time, the scores
// held transposed (key-major, one vector of queries per key) so that the
// scores, an online softmax step and P*V are all plain vector loops with
// no horizontal sums; the full score matrix is never held, whether or not
// Tiled is set. Otherwise (decode, sparsemax) each query row is scored
// against every key in one call (dot products of 4 keys at a time), and
// P*V is one call summing the value rows; Tiled then bounds the held scores
// to 128 keys with an online softmax. At AVX-512 a softmax decode step over
// a cache of at most 2 MiB takes 4 heads at a time (attention_decode.go).
// The AVX-512 P*V keeps the block's running output transposed like the
// scores, one vector of queries per dim (attention_pv_avx512_amd64.s).
type Attention struct {
	Queries, Keys  int // rows of Q (and of the output), rows of K and V
	Heads, HeadDim int
	QStride        int // distance between consecutive rows of Q, in values
	KStride        int
	VStride        int
	OutStride      int
	Scale          float32 // applied after the product; 0 means 1/sqrt(HeadDim)
	Causal         bool    // query i keeps keys j <= i + Keys - Queries
	Mask           []float32
	Probability    Probability
	Tiled          bool // online softmax over key tiles, no full score row (flash)

	task attentionTask // RunParallel's task, kept here so that it allocates nothing
}

func (a *Attention) strides() (qs, ks, vs, os int) {
	w := a.Heads * a.HeadDim
	pick := func(s int) int {
		if s == 0 {
			return w
		}
		return s
	}
	return pick(a.QStride), pick(a.KStride), pick(a.VStride), pick(a.OutStride)
}

func (a *Attention) scale() float32 {
	if a.Scale != 0 {
		return a.Scale
	}
	return float32(1 / math.Sqrt(float64(a.HeadDim)))
}

// ScratchLen returns how many float32 values Run needs in scratch. It does
// not depend on the kernel level.
func (a *Attention) ScratchLen() int {
	row := max(2, decodeHeads) * a.Keys
	if a.Tiled {
		row = attentionTile + a.HeadDim
	}
	blocked := a.blockTile()*maxQueryBlock + 2*a.HeadDim*maxQueryBlock + 3*maxQueryBlock
	return max(row, blocked)
}

// blockTile returns the number of keys the blocked path scores at a time.
// It tiles even when Tiled is false: a tile of values then stays in the
// first-level cache while each group of queries reads it.
func (a *Attention) blockTile() int { return min(a.Keys, blockKeys) }

// ParallelScratchLen returns the scratch RunParallel needs: one
// ScratchLen per head, so that no two parts share scratch.
func (a *Attention) ParallelScratchLen() int { return a.Heads * a.ScratchLen() }

// attentionTile is the number of keys the tiled path scores at a time.
const attentionTile = 128

// maxQueryBlock bounds rowKernels.queryBlock at every level; ScratchLen
// assumes it.
const maxQueryBlock = 32

// minBlockQueries is the fewest queries for which the blocked kernels pay:
// below it (the decode step) the row path's dot products waste no lanes.
const minBlockQueries = 4

// check panics unless the slices cover the rows that Run will touch.
func (a *Attention) check(out, q, k, v, scratch []float32) {
	qs, ks, vs, os := a.strides()
	w := a.Heads * a.HeadDim
	need := func(rows, stride int) int {
		if rows == 0 {
			return 0
		}
		return (rows-1)*stride + w
	}
	bad := a.Queries < 0 || a.Keys < 0 || a.Heads <= 0 || a.HeadDim <= 0 ||
		len(q) < need(a.Queries, qs) || len(out) < need(a.Queries, os) ||
		len(k) < need(a.Keys, ks) || len(v) < need(a.Keys, vs) ||
		len(scratch) < a.ScratchLen() ||
		a.Mask != nil && len(a.Mask) != a.Keys && len(a.Mask) != a.Queries*a.Keys
	if bad {
		panic(fmt.Sprintf("kernels: Attention{Queries: %d, Keys: %d, Heads: %d, HeadDim: %d, strides %d %d %d %d}: len(out)=%d len(q)=%d len(k)=%d len(v)=%d len(scratch)=%d",
			a.Queries, a.Keys, a.Heads, a.HeadDim, a.QStride, a.KStride, a.VStride, a.OutStride,
			len(out), len(q), len(k), len(v), len(scratch)))
	}
	if a.Tiled && a.Probability != ProbSoftmax {
		panic("kernels: Attention: the tiled path computes softmax only")
	}
}

// Run computes the attention output for every query row and head. It
// allocates nothing.
func (a *Attention) Run(out, q, k, v, scratch []float32) {
	a.check(out, q, k, v, scratch)
	if a.Keys == 0 {
		return
	}
	if groups := a.decodeGroups(); groups > 0 {
		for g := 0; g < groups; g++ {
			a.runDecodeGroup(g, out, q, k, v, scratch)
		}
		return
	}
	for h := 0; h < a.Heads; h++ {
		a.runHead(h, out, q, k, v, scratch)
	}
}

// RunParallel is Run with the heads split over pool; scratch needs
// ParallelScratchLen values. The result is bit-identical to Run's. It
// allocates nothing, but uses a task stored in a: one Attention value must
// not run twice at the same time.
func (a *Attention) RunParallel(pool *parallel.Pool, out, q, k, v, scratch []float32) {
	sl := a.ScratchLen()
	if len(scratch) < a.Heads*sl {
		panic(fmt.Sprintf("kernels: Attention.RunParallel: len(scratch)=%d, want %d", len(scratch), a.Heads*sl))
	}
	a.check(out, q, k, v, scratch[:sl])
	if a.Keys == 0 {
		return
	}
	a.task = attentionTask{a: a, out: out, q: q, k: k, v: v, scratch: scratch, scratchLen: sl}
	parts := a.Heads
	if groups := a.decodeGroups(); groups > 0 {
		parts, a.task.decode = groups, true
	}
	pool.Run(parts, &a.task)
	a.task = attentionTask{}
}

// attentionTask runs one head per part, or one group of decodeHeads heads
// when decode is set (as Run does, so that the results are the same).
type attentionTask struct {
	a            *Attention
	out, q, k, v []float32
	scratch      []float32
	scratchLen   int
	decode       bool
}

// Do runs head (or decode group) h with its own slice of the scratch.
func (t *attentionTask) Do(h int) {
	scratch := t.scratch[h*t.scratchLen : (h+1)*t.scratchLen]
	if t.decode {
		t.a.runDecodeGroup(h, t.out, t.q, t.k, t.v, scratch)
		return
	}
	t.a.runHead(h, t.out, t.q, t.k, t.v, scratch)
}

// keeps returns the mask row of query i and how many leading keys it may
// see (the causal limit); a query that keeps no key keeps every key.
func (a *Attention) keeps(i int) (mask []float32, limit int) {
	limit = a.Keys
	if a.Causal {
		limit = min(a.Keys, max(0, i+a.Keys-a.Queries+1))
	}
	if a.Mask != nil {
		mask = a.Mask
		if len(a.Mask) == a.Queries*a.Keys {
			mask = a.Mask[i*a.Keys : (i+1)*a.Keys]
		}
	}
	any := false
	for j := 0; j < limit && !any; j++ {
		any = mask == nil || mask[j] != 0
	}
	if !any {
		return nil, a.Keys
	}
	return mask, limit
}

func (a *Attention) runHead(h int, out, q, k, v, scratch []float32) {
	if qb := rowImpl.queryBlock; qb > 0 && a.Probability == ProbSoftmax && a.Queries >= minBlockQueries {
		for i0 := 0; i0 < a.Queries; {
			b := qb
			if rowImpl.halfBlock && a.Queries-i0 <= qb/2 {
				b = qb / 2
			}
			a.blockedHead(h, i0, min(b, a.Queries-i0), b, out, q, k, v, scratch)
			i0 += b
		}
		return
	}
	qs, ks, vs, os := a.strides()
	dh, scale := a.HeadDim, a.scale()
	kh, vh := k[h*dh:], v[h*dh:]
	for i := 0; i < a.Queries; i++ {
		mask, limit := a.keeps(i)
		qi := q[i*qs+h*dh : i*qs+h*dh+dh]
		oi := out[i*os+h*dh : i*os+h*dh+dh]
		if a.Tiled {
			a.tiledRow(oi, qi, kh, vh, ks, vs, mask, limit, scale, scratch)
			continue
		}
		s := scratch[:limit]
		rowImpl.dotRows(s, qi, kh, ks, scale)
		if mask != nil {
			for j := range s {
				if mask[j] == 0 {
					s[j] = float32(math.Inf(-1))
				}
			}
		}
		if a.Probability == ProbSparsemax {
			rowImpl.sparsemax(s, s, scratch[a.Keys:a.Keys+limit])
		} else {
			rowImpl.softmax(s, s, limit)
		}
		rowImpl.axpyRows(oi, s, vh, vs)
	}
}

// blockedHead computes head h for the nq queries from i0 with the blocked
// kernels (qb lanes): the queries are transposed into qt, then each key
// tile is scored, takes an online-softmax step and adds its P*V to the
// running output o, which is finally divided by the running sums.
func (a *Attention) blockedHead(h, i0, nq, qb int, out, q, k, v, scratch []float32) {
	qs, ks, vs, os := a.strides()
	dh, scale := a.HeadDim, a.scale()
	tile := a.blockTile()
	st := scratch[:tile*qb]
	qt := scratch[tile*qb : tile*qb+dh*qb]
	o := scratch[tile*qb+dh*qb : tile*qb+2*dh*qb]
	mlc := scratch[tile*qb+2*dh*qb : tile*qb+2*dh*qb+3*qb]
	rowImpl.gatherT(qt, q[i0*qs+h*dh:], nq, dh, qs)
	clear(o)
	for r := 0; r < qb; r++ {
		mlc[r], mlc[qb+r] = -math.MaxFloat32, 0
	}
	masked := a.Causal || a.Mask != nil
	keys := a.Keys
	if a.Causal {
		_, keys = a.keeps(i0 + nq - 1)
		for r := 0; r < nq-1; r++ {
			_, lim := a.keeps(i0 + r)
			keys = max(keys, lim)
		}
	}
	for j0 := 0; j0 < keys; j0 += tile {
		nk := min(tile, keys-j0)
		rowImpl.scoresT(st, qt, k[j0*ks+h*dh:], nk, dh, ks, scale)
		if masked {
			for r := 0; r < nq; r++ {
				mask, limit := a.keeps(i0 + r)
				for j := j0; j < j0+nk; j++ {
					if j >= limit || mask != nil && mask[j] == 0 {
						st[(j-j0)*qb+r] = float32(math.Inf(-1))
					}
				}
			}
		}
		rowImpl.softmaxCols(st, nk, mlc)
		if rowImpl.pvOutT != nil {
			rowImpl.pvOutT(o, st, v[j0*vs+h*dh:], mlc[2*qb:], nk, dh, vs)
		} else {
			rowImpl.pvT(o, st, v[j0*vs+h*dh:], mlc[2*qb:], nk, dh, vs)
		}
	}
	if rowImpl.pvOutT != nil {
		rowImpl.outT(out[i0*os+h*dh:], o, mlc[qb:2*qb], nq, dh, os)
		return
	}
	for r := 0; r < nq; r++ {
		oi := out[(i0+r)*os+h*dh : (i0+r)*os+h*dh+dh]
		clear(oi)
		rowImpl.axpy(oi, 1/mlc[qb+r], o[r*dh:(r+1)*dh])
	}
}

// tiledRow is one query row of the online-softmax path: keys are scored a
// tile at a time, and the running output is rescaled whenever the running
// maximum grows, so no full score row is held. scratch holds the tile's
// scores and its P*V.
func (a *Attention) tiledRow(oi, qi, k, v []float32, ks, vs int, mask []float32, limit int, scale float32, scratch []float32) {
	dh := a.HeadDim
	m, sum := float32(math.Inf(-1)), float32(0)
	pv := scratch[attentionTile : attentionTile+dh]
	clear(oi)
	for t0 := 0; t0 < limit; t0 += attentionTile {
		t1 := min(t0+attentionTile, limit)
		s := scratch[:t1-t0]
		rowImpl.dotRows(s, qi, k[t0*ks:], ks, scale)
		tm := float32(math.Inf(-1))
		for j := range s {
			if mask != nil && mask[t0+j] == 0 {
				s[j] = float32(math.Inf(-1))
			}
			tm = max(tm, s[j])
		}
		if math.IsInf(float64(tm), -1) {
			continue // every key of the tile is masked
		}
		if tm > m {
			c := float32(math.Exp(float64(m - tm)))
			sum *= c
			rowImpl.scale(oi, oi, c)
			m = tm
		}
		sum += rowImpl.expSum(s, s, m)
		rowImpl.axpyRows(pv, s, v[t0*vs:], vs)
		rowImpl.add(oi, oi, pv)
	}
	rowImpl.scale(oi, oi, 1/sum)
}

// RunDifferential computes differential attention (SPEC.md 3.3): per head,
// softmax(Q1 K1^T s) V - lambda softmax(Q2 K2^T s) V. q1 and q2 are read with
// QStride, k1 and k2 with KStride. scratch needs DifferentialScratchLen()
// values.
func (a *Attention) RunDifferential(out, q1, k1, q2, k2, v []float32, lambda float32, scratch []float32) {
	a.check(out, q1, k1, v, scratch[:min(len(scratch), a.ScratchLen())])
	a.check(out, q2, k2, v, scratch[:min(len(scratch), a.ScratchLen())])
	_, _, _, os := a.strides()
	w := a.Heads * a.HeadDim
	if len(scratch) < a.DifferentialScratchLen() {
		panic("kernels: RunDifferential: scratch too short")
	}
	second := scratch[a.ScratchLen() : a.ScratchLen()+a.Queries*w]
	inner := *a
	inner.OutStride = w
	inner.Run(second, q2, k2, v, scratch)
	a.Run(out, q1, k1, v, scratch)
	for i := 0; i < a.Queries; i++ {
		AddScaled(out[i*os:i*os+w], -lambda, second[i*w:(i+1)*w])
	}
}

// DifferentialLambda returns the weight of the second stream of the
// differential attention of decoder layer layerIdx (SPEC.md 3.3):
// clip((0.8 - 0.6 exp(-0.3 max(layerIdx-1, 0))) * lambdaParam, 0.1, 0.9).
func DifferentialLambda(layerIdx int, lambdaParam float32) float32 {
	init := 0.8 - 0.6*math.Exp(-0.3*float64(max(layerIdx-1, 0)))
	return float32(min(max(init*float64(lambdaParam), 0.1), 0.9))
}

// DifferentialScratchLen returns the scratch RunDifferential needs.
func (a *Attention) DifferentialScratchLen() int {
	return a.ScratchLen() + a.Queries*a.Heads*a.HeadDim
}

// blockKeys is the number of keys the blocked path scores at a time. A
// tile's P*V reads each value row once per block of queries, and each tile
// costs a softmax step and a rescale of the block's running output, so
// longer tiles cost less per key while the tile (16 KiB of scores for 32
// queries) stays in the first-level cache. 128 against 64, in process on
// 12 heads of 64: 1.01x (1.007-1.020 over three runs) at 64x577 and 1.02x
// at 16x197 at avx512, 1.02x at avx2; 96 measured like 128.
const blockKeys = 128
