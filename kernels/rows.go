package kernels

import (
	"fmt"
	"math"
)

// This file holds the row kernels' entry points and their pure-Go twins.
// Row kernels treat x as consecutive rows of a width given by a weight vector
// or an explicit n; dst may be the same slice as x.

// rowKernels is one level's set of row kernels. Each arch file provides
// rowKernelsFor, which starts from genericRows and replaces what it has
// assembly for; entry points check their arguments and call through rowImpl.
type rowKernels struct {
	layerNorm func(dst, x, gamma, beta []float32, eps float32)
	rmsNorm   func(dst, x, scale []float32, eps float32)
	softmax   func(dst, x []float32, n int)
	expSum    func(dst, x []float32, m float32) float32 // dst = exp(x - m), returns the sum
	gelu      func(dst, x []float32)
	silu      func(dst, x []float32)
	sigmoid   func(dst, x []float32)
	add       func(dst, a, b []float32)
	mul       func(dst, a, b []float32)
	maxv      func(dst, a, b []float32)         // dst[i] = max(a[i], b[i])
	scale     func(dst, x []float32, s float32) // dst[i] = x[i] * s
	axpy      func(dst []float32, alpha float32, x []float32)
	dot       func(a, b []float32) float32

	// gatedSigmoid computes dst[i] = x sigmoid(a x + c x^3), x = x[i], in
	// one pass: the quick_gelu and gelu_pytorch_tanh epilogues
	// (activation.go).
	gatedSigmoid func(dst, x []float32, a, c float32)

	// Whole-tensor pooling and normalisation; the twins build them from the
	// vector kernels above, NEON has them in one call each.
	sparsemax   func(dst, x, zs []float32) // one row; zs is scratch as long as x
	l2Normalize func(dst, x []float32, n int)
	meanTokens  func(dst, x []float32, d int)
	maxTokens   func(dst, x []float32, d int)

	// Attention inner kernels (attention_kernels.go). queryBlock is the
	// number of queries the blocked kernels handle at once (the lanes of
	// scoresT, softmaxCols and pvT, which read it from their slices'
	// lengths); 0 makes attention use the row path (dotRows, axpyRows)
	// only.
	dotRows     func(s, q, k []float32, ks int, scale float32)
	axpyRows    func(o, p, v []float32, vs int)
	queryBlock  int
	halfBlock   bool // the blocked kernels also take queryBlock/2 lanes, for a short last block
	gatherT     func(qt, q []float32, nq, dh, qs int)
	scoresT     func(st, qt, k []float32, nk, dh, ks int, scale float32)
	softmaxCols func(st []float32, nk int, mlc []float32)
	pvT         func(o, st, v, c []float32, nk, dh, vs int)
	// pvOutT, where not nil, replaces pvT and keeps the block's running
	// output transposed (pvOutTGeneric), one vector of query lanes per dim.
	// outT then writes that output back as rows (outTGeneric).
	pvOutT func(ot, st, v, c []float32, nk, dh, vs int)
	outT   func(out, ot, l []float32, nq, dh, os int)
	// decodeScores and decodePV, where not nil, take the row path 4 heads
	// at a time (attention_decode.go) when HeadDim is a multiple of
	// decodeDimStep.
	decodeScores  func(s, q, k []float32, nk, dh, ks, ss int, scale float32)
	decodePV      func(o, p, v []float32, nk, dh, vs, ps int)
	decodeDimStep int
}

// genericRows are the pure-Go twins.
var genericRows = rowKernels{
	layerNorm: layerNormGeneric,
	rmsNorm:   rmsNormGeneric,
	softmax:   softmaxGeneric,
	expSum:    expSumGeneric,
	gelu:      geluGeneric,
	silu:      siluGeneric,
	sigmoid:   sigmoidGeneric,
	add:       addGeneric,
	mul:       mulGeneric,
	maxv:      maxGeneric,
	scale:     scaleGeneric,
	axpy:      axpyGeneric,
	dot:       dotGeneric,

	gatedSigmoid: gatedSigmoidGeneric,

	sparsemax:   sparsemaxRow,
	l2Normalize: l2NormalizeGeneric,
	meanTokens:  meanTokensGeneric,
	maxTokens:   maxTokensGeneric,

	dotRows:     dotRowsGeneric,
	axpyRows:    axpyRowsGeneric,
	gatherT:     gatherTGeneric,
	scoresT:     scoresTGeneric,
	softmaxCols: softmaxColsGeneric,
	pvT:         pvTGeneric,
	outT:        outTGeneric,
}

