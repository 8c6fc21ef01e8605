//go:build !purego

package kernels

// vecConsts holds the constants of the vectorised exp and GELU, each
// repeated across a 256-bit row: the AVX2 kernels use a row as a memory
// operand, the AVX-512 kernels broadcast its first value. The offsets (row
// index * 32) are spelled out in rows_avx2_amd64.s and rows_avx512_amd64.s
// and, for GELU's rows, named in rows_gelu_amd64.h; keep them in step.
//
// exp(x) = 2^n * p(r), n = round(x log2 e), r = x - n ln2 (ln2 split in a
// high part exact in 9 bits and a low part), p(r) = 1 + r + r^2 q(r) with q
// of degree 4 fitted by least squares on [-ln2/2, ln2/2] (relative error of
// p 1.1e-7 in float32 evaluation).
//
// softmaxCols16AVX512 takes exp(x) = 2^n * b(f), t = x log2 e, n = round(t),
// f = t - n, b of degree 5 fitted (weighted least squares) to 2^f on
// [-1/2, 1/2]: relative error 2.1e-7 in float32 evaluation, plus that of t,
// about |t| * 6e-8, which only matters where exp(x) is small beside the
// row's largest term, exp(0) = 1 (x <= 0 there).
//
// GELU: gelu(x) = relu(x) - a Phi(-a), a = |x| (clamped to 14.5, where the
// product is 0 in float32), and a Phi(-a) = m exp((Q(m) - a^2)/2) with
// m = a/(1.25 a + c) in [0, 0.8): Q(m) = 2 log(Phi(-a) (1.25 a + c)) + a^2
// is smooth and bounded there ([-1.06, 0.91]; the substitution is that of
// the classic erfc(t) ~ u exp(P(u) - t^2), u = 1/(1 + t/2), with c chosen
// for the fit), a polynomial of degree 8 fitted (Lawson's iteratively
// reweighted least squares, float64) on a in [0, 13.5] to an absolute error
// of 6.9e-8 in Q/2, and c = sqrt2/0.56/0.8 (tools/gelu_fit.py prints these
// rows). exp(r/2) for the doubled
// exponent r takes the exp's coefficients scaled by 2^-k. A dense sweep of
// [-15, 15] stays within 2.2 ulps of float64 erfc at avx2 and avx512.
var vecConsts = [...][8]uint32{
	splat(0x3fb8aa3b), // 0: log2(e)
	splat(0xbf318000), // 1: -ln2 high part (-0.693359375)
	splat(0x395e8083), // 2: -ln2 low part (2.12194440e-4)
	splat(0x3ab43e12), // 3: c6
	splat(0x3c091dca), // 4: c5
	splat(0x3d2aadac), // 5: c4
	splat(0x3e2aaa47), // 6: c3
	splat(0x3efffffc), // 7: c2
	splat(0x3f800000), // 8: 1
	splat(0xc2b00000), // 9: -88, the AVX2 exp's lower clamp (2^n stays normal or 0)
	splat(0x42b18000), // 10: 88.75, the AVX2 exp's upper clamp (n = 128: +Inf)
	splat(0xc2d00000), // 11: -104, the AVX-512 exp's lower clamp (result 0)
	splat(0x42b20000), // 12: 89, the AVX-512 exp's upper clamp (result +Inf)
	splat(127 << 23),  // 13: exponent bias, for 2^n by integer shift (AVX2)
	splat(0x3f000000), // 14: 0.5
	splat(0x404a07cf), // 15: c = 3.1567266, GELU's m = a/(1.25 a + c)
	splat(0x3fa00000), // 16: 1.25
	splat(0x3f38aa3b), // 17: log2(e)/2
	splat(0x400ef0e2), // 18: GELU's Q: q8, in powers of m
	splat(0xc0a0985c), // 19: q7
	splat(0x404a5485), // 20: q6
	splat(0xbf1d8ce1), // 21: q5
	splat(0x3f7aee17), // 22: q4
	splat(0x3e2cdef2), // 23: q3
	splat(0xbf8e4614), // 24: q2
	splat(0xc022657e), // 25: q1
	splat(0x3f69abc0), // 26: q0
	splat(0x4b40007f), // 27: 1.5 * 2^23 + 127: adding it rounds to an integer n, and its bits << 23 are those of 2^n
	splat(0xbfb18000), // 28: -2 ln2, high part (exact in 9 bits)
	splat(0x7fffffff), // 29: |x| mask
	splat(0x80000000), // 30: sign mask
	splat(0xff7fffff), // 31: -MaxFloat32, the floor of a running maximum
	splat(0x41680000), // 32: 14.5, the clamp of |x| in GELU (exp(-x^2/2) is 0 there)
	splat(0x39de8083), // 33: -2 ln2, low part
	splat(0x37b43e12), // 34: c6/64: exp(r/2) = 1 + r/2 + sum c_k (r/2)^k
	splat(0x39891dca), // 35: c5/32
	splat(0x3b2aadac), // 36: c4/16
	splat(0x3caaaa47), // 37: c3/8
	splat(0x3dfffffc), // 38: c2/4
	splat(0x4b400000), // 39: bits(1.5 * 2^23 + 127) - 127, the floor of n's bits (AVX2 GELU)
	splat(0x3aae0a21), // 40: softmaxCols' 2^f, f in [-1/2, 1/2]: b5
	splat(0x3c1e8639), // 41: b4
	splat(0x3d635b64), // 42: b3
	splat(0x3e75fc8b), // 43: b2
	splat(0x3f317214), // 44: b1
	splat(0x3f800001), // 45: b0
}

// tailMask is read from offset (8-r)*4 by the AVX2 kernels to get a mask
// of r leading lanes for VMASKMOVPS.
var tailMask = [16]int32{-1, -1, -1, -1, -1, -1, -1, -1}

func splat(v uint32) [8]uint32 { return [8]uint32{v, v, v, v, v, v, v, v} }
