package kernels

import (
	"fmt"
	"math"
)

// This file makes the int8 form of a PackedWeights: quantizing float
// weights per column (QuantizeKN, QuantizeNK) or taking int8 weights that a
// file already holds (PackInt8KN), packed once into the panels of the
// active level's int8 micro-kernel (qmatmul_kernel.go).

// MaxInt8K is the largest K an int8 product accepts: with activations in
// [-127, 127] and weights in [-128, 127], |sum over K of a*q| <= K * 127 *
// 128 stays below 2^31, so the int32 accumulators can never overflow.
const MaxInt8K = math.MaxInt32 / (127 * 128) // 132104

// int8Weights is the int8 form of a PackedWeights (qmatmul_kernel.go gives
// the layout).
type int8Weights struct {
	kern   qgemmKernel
	kp     int       // K padded to a multiple of kern.kalign
	panels []int8    // ceil(N/nr) panels of kp*nr bytes
	scale  []float32 // per column, ceil(N/nr)*nr values, zero in the padding
	corr   []int32   // zero-point families: -128 * column sum, padded; else nil
}

// qgemmActive is the active level's int8 micro-kernel family; the int8
// packers pack for it.
var qgemmActive qgemmKernel

func init() { onLevel(func(l Level) { qgemmActive = qgemmKernelFor(l) }) }

// Quantized reports whether p holds int8 weights (QuantizeKN, QuantizeNK,
// PackInt8KN) rather than float32 ones.
func (p *PackedWeights) Quantized() bool { return p.q != nil }

// QuantizeKN packs W, given row-major as K x N (a Keras Dense kernel), as
// int8 weights for the active level: each column j gets the scale
// s[j] = max over k of |W[k][j]| / 127 (float32) and the weights
// q[k][j] = W[k][j] / s[j] rounded half to even (in float64) and clamped to
// [-127, 127], so that q * s[j] stands for W; a column of zeros gets scale
// 1 and zero weights. bias (nil or N values) stays float32. Products with the result quantize
// A per row at each call (MatMul). It returns an error for negative sizes,
// lengths that do not match, K above MaxInt8K, or a weight that is NaN or
// infinite (naming its row and column).
func QuantizeKN(w []float32, k, n int, bias []float32) (*PackedWeights, error) {
	return quantize(w, k, n, bias, n, 1)
}

// QuantizeNK is QuantizeKN for W given row-major as N x K (a PyTorch Linear
// weight [out, in]); the scales are still one per output (row of the given
// matrix).
func QuantizeNK(w []float32, n, k int, bias []float32) (*PackedWeights, error) {
	return quantize(w, k, n, bias, 1, k)
}

// quantize quantizes W (element (row, col) at w[row*rs+col*cs]) per column
// and packs it.
func quantize(w []float32, k, n int, bias []float32, rs, cs int) (*PackedWeights, error) {
	if err := checkPack(len(w), k, n, bias); err != nil {
		return nil, err
	}
	if k > MaxInt8K {
		return nil, fmt.Errorf("kernels: quantize: K = %d exceeds MaxInt8K = %d", k, MaxInt8K)
	}
	q, scale, err := quantizeColumns(w, k, n, rs, cs)
	if err != nil {
		return nil, err
	}
	p := newInt8Packed(k, n, scale, bias)
	p.q.fill(q, k, n)
	return p, nil
}

// QuantizeColumns quantizes W, row-major K x N, per column as QuantizeKN
// does, and returns the int8 weights (row-major K x N) and the column
// scales, the form of an I8 kernel and its ".scale" in a model file
// (SPEC.md section 1). A column of zeros gets scale 1 (any positive scale
// stands for it, and PackInt8KN takes only positive ones). It returns an
// error for lengths that do not match or a NaN or infinite weight.
func QuantizeColumns(w []float32, k, n int) (q []int8, scale []float32, err error) {
	if err := checkPack(len(w), k, n, nil); err != nil {
		return nil, nil, err
	}
	return quantizeColumns(w, k, n, n, 1)
}

func quantizeColumns(w []float32, k, n, rs, cs int) ([]int8, []float32, error) {
	scale := make([]float32, n)
	q := make([]int8, k*n) // K x N, row-major
	for j := 0; j < n; j++ {
		var amax float32
		for r := 0; r < k; r++ {
			v := w[r*rs+j*cs]
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, nil, fmt.Errorf("kernels: quantize: weight [%d][%d] (row, column of the K x N matrix) is %v", r, j, v)
			}
			amax = max(amax, float32(math.Abs(float64(v))))
		}
		s := amax / 127
		if s == 0 {
			scale[j] = 1 // a column of zeros: q stays 0
			continue
		}
		scale[j] = s
		for r := 0; r < k; r++ {
			v := math.RoundToEven(float64(w[r*rs+j*cs]) / float64(s))
			q[r*n+j] = int8(max(-127, min(127, v)))
		}
	}
	return q, scale, nil
}