// rowImpl is the active level's row kernels.
var rowImpl rowKernels

func init() { onLevel(func(l Level) { rowImpl = rowKernelsFor(l) }) }

func checkRows(name string, lx, ldst, n int) {
	if n <= 0 && lx > 0 || n > 0 && lx%n != 0 || ldst < lx {
		panic(fmt.Sprintf("kernels: %s: len(x)=%d, len(dst)=%d, row width %d", name, lx, ldst, n))
	}
}

// LayerNorm normalises each row of x (width len(gamma)) into dst:
// inv = gamma / sqrt(var + eps), y = x*inv + (beta - mean*inv), with the
// biased variance (SPEC.md section 2).
func LayerNorm(dst, x, gamma, beta []float32, eps float32) {
	checkRows("LayerNorm", len(x), len(dst), len(gamma))
	if len(beta) != len(gamma) {
		panic("kernels: LayerNorm: len(beta) != len(gamma)")
	}
	rowImpl.layerNorm(dst, x, gamma, beta, eps)
}

// AddLayerNorm computes dst = LayerNorm(x + r) row by row, the post-norm
// residual of a transformer layer: each row's sum is normalised while it is
// still in the first-level cache, so the pair costs one pass over memory.
// dst may be x or r.
func AddLayerNorm(dst, x, r, gamma, beta []float32, eps float32) {
	checkRows("AddLayerNorm", len(x), len(dst), len(gamma))
	if len(r) != len(x) || len(beta) != len(gamma) {
		panic("kernels: AddLayerNorm: mismatched lengths")
	}
	d := len(gamma)
	for off := 0; off+d <= len(x); off += d {
		row := dst[off : off+d]
		rowImpl.add(row, x[off:off+d], r[off:off+d])
		rowImpl.layerNorm(row, row, gamma, beta, eps)
	}
}

func layerNormGeneric(dst, x, gamma, beta []float32, eps float32) {
	d := len(gamma)
	for off := 0; off+d <= len(x); off += d {
		row, out := x[off:off+d], dst[off:off+d]
		// The statistics are taken in float64, so the twin's mean and
		// variance are exact to float32 rounding; the output follows
		// SPEC.md's operation order in float32.
		var sum float64
		for _, v := range row {
			sum += float64(v)
		}
		mean := sum / float64(d)
		var ss float64
		for _, v := range row {
			dv := float64(v) - mean
			ss += dv * dv
		}
		mean32 := float32(mean)
		rstd := float32(1 / math.Sqrt(float64(float32(ss/float64(d))+eps)))
		for i, v := range row {
			inv := rstd * gamma[i]
			out[i] = v*inv + (beta[i] - mean32*inv)
		}
	}
}

// RMSNorm computes dst = x / sqrt(mean(x^2) + eps) * scale row by row.
func RMSNorm(dst, x, scale []float32, eps float32) {
	checkRows("RMSNorm", len(x), len(dst), len(scale))
	rowImpl.rmsNorm(dst, x, scale, eps)
}

// AddRMSNorm computes dst = RMSNorm(x + r) row by row. dst may be x or r.
func AddRMSNorm(dst, x, r, scale []float32, eps float32) {
	checkRows("AddRMSNorm", len(x), len(dst), len(scale))
	if len(r) != len(x) {
		panic("kernels: AddRMSNorm: mismatched lengths")
	}
	d := len(scale)
	for off := 0; off+d <= len(x); off += d {
		row := dst[off : off+d]
		rowImpl.add(row, x[off:off+d], r[off:off+d])
		rowImpl.rmsNorm(row, row, scale, eps)
	}
}

func rmsNormGeneric(dst, x, scale []float32, eps float32) {
	d := len(scale)
	for off := 0; off+d <= len(x); off += d {
		row, out := x[off:off+d], dst[off:off+d]
		var ss float64
		for _, v := range row {
			ss += float64(v) * float64(v)
		}
		r := float32(1 / math.Sqrt(float64(float32(ss/float64(d))+eps)))
		for i, v := range row {
			out[i] = v * r * scale[i]
		}
	}
}

