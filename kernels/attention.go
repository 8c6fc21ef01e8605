package kernels

import (
	"fmt"
	"math"
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
}

// Mask, when not nil, holds Keys values shared by every query or
// Queries*Keys values, one row per query: 1 keeps a key, 0 blocks it. A
// query that keeps no key keeps every key, as the reference's additive -1e9
// mask does.

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

// ScratchLen returns how many float32 values Run needs in scratch.
func (a *Attention) ScratchLen() int {
	if a.Tiled {
		return attentionTile + a.HeadDim
	}
	return 2 * a.Keys
}

// attentionTile is the number of keys the tiled path scores at a time.
const attentionTile = 64

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
		panic(fmt.Sprintf("kernels: Attention %+v: len(out)=%d len(q)=%d len(k)=%d len(v)=%d len(scratch)=%d",
			*a, len(out), len(q), len(k), len(v), len(scratch)))
	}
	if a.Tiled && a.Probability != ProbSoftmax {
		panic("kernels: Attention: the tiled path computes softmax only")
	}
}

// Run computes the attention output for every query row and head.
func (a *Attention) Run(out, q, k, v, scratch []float32) {
	a.check(out, q, k, v, scratch)
	if a.Keys == 0 {
		return
	}
	for h := 0; h < a.Heads; h++ {
		a.runHead(h, out, q, k, v, scratch)
	}
}

// keeps returns the mask row of query i and whether it keeps any key.
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
	qs, ks, vs, os := a.strides()
	dh, scale := a.HeadDim, a.scale()
	for i := 0; i < a.Queries; i++ {
		mask, limit := a.keeps(i)
		qi := q[i*qs+h*dh : i*qs+h*dh+dh]
		oi := out[i*os+h*dh : i*os+h*dh+dh]
		if a.Tiled {
			a.tiledRow(oi, qi, k[h*dh:], v[h*dh:], ks, vs, mask, limit, scale, scratch)
			continue
		}
		s := scratch[:a.Keys]
		for j := range s {
			if j >= limit || mask != nil && mask[j] == 0 {
				s[j] = float32(math.Inf(-1))
				continue
			}
			s[j] = rowImpl.dot(qi, k[j*ks+h*dh:j*ks+h*dh+dh]) * scale
		}
		if a.Probability == ProbSparsemax {
			sparsemaxRow(s, s, scratch[a.Keys:2*a.Keys])
		} else {
			softmaxRow(s, s)
		}
		clear(oi)
		for j, p := range s {
			if p != 0 {
				rowImpl.axpy(oi, p, v[j*vs+h*dh:j*vs+h*dh+dh])
			}
		}
	}
}

// tiledRow is one query row of the online-softmax path: keys are scored a
// tile at a time, and the running output is rescaled whenever the running
// maximum grows, so no full score row is held.
func (a *Attention) tiledRow(oi, qi, k, v []float32, ks, vs int, mask []float32, limit int, scale float32, scratch []float32) {
	dh := a.HeadDim
	s := scratch[:attentionTile]
	m, sum := float32(math.Inf(-1)), float32(0)
	clear(oi)
	for t0 := 0; t0 < limit; t0 += attentionTile {
		t1 := min(t0+attentionTile, limit)
		tm := float32(math.Inf(-1))
		for j := t0; j < t1; j++ {
			sc := float32(math.Inf(-1))
			if mask == nil || mask[j] != 0 {
				sc = rowImpl.dot(qi, k[j*ks:j*ks+dh]) * scale
			}
			s[j-t0] = sc
			tm = max(tm, sc)
		}
		if math.IsInf(float64(tm), -1) {
			continue
		}
		if tm > m {
			c := float32(math.Exp(float64(m - tm)))
			sum *= c
			for d := range oi {
				oi[d] *= c
			}
			m = tm
		}
		for j := t0; j < t1; j++ {
			if math.IsInf(float64(s[j-t0]), -1) {
				continue
			}
			e := float32(math.Exp(float64(s[j-t0] - m)))
			sum += e
			rowImpl.axpy(oi, e, v[j*vs:j*vs+dh])
		}
	}
	inv := 1 / sum
	for d := range oi {
		oi[d] *= inv
	}
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

// DifferentialScratchLen returns the scratch RunDifferential needs.
func (a *Attention) DifferentialScratchLen() int {
	return a.ScratchLen() + a.Queries*a.Heads*a.HeadDim
}