// PackInt8KN packs int8 weights q, row-major K x N, with one scale per
// column (SPEC.md section 1: W[k][j] = q[k][j] * scale[j], the layout of
// an I8 kernel [in, out] and its "<kernel>.scale" [out]) for the active
// level, without dequantizing them. bias is nil or has N values. It
// returns an error for negative sizes, lengths that do not match, K above
// MaxInt8K, or a scale that is zero, negative, NaN or infinite (naming the
// column).
func PackInt8KN(q []int8, scale []float32, k, n int, bias []float32) (*PackedWeights, error) {
	if err := checkPack(len(q), k, n, bias); err != nil {
		return nil, err
	}
	switch {
	case len(scale) != n:
		return nil, fmt.Errorf("kernels: PackInt8KN: %d scales for %d columns", len(scale), n)
	case k > MaxInt8K:
		return nil, fmt.Errorf("kernels: PackInt8KN: K = %d exceeds MaxInt8K = %d", k, MaxInt8K)
	}
	for j, s := range scale {
		if !(s > 0) || math.IsInf(float64(s), 1) {
			return nil, fmt.Errorf("kernels: PackInt8KN: scale of column %d is %v, want a positive finite number", j, s)
		}
	}
	p := newInt8Packed(k, n, scale, bias)
	p.q.fill(q, k, n)
	return p, nil
}

// newInt8Packed makes an empty int8 PackedWeights for the active level's
// int8 family, with its scales and bias in place.
func newInt8Packed(k, n int, scale, bias []float32) *PackedWeights {
	kern := qgemmActive
	nr := kern.nr
	np := (n + nr - 1) / nr
	kp := (k + kern.kalign - 1) / kern.kalign * kern.kalign
	iw := &int8Weights{kern: kern, kp: kp, panels: make([]int8, np*kp*nr), scale: make([]float32, np*nr)}
	copy(iw.scale, scale)
	if kern.zeroPoint {
		iw.corr = make([]int32, np*nr)
	}
	p := &PackedWeights{k: k, n: n, level: active, kern: gemmActive, q: iw, bias: make([]float32, np*nr)}
	copy(p.bias, bias)
	return p
}

// fill writes q, row-major K x N, into the panels, and the zero-point
// corrections. The loops read q row by row and write within one group
// (kgroup*nr bytes) at a time.
func (iw *int8Weights) fill(q []int8, k, n int) {
	nr, c := iw.kern.nr, iw.kern.kgroup
	for c0 := 0; c0 < n; c0 += nr {
		cols := min(nr, n-c0)
		panel := iw.panels[(c0/nr)*iw.kp*nr:]
		for r := 0; r < k; r++ {
			dst := panel[(r/c)*c*nr+r%c:]
			for j, v := range q[r*n+c0 : r*n+c0+cols] {
				dst[c*j] = v
			}
		}
		if iw.corr != nil {
			for j := 0; j < cols; j++ {
				var sum int32
				for r := 0; r < k; r++ {
					sum += int32(q[r*n+c0+j])
				}
				iw.corr[c0+j] = -128 * sum
			}
		}
	}
}

// unpackCols writes the dequantized columns [c0, c0+width) of W, row-major
// K x width, into w: q * scale as float32, as weights.Dequantize does.
func (iw *int8Weights) unpackCols(w []float32, k, c0, width int) {
	nr, g := iw.kern.nr, iw.kern.kgroup
	for r := 0; r < k; r++ {
		for j := 0; j < width; j++ {
			c := c0 + j
			v := iw.panels[(c/nr)*iw.kp*nr+(r/g)*g*nr+g*(c%nr)+r%g]
			w[r*width+j] = float32(v) * iw.scale[c]
		}
	}
}

// lda returns the bytes of a quantized row of A that the family reads.
func (iw *int8Weights) lda() int {
	if iw.kern.a16 {
		return 2 * iw.kp
	}
	return iw.kp
}

// qaBytes returns the bytes of the scratch that m quantized rows of A take:
// m rows of lda bytes, m rounded up to even for a rowPairs family.
func (iw *int8Weights) qaBytes(m int) int {
	if iw.kern.rowPairs {
		m += m & 1
	}
	return m * iw.lda()
}

// bytes returns the memory the panels, scales and corrections hold.
func (iw *int8Weights) bytes() int { return len(iw.panels) + 4*(len(iw.scale)+len(iw.corr)) }