// Softmax computes, for each row of n values, e = exp(x - max(x)) and
// dst = e * (1 / sum(e)).
func Softmax(dst, x []float32, n int) {
	checkRows("Softmax", len(x), len(dst), n)
	rowImpl.softmax(dst, x, n)
}

func softmaxGeneric(dst, x []float32, n int) {
	for off := 0; off+n <= len(x); off += n {
		softmaxRow(dst[off:off+n], x[off:off+n])
	}
}

func softmaxRow(dst, x []float32) {
	m := float32(math.Inf(-1))
	for _, v := range x {
		m = max(m, v)
	}
	var sum float32
	for i, v := range x {
		e := float32(math.Exp(float64(v - m)))
		dst[i] = e
		sum += e
	}
	inv := 1 / sum
	for i := range dst[:len(x)] {
		dst[i] *= inv
	}
}

func expSumGeneric(dst, x []float32, m float32) float32 {
	var sum float32
	for i, v := range x {
		e := float32(math.Exp(float64(v - m)))
		dst[i] = e
		sum += e
	}
	return sum
}

// Sparsemax computes the sparsemax of each row of n values (SPEC.md 3.3):
// the Euclidean projection onto the probability simplex, p = max(z - tau,
// 0) with z = x - max(x). scratch must hold at least n values.
func Sparsemax(dst, x []float32, n int, scratch []float32) {
	checkRows("Sparsemax", len(x), len(dst), n)
	if len(scratch) < n {
		panic("kernels: Sparsemax: scratch shorter than a row")
	}
	for off := 0; off+n <= len(x); off += n {
		rowImpl.sparsemax(dst[off:off+n], x[off:off+n], scratch[:n])
	}
}

// sparsemaxRow finds SPEC.md's threshold tau = (sum of the kept z - 1) /
// (how many are kept) without sorting, by Michelot's fixed point: start
// with every value kept, then keep those above tau and recompute tau until
// the kept set stops shrinking. tau only grows, so this ends after at most
// n rounds (a handful in practice), and it reaches the same threshold as
// the sort-and-scan definition: the projection is unique. z goes to zs.
func sparsemaxRow(dst, x, zs []float32) {
	m := float32(math.Inf(-1))
	for _, v := range x {
		m = max(m, v)
	}
	for i, v := range x {
		zs[i] = v - m
	}
	tau, kept := float32(math.Inf(-1)), len(x)+1
	for {
		var sum float32
		count := 0
		for _, z := range zs {
			if z > tau {
				sum += z
				count++
			}
		}
		if count >= kept || count == 0 {
			break
		}
		tau, kept = (sum-1)/float32(count), count
	}
	for i, z := range zs {
		dst[i] = max(z-tau, 0)
	}
}

// GELU computes dst[i] = 0.5 x (1 + erf(x / sqrt 2)), the exact form.
func GELU(dst, x []float32) {
	checkRows("GELU", len(x), len(dst), 1)
	rowImpl.gelu(dst, x)
}

// geluGeneric writes 1 + erf(x/sqrt2) as erfc(-x/sqrt2), which keeps the
// relative accuracy of the far negative side. x is floored at -40, where
// the product is already 0 even in float64, so that -Inf gives 0, not
// -Inf * 0.
func geluGeneric(dst, x []float32) {
	for i, v := range x {
		w := max(float64(v), -40)
		dst[i] = float32(0.5 * w * math.Erfc(-w/math.Sqrt2))
	}
}

// Sigmoid computes dst[i] = 1 / (1 + exp(-x[i])).
func Sigmoid(dst, x []float32) {
	checkRows("Sigmoid", len(x), len(dst), 1)
	rowImpl.sigmoid(dst, x)
}

func sigmoidGeneric(dst, x []float32) {
	for i, v := range x {
		dst[i] = float32(1 / (1 + math.Exp(-float64(v))))
	}
}

// SiLU computes dst[i] = x[i] * sigmoid(x[i]).
func SiLU(dst, x []float32) {
	checkRows("SiLU", len(x), len(dst), 1)
	rowImpl.silu(dst, x)
}

