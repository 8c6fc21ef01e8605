//go:build !purego

package kernels

// vecConsts holds the constants of the vectorised exp and erfc, each
// repeated across a 256-bit row: the AVX2 kernels use a row as a memory
// operand, the AVX-512 kernels broadcast its first value. The constant
// offsets (row index * 32) are spelled out in rows_avx2_amd64.s and
// rows_avx512_amd64.s; keep the three in step.
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
// erfc(t) = u exp(P(u) - t^2), u = 1/(1 + t/2), with P of degree 10 in
// w = u - 0.6 fitted to log(erfc(t)/u) + t^2 on t in [0, 10.3] (absolute
// error 2.8e-8 in the exponent, 1.1e-7 with float32 Horner; centring at 0.6
// keeps the coefficients small, which is what makes Horner accurate); t is clamped to 10, where erfc is below 2e-45. GELU takes
// t^2 = x^2/2 exactly (x*x split by an FMA) and carries the rounding of
// P(u) - t^2 into a final correction factor, so that the far negative side
// keeps a few ulps of relative accuracy.
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
	splat(0x3f3504f3), // 15: 1/sqrt(2)
	splat(0x40000000), // 16: 2
	splat(0x41200000), // 17: 10, the clamp of t in erfc
	splat(0xbe039229), // 18: erfc P e10, in powers of w = u - 0.6
	splat(0x3e00ed7d), // 19: e9
	splat(0x3e2070a9), // 20: e8
	splat(0xbe67ce15), // 21: e7
	splat(0xbda27fc0), // 22: e6
	splat(0x3e93d5f0), // 23: e5
	splat(0xbc2a3bfa), // 24: e4
	splat(0xbed15bdb), // 25: e3
	splat(0x3d8fee16), // 26: e2
	splat(0x3faf8ab2), // 27: e1
	splat(0xbf09278d), // 28: e0
	splat(0x7fffffff), // 29: |x| mask
	splat(0x80000000), // 30: sign mask
	splat(0xff7fffff), // 31: -MaxFloat32, the floor of a running maximum
	splat(0x41680000), // 32: 14.5, the clamp of |x| in GELU (exp(-x^2/2) is 0 there)
	splat(0x3f19999a), // 33: 0.6, the centre of erfc's P
	splat(0x3aae0a21), // 34: softmaxCols' 2^f, f in [-1/2, 1/2]: b5
	splat(0x3c1e8639), // 35: b4
	splat(0x3d635b64), // 36: b3
	splat(0x3e75fc8b), // 37: b2
	splat(0x3f317214), // 38: b1
	splat(0x3f800001), // 39: b0
}

// tailMask is read from offset (8-r)*4 by the AVX2 kernels to get a mask
// of r leading lanes for VMASKMOVPS.
var tailMask = [16]int32{-1, -1, -1, -1, -1, -1, -1, -1}

func splat(v uint32) [8]uint32 { return [8]uint32{v, v, v, v, v, v, v, v} }
