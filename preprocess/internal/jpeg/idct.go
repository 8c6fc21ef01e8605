package jpeg

// libjpeg-turbo's accurate integer inverse DCT (jidctint.c,
// jpeg_idct_islow: the Loeffler-Ligtenberg-Moschytz algorithm with 13-bit
// fixed-point constants and 2 extra bits between the passes), which Pillow's
// JPEG decoder uses by default, and libjpeg's range limiting of its
// results (jdmaster.c, prepare_range_limit_table). libjpeg-turbo's SIMD
// versions give the same numbers. This file follows jidctint.c step for
// step (IJG licence: this software is based in part on the work of the
// Independent JPEG Group); the shortcuts for all-zero AC terms give the
// same results as the full computation and are kept for speed.

// A block is an 8x8 array of dequantized DCT coefficients in natural
// (row-major) order.
type block [blockSize]int32

const blockSize = 8 * 8

const (
	constBits = 13
	pass1Bits = 2

	fix0_298631336 = 2446  // FIX(0.298631336)
	fix0_390180644 = 3196  // FIX(0.390180644)
	fix0_541196100 = 4433  // FIX(0.541196100)
	fix0_765366865 = 6270  // FIX(0.765366865)
	fix0_899976223 = 7373  // FIX(0.899976223)
	fix1_175875602 = 9633  // FIX(1.175875602)
	fix1_501321110 = 12299 // FIX(1.501321110)
	fix1_847759065 = 15137 // FIX(1.847759065)
	fix1_961570560 = 16069 // FIX(1.961570560)
	fix2_053119869 = 16819 // FIX(2.053119869)
	fix2_562915447 = 20995 // FIX(2.562915447)
	fix3_072711026 = 25172 // FIX(3.072711026)
)

// descale is libjpeg's DESCALE: x / 2^n rounded half up (arithmetic shift).
func descale(x int64, n uint) int64 { return (x + 1<<(n-1)) >> n }

// rangeLimit is libjpeg's IDCT range limit: x+128 clamped to 0..255 for x
// in -512..511, and the same wrap-around (x & 1023) outside, as its table
// does for corrupt data.
func rangeLimit(x int64) byte {
	m := x & 1023
	switch {
	case m < 128:
		return byte(m + 128)
	case m < 512:
		return 255
	case m < 896:
		return 0
	}
	return byte(m - 896)
}

// idctIslow transforms the dequantized coefficients of b and writes the
// 8x8 samples to dst (rows stride bytes apart).
func idctIslow(b *block, dst []byte, stride int) {
	var ws [blockSize]int64 // the workspace between the passes

	// Pass 1: columns from b into ws, scaled up by 2^pass1Bits.
	for col := range 8 {
		c := func(row int) int64 { return int64(b[8*row+col]) }
		if c(1) == 0 && c(2) == 0 && c(3) == 0 && c(4) == 0 && c(5) == 0 && c(6) == 0 && c(7) == 0 {
			dc := c(0) << pass1Bits
			for row := range 8 {
				ws[8*row+col] = dc
			}
			continue
		}
		// Even part.
		z2, z3 := c(2), c(6)
		z1 := (z2 + z3) * fix0_541196100
		tmp2 := z1 + z3*-fix1_847759065
		tmp3 := z1 + z2*fix0_765366865
		z2, z3 = c(0), c(4)
		tmp0 := (z2 + z3) << constBits
		tmp1 := (z2 - z3) << constBits
		tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
		tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2

		// Odd part.
		tmp0, tmp1, tmp2, tmp3 = c(7), c(5), c(3), c(1)
		o0, o1, o2, o3 := oddPart(tmp0, tmp1, tmp2, tmp3)

		const n = constBits - pass1Bits
		ws[8*0+col] = descale(tmp10+o3, n)
		ws[8*7+col] = descale(tmp10-o3, n)
		ws[8*1+col] = descale(tmp11+o2, n)
		ws[8*6+col] = descale(tmp11-o2, n)
		ws[8*2+col] = descale(tmp12+o1, n)
		ws[8*5+col] = descale(tmp12-o1, n)
		ws[8*3+col] = descale(tmp13+o0, n)
		ws[8*4+col] = descale(tmp13-o0, n)
	}

	// Pass 2: rows from ws into dst, scaled down by 8 and 2^pass1Bits.
	for row := range 8 {
		w := ws[8*row : 8*row+8 : 8*row+8]
		out := dst[row*stride : row*stride+8 : row*stride+8]
		const n = constBits + pass1Bits + 3
		if w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0 && w[6] == 0 && w[7] == 0 {
			v := rangeLimit(descale(w[0], pass1Bits+3))
			for i := range out {
				out[i] = v
			}
			continue
		}
		z2, z3 := w[2], w[6]
		z1 := (z2 + z3) * fix0_541196100
		tmp2 := z1 + z3*-fix1_847759065
		tmp3 := z1 + z2*fix0_765366865
		tmp0 := (w[0] + w[4]) << constBits
		tmp1 := (w[0] - w[4]) << constBits
		tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
		tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2

		o0, o1, o2, o3 := oddPart(w[7], w[5], w[3], w[1])

		out[0] = rangeLimit(descale(tmp10+o3, n))
		out[7] = rangeLimit(descale(tmp10-o3, n))
		out[1] = rangeLimit(descale(tmp11+o2, n))
		out[6] = rangeLimit(descale(tmp11-o2, n))
		out[2] = rangeLimit(descale(tmp12+o1, n))
		out[5] = rangeLimit(descale(tmp12-o1, n))
		out[3] = rangeLimit(descale(tmp13+o0, n))
		out[4] = rangeLimit(descale(tmp13-o0, n))
	}
}

// oddPart is the odd half of the 1-D transform: the inputs are the
// coefficients 7, 5, 3 and 1; the outputs are added to and subtracted from
// the even part's tmp13, tmp12, tmp11 and tmp10.
func oddPart(tmp0, tmp1, tmp2, tmp3 int64) (int64, int64, int64, int64) {
	z1 := tmp0 + tmp3
	z2 := tmp1 + tmp2
	z3 := tmp0 + tmp2
	z4 := tmp1 + tmp3
	z5 := (z3 + z4) * fix1_175875602

	tmp0 *= fix0_298631336
	tmp1 *= fix2_053119869
	tmp2 *= fix3_072711026
	tmp3 *= fix1_501321110
	z1 *= -fix0_899976223
	z2 *= -fix2_562915447
	z3 *= -fix1_961570560
	z4 *= -fix0_390180644

	z3 += z5
	z4 += z5

	tmp0 += z1 + z3
	tmp1 += z2 + z4
	tmp2 += z2 + z3
	tmp3 += z1 + z4
	return tmp0, tmp1, tmp2, tmp3
}
