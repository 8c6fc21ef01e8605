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

// DESCALE(x, n) of libjpeg, x / 2^n rounded half up with an arithmetic
// shift, is written (x + round) >> n below.

// rangeLimit is libjpeg's IDCT range limit, indexed by x & 1023: x+128
// clamped to 0..255 for x in -512..511, and the same wrap-around outside, as
// libjpeg's table does for corrupt data.
var rangeLimit [1024]byte

func init() {
	for m := range rangeLimit {
		switch {
		case m < 128:
			rangeLimit[m] = byte(m + 128)
		case m < 512:
			rangeLimit[m] = 255
		case m < 896:
			rangeLimit[m] = 0
		default:
			rangeLimit[m] = byte(m - 896)
		}
	}
}

// idctIslow transforms the dequantized coefficients of b and writes the
// 8x8 samples to dst (rows stride bytes apart). The 1-D transform is
// written out in both passes (a function call per column costs more than
// the arithmetic).
func idctIslow(b *block, dst []byte, stride int) {
	var ws [blockSize]int64 // the workspace between the passes

	// Pass 1: columns from b into ws, scaled up by 2^pass1Bits.
	for col := range 8 {
		c1, c2, c3, c4 := int64(b[8+col]), int64(b[16+col]), int64(b[24+col]), int64(b[32+col])
		c5, c6, c7 := int64(b[40+col]), int64(b[48+col]), int64(b[56+col])
		if c1 == 0 && c2 == 0 && c3 == 0 && c4 == 0 && c5 == 0 && c6 == 0 && c7 == 0 {
			dc := int64(b[col]) << pass1Bits
			for row := range 8 {
				ws[8*row+col] = dc
			}
			continue
		}
		// Even part.
		z1 := (c2 + c6) * fix0_541196100
		tmp2 := z1 + c6*-fix1_847759065
		tmp3 := z1 + c2*fix0_765366865
		c0 := int64(b[col])
		tmp0 := (c0 + c4) << constBits
		tmp1 := (c0 - c4) << constBits
		tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
		tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2

		// Odd part: the inputs are the coefficients 7, 5, 3 and 1.
		z1 = c7 + c1
		z2 := c5 + c3
		z3 := c7 + c3
		z4 := c5 + c1
		z5 := (z3 + z4) * fix1_175875602
		z1 *= -fix0_899976223
		z2 *= -fix2_562915447
		z3 = z3*-fix1_961570560 + z5
		z4 = z4*-fix0_390180644 + z5
		o0 := c7*fix0_298631336 + z1 + z3
		o1 := c5*fix2_053119869 + z2 + z4
		o2 := c3*fix3_072711026 + z2 + z3
		o3 := c1*fix1_501321110 + z1 + z4

		const n, round = constBits - pass1Bits, 1 << (constBits - pass1Bits - 1)
		ws[8*0+col] = (tmp10 + o3 + round) >> n
		ws[8*7+col] = (tmp10 - o3 + round) >> n
		ws[8*1+col] = (tmp11 + o2 + round) >> n
		ws[8*6+col] = (tmp11 - o2 + round) >> n
		ws[8*2+col] = (tmp12 + o1 + round) >> n
		ws[8*5+col] = (tmp12 - o1 + round) >> n
		ws[8*3+col] = (tmp13 + o0 + round) >> n
		ws[8*4+col] = (tmp13 - o0 + round) >> n
	}

	// Pass 2: rows from ws into dst, scaled down by 8 and 2^pass1Bits.
	for row := range 8 {
		w := ws[8*row : 8*row+8 : 8*row+8]
		out := dst[row*stride : row*stride+8 : row*stride+8]
		if w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0 && w[6] == 0 && w[7] == 0 {
			const n = pass1Bits + 3
			v := rangeLimit[((w[0]+1<<(n-1))>>n)&1023]
			for i := range out {
				out[i] = v
			}
			continue
		}
		z1 := (w[2] + w[6]) * fix0_541196100
		tmp2 := z1 + w[6]*-fix1_847759065
		tmp3 := z1 + w[2]*fix0_765366865
		tmp0 := (w[0] + w[4]) << constBits
		tmp1 := (w[0] - w[4]) << constBits
		tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
		tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2

		z1 = w[7] + w[1]
		z2 := w[5] + w[3]
		z3 := w[7] + w[3]
		z4 := w[5] + w[1]
		z5 := (z3 + z4) * fix1_175875602
		z1 *= -fix0_899976223
		z2 *= -fix2_562915447
		z3 = z3*-fix1_961570560 + z5
		z4 = z4*-fix0_390180644 + z5
		o0 := w[7]*fix0_298631336 + z1 + z3
		o1 := w[5]*fix2_053119869 + z2 + z4
		o2 := w[3]*fix3_072711026 + z2 + z3
		o3 := w[1]*fix1_501321110 + z1 + z4

		const n, round = constBits + pass1Bits + 3, 1 << (constBits + pass1Bits + 3 - 1)
		out[0] = rangeLimit[((tmp10+o3+round)>>n)&1023]
		out[7] = rangeLimit[((tmp10-o3+round)>>n)&1023]
		out[1] = rangeLimit[((tmp11+o2+round)>>n)&1023]
		out[6] = rangeLimit[((tmp11-o2+round)>>n)&1023]
		out[2] = rangeLimit[((tmp12+o1+round)>>n)&1023]
		out[5] = rangeLimit[((tmp12-o1+round)>>n)&1023]
		out[3] = rangeLimit[((tmp13+o0+round)>>n)&1023]
		out[4] = rangeLimit[((tmp13-o0+round)>>n)&1023]
	}
}
