//go:build !purego

// The row quantizer of the int8 product (qmatmul.go) on NEON: the largest
// magnitude of a row, and the row times 127/amax rounded to int8, into a
// row or into a row of a pair layout (SMMLA). The Go twins are absMaxBits,
// quantizeRow and quantizeRowPairs; the routines give their results
// bit for bit (an integer maximum of the bit patterns; FCVTNS rounds half
// to even). They take n, a multiple of 16 and at least 16, values; the
// caller takes the rest. Encodings checked against llvm-mc.

#include "textflag.h"
#include "neon_arm64.h"

// fcvtns vD.4s, vN.4s (float32 to int32, to nearest, ties to even)
#define FCVTNS_4S(d, n) WORD $(0x4E21A800 | ((n)<<5) | (d))
// sqxtn vD.4h, vN.4s / sqxtn2 vD.8h, vN.4s (int32 to int16, saturating)
#define SQXTN_4H(d, n) WORD $(0x0E614800 | ((n)<<5) | (d))
#define SQXTN2_8H(d, n) WORD $(0x4E614800 | ((n)<<5) | (d))
// sqxtn vD.8b, vN.8h / sqxtn2 vD.16b, vN.8h (int16 to int8, saturating)
#define SQXTN_8B(d, n) WORD $(0x0E214800 | ((n)<<5) | (d))
#define SQXTN2_16B(d, n) WORD $(0x4E214800 | ((n)<<5) | (d))
// umax vD.4s, vN.4s, vM.4s / umaxv sD, vN.4s
#define UMAX_4S(d, n, m) WORD $(0x6EA06400 | ((m)<<16) | ((n)<<5) | (d))
#define UMAXV_4S(d, n) WORD $(0x6EB0A800 | ((n)<<5) | (d))

// func qabsMaxNEON(x *float32, n int) uint32
//
// V31 holds the mask 0x7fffffff, V4-V7 the running maxima of 16 values a
// step, V0-V3 the values.
TEXT ·qabsMaxNEON(SB), NOSPLIT, $0-20
	MOVD x+0(FP), R0
	MOVD n+8(FP), R1
	MOVW $0x7fffffff, R2
	VDUP R2, V31.S4
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16
	LSR  $4, R1

amaxloop:
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VAND   V31.B16, V0.B16, V0.B16
	VAND   V31.B16, V1.B16, V1.B16
	VAND   V31.B16, V2.B16, V2.B16
	VAND   V31.B16, V3.B16, V3.B16
	UMAX_4S(4, 4, 0)
	UMAX_4S(5, 5, 1)
	UMAX_4S(6, 6, 2)
	UMAX_4S(7, 7, 3)
	SUBS   $1, R1
	BNE    amaxloop
	UMAX_4S(4, 4, 5)
	UMAX_4S(6, 6, 7)
	UMAX_4S(4, 4, 6)
	UMAXV_4S(4, 4)
	VMOV   V4.S[0], R2
	MOVW   R2, ret+16(FP)
	RET

// QUANTIZE16 quantizes the 16 floats at R1 (advancing it) into the 16
// bytes of V10: FMUL by V30 (inv), FCVTNS, SQXTN twice (no saturation
// happens: |x * inv| <= 127 (1 + 2^-23)) through V8 and V9, EOR with V31
// (flip).
#define QUANTIZE16 \
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4] \
	FMUL_4S(0, 0, 30) \
	FMUL_4S(1, 1, 30) \
	FMUL_4S(2, 2, 30) \
	FMUL_4S(3, 3, 30) \
	FCVTNS_4S(0, 0) \
	FCVTNS_4S(1, 1) \
	FCVTNS_4S(2, 2) \
	FCVTNS_4S(3, 3) \
	SQXTN_4H(8, 0) \
	SQXTN2_8H(8, 1) \
	SQXTN_4H(9, 2) \
	SQXTN2_8H(9, 3) \
	SQXTN_8B(10, 8) \
	SQXTN2_16B(10, 9) \
	VEOR V31.B16, V10.B16, V10.B16

// func qquantizeNEON(dst *int8, x *float32, n int, inv float32, flip uint32)
//
// dst[i] = int8(round(x[i] * inv)) XOR flip, 16 values a step. R0 dst, R1
// x, R2 steps, V30 inv and V31 flip in every lane.
TEXT ·qquantizeNEON(SB), NOSPLIT, $0-32
	MOVD  dst+0(FP), R0
	MOVD  x+8(FP), R1
	MOVD  n+16(FP), R2
	FMOVS inv+24(FP), F30
	VDUP  V30.S[0], V30.S4
	MOVWU flip+28(FP), R3
	VDUP  R3, V31.S4
	LSR   $4, R2

qloop:
	QUANTIZE16
	VST1.P [V10.B16], 16(R0)
	SUBS   $1, R2
	BNE    qloop
	RET

// func qquantizePairsNEON(dst *int8, x *float32, n int, inv float32, flip uint32)
//
// qquantizeNEON into a row of A in row pairs (qmatmul_pairs.go): value i
// goes to dst[16*(i/8) + i%8], so each 16 values are stored as 8 bytes at
// dst and 8 at dst+16, and the other row's 8 bytes after each are not
// touched.
TEXT ·qquantizePairsNEON(SB), NOSPLIT, $0-32
	MOVD  dst+0(FP), R0
	MOVD  x+8(FP), R1
	MOVD  n+16(FP), R2
	FMOVS inv+24(FP), F30
	VDUP  V30.S[0], V30.S4
	MOVWU flip+28(FP), R3
	VDUP  R3, V31.S4
	LSR   $4, R2

qploop:
	QUANTIZE16
	VMOV V10.D[0], R4
	VMOV V10.D[1], R5
	MOVD R4, (R0)
	MOVD R5, 16(R0)
	ADD  $32, R0
	SUBS $1, R2
	BNE  qploop
	RET
