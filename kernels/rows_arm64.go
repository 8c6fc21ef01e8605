//go:build !purego

package kernels

import "math"

// rowKernelsFor returns the row kernels of level l on arm64: at NEON the
// assembly of rows_arm64.s, rows_exp_arm64.s, rows_sparsemax_arm64.s and
// attention_neon_arm64.s (the attention path in blocks of 16 queries),
// elsewhere the Go twins.
func rowKernelsFor(l Level) rowKernels {
	k := genericRows
	if l != NEON {
		return k
	}
	k.dot = dotNEON
	k.axpy = axpyNEON
	k.add = addNEON
	k.mul = mulNEON
	k.layerNorm = layerNormRowsNEON
	k.rmsNorm = rmsNormRowsNEON
	k.softmax = softmaxRowsNEON
	k.sparsemax = sparsemaxNEON
	k.sigmoid = sigmoidNEON
	k.silu = siluNEON
	k.gatedSigmoid = gatedSigmoidNEON
	k.gelu = geluNEON
	k.dotRows = dotRowsNEONGo
	k.axpyRows = axpyRowsNEONGo
	k.queryBlock = neonQueryBlock
	k.scoresT = scoresTNEON
	k.softmaxCols = softmaxColsNEONGo
	k.pvT = pvTNEON
	k.l2Normalize = l2NormalizeRowsNEON
	k.meanTokens = meanTokensRowsNEON
	k.maxTokens = maxTokensRowsNEON
	return k
}

// neonMathConsts are the constants of the vector exp of
// rows_exp_arm64.s, in the order its broadcast loads read them (the
// assembly names each register's constant).
var neonMathConsts = [26]float32{
	-105, 89, // clamp of exp's argument: e^-105 rounds to 0, e^89 to +Inf
	math.Log2E,
	0.693359375, -2.12194440e-4, // ln 2 = high + low; high has 9 significant bits
	// exp(r) = 1 + r + r^2 P(r), P highest degree first (Cephes expf)
	1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1,
	1,
	// 12-23: unused (GELU's constants were here; neonGELUConsts has them
	// now), kept so that the indices below hold.
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	-math.MaxFloat32, // floor of softmaxCols' running maximum (index 24)
	1e7,              // ceiling of L2Normalize's factor (index 25)
}

// neonGELUConsts are GELU_V5's constants (rows_exp_arm64.s), in the order
// its broadcast loads read them: the values of rows_consts_amd64.go's GELU
// rows, where their fit is described.
var neonGELUConsts = [24]float32{
	14.5,                             // clamp of |x|: gelu is 0 or x in float32 beyond
	1.25,                             // m = a/(1.25 a + c)
	math.Float32frombits(0x404a07cf), // c
	// Q(m), highest degree first
	math.Float32frombits(0x400ef0e2), math.Float32frombits(0xc0a0985c), math.Float32frombits(0x404a5485),
	math.Float32frombits(0xbf1d8ce1), math.Float32frombits(0x3f7aee17), math.Float32frombits(0x3e2cdef2),
	math.Float32frombits(0xbf8e4614), math.Float32frombits(0xc022657e), math.Float32frombits(0x3f69abc0),
	math.Log2E / 2,
	1.5*(1<<23) + 127,                // rounds to an integer n; its bits << 23 are those of 2^n
	-1.38671875,                      // -2 ln2, high part (9 significant bits)
	math.Float32frombits(0x39de8083), // -2 ln2, low part
	1.5 * (1 << 23),                  // the floor of n + 1.5*2^23 + 127 (n = -127: 2^n's bits are 0)
	// exp(r/2) = 1 + r/2 + sum c_k (r/2)^k: c6/64 ... c2/4, 0.5, 1
	math.Float32frombits(0x37b43e12), math.Float32frombits(0x39891dca), math.Float32frombits(0x3b2aadac),
	math.Float32frombits(0x3caaaa47), math.Float32frombits(0x3dfffffc),
	0.5, 1,
}

// The assembly kernels. Those taking slices work on len(x) (len(a) for add
// and mul, len(a) for dot); the row kernels take rows of width d (n).

//go:noescape
func dotNEON(a, b []float32) float32

//go:noescape
func axpyNEON(dst []float32, alpha float32, x []float32)

//go:noescape
func addNEON(dst, a, b []float32)

//go:noescape
func mulNEON(dst, a, b []float32)

//go:noescape
func sigmoidNEON(dst, x []float32)

//go:noescape
func siluNEON(dst, x []float32)

//go:noescape
func geluNEON(dst, x []float32)

// gatedSigmoidNEON computes dst[i] = x sigmoid(a x + c x^3) over len(x)
// values; dst must hold as many (gatedSigmoid checks).
//
//go:noescape
func gatedSigmoidNEON(dst, x []float32, a, c float32)

//go:noescape
func layerNormNEON(dst, x, gamma, beta *float32, rows, d int, eps float32)

//go:noescape
func rmsNormNEON(dst, x, scale *float32, rows, d int, eps float32)

//go:noescape
func softmaxNEON(dst, x *float32, rows, n int)

//go:noescape
func scaleNEON(x []float32, s float32)

//go:noescape
func softmaxColsNEON(st *float32, nk int, mlc *float32)

func layerNormRowsNEON(dst, x, gamma, beta []float32, eps float32) {
	if len(x) == 0 {
		return
	}
	layerNormNEON(&dst[0], &x[0], &gamma[0], &beta[0], len(x)/len(gamma), len(gamma), eps)
}

func rmsNormRowsNEON(dst, x, scale []float32, eps float32) {
	if len(x) == 0 {
		return
	}
	rmsNormNEON(&dst[0], &x[0], &scale[0], len(x)/len(scale), len(scale), eps)
}

func softmaxRowsNEON(dst, x []float32, n int) {
	if len(x) == 0 {
		return
	}
	softmaxNEON(&dst[0], &x[0], len(x)/n, n)
}