func siluGeneric(dst, x []float32) {
	for i, v := range x {
		dst[i] = float32(float64(v) / (1 + math.Exp(-float64(v))))
	}
}

// L2Normalize computes dst = x * min(1/sqrt(sum(x^2)), 1e7) for each row of
// n values.
func L2Normalize(dst, x []float32, n int) {
	checkRows("L2Normalize", len(x), len(dst), n)
	rowImpl.l2Normalize(dst, x, n)
}

func l2NormalizeGeneric(dst, x []float32, n int) {
	for off := 0; off+n <= len(x); off += n {
		row := x[off : off+n]
		ss := rowImpl.dot(row, row)
		inv := float32(min(1/math.Sqrt(float64(ss)), 1e7))
		rowImpl.scale(dst[off:off+n], row, inv)
	}
}

// MeanTokens sets dst (d values) to the mean of the rows of x, each d wide:
// pooling over the token axis.
func MeanTokens(dst, x []float32, d int) {
	checkRows("MeanTokens", len(x), len(x), d)
	if len(dst) != d || len(x) == 0 {
		panic("kernels: MeanTokens: len(dst) != d or no rows")
	}
	rowImpl.meanTokens(dst, x, d)
}

func meanTokensGeneric(dst, x []float32, d int) {
	copy(dst, x[:d])
	for off := d; off < len(x); off += d {
		rowImpl.add(dst, dst, x[off:off+d])
	}
	count := float32(len(x) / d)
	for i := range dst {
		dst[i] /= count // sum / count, as SPEC.md says: not a product by 1/count
	}
}

// MaxTokens sets dst (d values) to the elementwise maximum over the rows of
// x, each d wide.
func MaxTokens(dst, x []float32, d int) {
	checkRows("MaxTokens", len(x), len(x), d)
	if len(dst) != d || len(x) == 0 {
		panic("kernels: MaxTokens: len(dst) != d or no rows")
	}
	rowImpl.maxTokens(dst, x, d)
}

func maxTokensGeneric(dst, x []float32, d int) {
	copy(dst, x[:d])
	for off := d; off < len(x); off += d {
		rowImpl.maxv(dst, dst, x[off:off+d])
	}
}

func maxGeneric(dst, a, b []float32) {
	for i, v := range a {
		dst[i] = max(v, b[i])
	}
}

func scaleGeneric(dst, x []float32, s float32) {
	for i, v := range x {
		dst[i] = v * s
	}
}

// Add computes dst[i] = a[i] + b[i].
func Add(dst, a, b []float32) {
	if len(a) != len(b) || len(dst) < len(a) {
		panic("kernels: Add: mismatched lengths")
	}
	rowImpl.add(dst, a, b)
}

// Scale computes dst = x * s.
func Scale(dst, x []float32, s float32) {
	if len(dst) < len(x) {
		panic("kernels: Scale: dst shorter than x")
	}
	rowImpl.scale(dst, x, s)
}

func addGeneric(dst, a, b []float32) {
	for i, v := range a {
		dst[i] = v + b[i]
	}
}

// Mul computes dst[i] = a[i] * b[i].
func Mul(dst, a, b []float32) {
	if len(a) != len(b) || len(dst) < len(a) {
		panic("kernels: Mul: mismatched lengths")
	}
	rowImpl.mul(dst, a, b)
}

func mulGeneric(dst, a, b []float32) {
	for i, v := range a {
		dst[i] = v * b[i]
	}
}

// AddScaled computes dst[i] += alpha * x[i] (axpy).
func AddScaled(dst []float32, alpha float32, x []float32) {
	if len(dst) < len(x) {
		panic("kernels: AddScaled: mismatched lengths")
	}
	rowImpl.axpy(dst, alpha, x)
}

func axpyGeneric(dst []float32, alpha float32, x []float32) {
	for i, v := range x {
		dst[i] += alpha * v
	}
}

// Dot returns the inner product of a and b.
func Dot(a, b []float32) float32 {
	if len(a) != len(b) {
		panic("kernels: Dot: mismatched lengths")
	}
	return rowImpl.dot(a, b)
}

func dotGeneric(a, b []float32) float32 {
	var s float32
	for i, x := range a {
		s += x * b[i]
	}
	return s
}
