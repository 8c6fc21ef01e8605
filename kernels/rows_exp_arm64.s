//go:build !purego

// NEON row kernels built on a vector exp: softmax, sigmoid, SiLU, the gated
// sigmoid of quick_gelu and gelu_pytorch_tanh, the exact-erf GELU and the
// online-softmax step of blocked attention (softmaxCols).
//
// exp(x), four lanes (EXP_V0, x and result in V0, temporaries V1-V4):
//   x is clamped to [-105, 89], n = round(x log2 e), r = x - n ln2 with
//   ln2 split in two (Cody-Waite), p = exp(r) = 1 + r + r^2 P(r) with a
//   degree-5 P (Cephes expf's coefficients, about 1 ulp on |r| <= ln2/2).
//   2^n is applied in two steps, n1 = n>>1 added to p's exponent field with
//   an integer add and a multiply by the float 2^(n-n1), so that results
//   below 2^-126 come out as correctly rounded subnormals, x < -103.9 (and
//   -Inf) as 0, and x > 88.72 as +Inf; NaN stays NaN.
//
// GELU (GELU_V5, x in V5, result in V2, temporaries V0-V7): the form of
//   the amd64 kernels (rows_avx512_amd64.s): gelu(x) = relu(x) -
//   m exp((Q(m) - a^2)/2), a = min(|x|, 14.5), m = a/(1.25 a + c) (FDIV),
//   Q of degree 8 in m; the doubled exponent is reduced as
//   r = (fl(-a*a - 2n ln2hi) + Q) - 2n ln2lo, n = round((Q - a*a) log2(e)/2)
//   by adding 1.5*2^23 + 127, both a*a inside an FMLS, so the negative
//   tail keeps its relative accuracy; exp(r/2) is a degree-6 Horner
//   polynomial and 2^n the bits of n + 1.5*2^23 + 127 shifted left by 23,
//   n clamped to -127 (0) first: results under 1e-38 flush to 0. NaN stays
//   NaN (FMIN and FMAX propagate it), +Inf gives +Inf and -Inf 0.
//
// Constants live in registers for the whole call, loaded from
// neonMathConsts (rows_arm64.go) by broadcast loads:
//   V20 -105  V21 89  V22 log2 e  V23 ln2 high  V24 ln2 low
//   V25-V30 P's coefficients, highest degree first  V31 1.0
// (the gated sigmoid adds V18 -a and V19 -c, broadcast from its arguments),
// except in GELU, which loads neonGELUConsts (rows_arm64.go) instead:
//   V8 14.5  V9 1.25  V10 c  V11-V19 Q's coefficients, highest degree
//   first  V20 log2(e)/2  V21 1.5*2^23 + 127  V22 -2 ln2 high
//   V23 -2 ln2 low  V24 1.5*2^23 (the floor of n + 1.5*2^23 + 127)
//   V25-V29 exp(r/2)'s coefficients c6/64 ... c2/4  V30 0.5  V31 1.0.
// Every kernel loops over whole vectors, then over the last 1-3 values one at
// a time: a scalar load fills lane 0 (clearing the others), the same vector
// code runs, and lane 0 is stored.

#include "textflag.h"
#include "neon_arm64.h"

#define ZERO4(a, b, c, d) VEOR a.B16, a.B16, a.B16; VEOR b.B16, b.B16, b.B16; VEOR c.B16, c.B16, c.B16; VEOR d.B16, d.B16, d.B16

#define LOADEXPCONSTS \
	MOVD    $·neonMathConsts(SB), R9; \
	VLD1R.P 4(R9), [V20.S4]; \
	VLD1R.P 4(R9), [V21.S4]; \
	VLD1R.P 4(R9), [V22.S4]; \
	VLD1R.P 4(R9), [V23.S4]; \
	VLD1R.P 4(R9), [V24.S4]; \
	VLD1R.P 4(R9), [V25.S4]; \
	VLD1R.P 4(R9), [V26.S4]; \
	VLD1R.P 4(R9), [V27.S4]; \
	VLD1R.P 4(R9), [V28.S4]; \
	VLD1R.P 4(R9), [V29.S4]; \
	VLD1R.P 4(R9), [V30.S4]; \
	VLD1R.P 4(R9), [V31.S4]

#define LOADGELUCONSTS \
	MOVD    $·neonGELUConsts(SB), R9; \
	VLD1R.P 4(R9), [V8.S4]; \
	VLD1R.P 4(R9), [V9.S4]; \
	VLD1R.P 4(R9), [V10.S4]; \
	VLD1R.P 4(R9), [V11.S4]; \
	VLD1R.P 4(R9), [V12.S4]; \
	VLD1R.P 4(R9), [V13.S4]; \
	VLD1R.P 4(R9), [V14.S4]; \
	VLD1R.P 4(R9), [V15.S4]; \
	VLD1R.P 4(R9), [V16.S4]; \
	VLD1R.P 4(R9), [V17.S4]; \
	VLD1R.P 4(R9), [V18.S4]; \
	VLD1R.P 4(R9), [V19.S4]; \
	LOADEXPCONSTS_AT_R9

// LOADEXPCONSTS_AT_R9 fills V20-V31 from R9 on.
#define LOADEXPCONSTS_AT_R9 \
	VLD1R.P 4(R9), [V20.S4]; \
	VLD1R.P 4(R9), [V21.S4]; \
	VLD1R.P 4(R9), [V22.S4]; \
	VLD1R.P 4(R9), [V23.S4]; \
	VLD1R.P 4(R9), [V24.S4]; \
	VLD1R.P 4(R9), [V25.S4]; \
	VLD1R.P 4(R9), [V26.S4]; \
	VLD1R.P 4(R9), [V27.S4]; \
	VLD1R.P 4(R9), [V28.S4]; \
	VLD1R.P 4(R9), [V29.S4]; \
	VLD1R.P 4(R9), [V30.S4]; \
	VLD1R.P 4(R9), [V31.S4]

// EXP_V0 sets V0 = exp(V0), lane by lane; it uses V1-V4.
#define EXP_V0 \
	FMIN_4S(0, 0, 21); \
	FMAX_4S(0, 0, 20); \
	FMUL_4S(1, 0, 22); \
	FRINTN_4S(1, 1); \
	VFMLS V1.S4, V23.S4, V0.S4; \
	VFMLS V1.S4, V24.S4, V0.S4; \
	VORR  V26.B16, V26.B16, V2.B16; \
	VFMLA V25.S4, V0.S4, V2.S4; \
	VORR  V27.B16, V27.B16, V4.B16; \
	VFMLA V2.S4, V0.S4, V4.S4; \
	VORR  V28.B16, V28.B16, V2.B16; \
	VFMLA V4.S4, V0.S4, V2.S4; \
	VORR  V29.B16, V29.B16, V4.B16; \
	VFMLA V2.S4, V0.S4, V4.S4; \
	VORR  V30.B16, V30.B16, V2.B16; \
	VFMLA V4.S4, V0.S4, V2.S4; \
	FMUL_4S(4, 0, 0); \
	VFMLA V2.S4, V4.S4, V0.S4; \
	FADD_4S(0, 0, 31); \
	FCVTZS_4S(1, 1); \
	SSHR_4S(3, 1, 1); \
	VSUB  V3.S4, V1.S4, V1.S4; \
	VSHL  $23, V3.S4, V3.S4; \
	VADD  V3.S4, V0.S4, V0.S4; \
	VSHL  $23, V1.S4, V1.S4; \
	VADD  V31.S4, V1.S4, V1.S4; \
	FMUL_4S(0, 0, 1)

// GELU_V5 sets V2 = gelu(V5); it uses V0-V7 (see the top of the file).
#define GELU_V5 \
	FABS_4S(6, 5); \
	FMIN_4S(6, 6, 8); \
	VORR  V10.B16, V10.B16, V7.B16; \
	VFMLA V6.S4, V9.S4, V7.S4; \
	FDIV_4S(4, 6, 7); \
	VORR  V12.B16, V12.B16, V0.B16; \
	VFMLA V11.S4, V4.S4, V0.S4; \
	VORR  V13.B16, V13.B16, V1.B16; \
	VFMLA V0.S4, V4.S4, V1.S4; \
	VORR  V14.B16, V14.B16, V0.B16; \
	VFMLA V1.S4, V4.S4, V0.S4; \
	VORR  V15.B16, V15.B16, V1.B16; \
	VFMLA V0.S4, V4.S4, V1.S4; \
	VORR  V16.B16, V16.B16, V0.B16; \
	VFMLA V1.S4, V4.S4, V0.S4; \
	VORR  V17.B16, V17.B16, V1.B16; \
	VFMLA V0.S4, V4.S4, V1.S4; \
	VORR  V18.B16, V18.B16, V0.B16; \
	VFMLA V1.S4, V4.S4, V0.S4; \
	VORR  V19.B16, V19.B16, V1.B16; \
	VFMLA V0.S4, V4.S4, V1.S4; \
	VORR  V1.B16, V1.B16, V2.B16; \
	VFMLS V6.S4, V6.S4, V2.S4; \
	VORR  V21.B16, V21.B16, V3.B16; \
	VFMLA V2.S4, V20.S4, V3.S4; \
	FSUB_4S(7, 3, 21); \
	FMAX_4S(3, 3, 24); \
	FMUL_4S(2, 7, 22); \
	VFMLS V6.S4, V6.S4, V2.S4; \
	FADD_4S(2, 2, 1); \
	VFMLA V7.S4, V23.S4, V2.S4; \
	VORR  V26.B16, V26.B16, V0.B16; \
	VFMLA V25.S4, V2.S4, V0.S4; \
	VORR  V27.B16, V27.B16, V1.B16; \
	VFMLA V0.S4, V2.S4, V1.S4; \
	VORR  V28.B16, V28.B16, V0.B16; \
	VFMLA V1.S4, V2.S4, V0.S4; \
	VORR  V29.B16, V29.B16, V1.B16; \
	VFMLA V0.S4, V2.S4, V1.S4; \
	VORR  V30.B16, V30.B16, V0.B16; \
	VFMLA V1.S4, V2.S4, V0.S4; \
	VORR  V31.B16, V31.B16, V1.B16; \
	VFMLA V0.S4, V2.S4, V1.S4; \
	VSHL  $23, V3.S4, V3.S4; \
	FMUL_4S(1, 1, 3); \
	VEOR  V2.B16, V2.B16, V2.B16; \
	FMAX_4S(2, 5, 2); \
	VFMLS V1.S4, V4.S4, V2.S4

// SIGMOID_V5 sets V0 = 1/(1 + exp(-V5)); it uses V1-V4.
#define SIGMOID_V5 \
	FNEG_4S(0, 5); \
	EXP_V0; \
	FADD_4S(0, 0, 31); \
	FDIV_4S(0, 31, 0)

// SILU_V5 sets V0 = V5/(1 + exp(-V5)); it uses V1-V4.
#define SILU_V5 \
	FNEG_4S(0, 5); \
	EXP_V0; \
	FADD_4S(0, 0, 31); \
	FDIV_4S(0, 5, 0)

// GATED_V5 sets V0 = V5/(1 + exp(-z)), z = V5 (a + c V5^2) = a x + c x^3:
// SILU_V5 with z for x, the gated sigmoid of quick_gelu (c = 0) and
// gelu_pytorch_tanh. With V18 = -a and V19 = -c, V0 = x fma(-c x, x, -a)
// is -z in three roundings (with c = 0 the FMLA gives -a exactly, and z
// has one rounding). A finite x gives x or -0 where z passes the exp's
// clamps, never NaN; NaN stays NaN. It uses V1-V4.
#define GATED_V5 \
	FMUL_4S(1, 5, 19); \
	VORR  V18.B16, V18.B16, V0.B16; \
	VFMLA V1.S4, V5.S4, V0.S4; \
	FMUL_4S(0, 0, 5); \
	EXP_V0; \
	FADD_4S(0, 0, 31); \
	FDIV_4S(0, 5, 0)

// The elementwise kernels loop over whole vectors of x (in V5), then
// over the last 1-3 values in lane 0.

// func sigmoidNEON(dst, x []float32)
TEXT ·sigmoidNEON(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), R0
	MOVD x_base+24(FP), R1
	MOVD x_len+32(FP), R2
	LOADEXPCONSTS

sigmoidNEON4:
	CMP    $4, R2
	BLT    sigmoidNEON1
	VLD1.P 16(R1), [V5.S4]
	SIGMOID_V5
	VST1.P [V0.S4], 16(R0)
	SUB    $4, R2
	B      sigmoidNEON4

sigmoidNEON1:
	CBZ     R2, sigmoidNEONdone
	FMOVS.P 4(R1), F5
	SIGMOID_V5
	FMOVS.P F0, 4(R0)
	SUB     $1, R2
	B       sigmoidNEON1

sigmoidNEONdone:
	RET

// func siluNEON(dst, x []float32)
TEXT ·siluNEON(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), R0
	MOVD x_base+24(FP), R1
	MOVD x_len+32(FP), R2
	LOADEXPCONSTS

siluNEON4:
	CMP    $4, R2
	BLT    siluNEON1
	VLD1.P 16(R1), [V5.S4]
	SILU_V5
	VST1.P [V0.S4], 16(R0)
	SUB    $4, R2
	B      siluNEON4

siluNEON1:
	CBZ     R2, siluNEONdone
	FMOVS.P 4(R1), F5
	SILU_V5
	FMOVS.P F0, 4(R0)
	SUB     $1, R2
	B       siluNEON1

siluNEONdone:
	RET

// func gatedSigmoidNEON(dst, x []float32, a, c float32)
//
// Register plan: LOADEXPCONSTS's V20-V31, V18 -a and V19 -c in every
// lane; x in V5, -z, exp(-z) and the result in V0, the exp's temporaries
// V1-V4. One vector a turn, as SiLU, then the last 1-3 values in lane 0.
TEXT ·gatedSigmoidNEON(SB), NOSPLIT, $0-56
	MOVD  dst_base+0(FP), R0
	MOVD  x_base+24(FP), R1
	MOVD  x_len+32(FP), R2
	LOADEXPCONSTS
	FMOVS a+48(FP), F18
	FMOVS c+52(FP), F19
	FNEGS F18, F18
	FNEGS F19, F19
	VDUP  V18.S[0], V18.S4
	VDUP  V19.S[0], V19.S4

gatedNEON4:
	CMP    $4, R2
	BLT    gatedNEON1
	VLD1.P 16(R1), [V5.S4]
	GATED_V5
	VST1.P [V0.S4], 16(R0)
	SUB    $4, R2
	B      gatedNEON4

gatedNEON1:
	CBZ     R2, gatedNEONdone
	FMOVS.P 4(R1), F5
	GATED_V5
	FMOVS.P F0, 4(R0)
	SUB     $1, R2
	B       gatedNEON1

gatedNEONdone:
	RET

// func geluNEON(dst, x []float32)
TEXT ·geluNEON(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), R0
	MOVD x_base+24(FP), R1
	MOVD x_len+32(FP), R2
	LOADGELUCONSTS

geluNEON4:
	CMP    $4, R2
	BLT    geluNEON1
	VLD1.P 16(R1), [V5.S4]
	GELU_V5
	VST1.P [V2.S4], 16(R0)
	SUB    $4, R2
	B      geluNEON4

geluNEON1:
	CBZ     R2, geluNEONdone
	FMOVS.P 4(R1), F5
	GELU_V5
	FMOVS.P F2, 4(R0)
	SUB     $1, R2
	B       geluNEON1

geluNEONdone:
	RET

// func softmaxNEON(dst, x *float32, rows, n int)
//
// Per row: the maximum (V5 accumulates, FMAXV folds it, the scalar tail
// finishes it, V7 holds it in every lane); e = exp(x - max) stored to dst
// and summed (V6, then F6 for the tail); dst *= 1/sum (V6 in every lane).
TEXT ·softmaxNEON(SB), NOSPLIT, $0-32
	MOVD dst+0(FP), R0
	MOVD x+8(FP), R1
	MOVD rows+16(FP), R4
	MOVD n+24(FP), R5
	LOADEXPCONSTS

smrow:
	CBZ  R4, smdone
	MOVD R1, R6
	MOVD R5, R7

	// Pass 1: the maximum. The first value seeds every lane of V5.
	VLD1R (R6), [V5.S4]

smmax4:
	CMP    $4, R7
	BLT    smmaxfold
	VLD1.P 16(R6), [V0.S4]
	FMAX_4S(5, 5, 0)
	SUB    $4, R7
	B      smmax4

smmaxfold:
	FMAXV_4S(5, 5)

smmax1:
	CBZ     R7, smexp
	FMOVS.P 4(R6), F0
	FMAXS   F0, F5, F5
	SUB     $1, R7
	B       smmax1

	// Pass 2: e = exp(x - max) into dst, summed into V6.
smexp:
	VDUP V5.S[0], V7.S4
	VEOR V6.B16, V6.B16, V6.B16
	MOVD R1, R6
	MOVD R5, R7
	MOVD R0, R10

smexp4:
	CMP    $4, R7
	BLT    smexpfold
	VLD1.P 16(R6), [V0.S4]
	FSUB_4S(0, 0, 7)
	EXP_V0
	FADD_4S(6, 6, 0)
	VST1.P [V0.S4], 16(R10)
	SUB    $4, R7
	B      smexp4

smexpfold:
	FADDP_4S(6, 6, 6)
	FADDP_S2(6, 6)

smexp1:
	CBZ     R7, smscale
	FMOVS.P 4(R6), F0
	FSUB_4S(0, 0, 7)
	EXP_V0
	FADDS   F0, F6, F6
	FMOVS.P F0, 4(R10)
	SUB     $1, R7
	B       smexp1

	// Pass 3: dst *= 1/sum.
smscale:
	FDIVS F6, F31, F6
	VDUP  V6.S[0], V6.S4
	MOVD  R5, R7

smscale4:
	CMP    $4, R7
	BLT    smscale1
	VLD1   (R0), [V0.S4]
	FMUL_4S(0, 0, 6)
	VST1.P [V0.S4], 16(R0)
	SUB    $4, R7
	B      smscale4

smscale1:
	CBZ     R7, smnext
	FMOVS   (R0), F0
	FMULS   F6, F0, F0
	FMOVS.P F0, 4(R0)
	SUB     $1, R7
	B       smscale1

smnext:
	MOVD R6, R1
	SUB  $1, R4
	B    smrow

smdone:
	RET

// func softmaxColsNEON(st *float32, nk int, mlc *float32)
//
// One online-softmax step over a score tile of nk rows of 16 lanes (the
// blocked attention path, softmaxColsGeneric): V8-V11 the new maximum of
// each lane, floored at -MaxFloat32 (V5); V12-V15 the old maximum, then the
// sums; V16-V19 c = exp(m - m'). Each lane's sum runs over the rows in
// order, as the twin's.
TEXT ·softmaxColsNEON(SB), NOSPLIT, $0-24
	MOVD    st+0(FP), R0
	MOVD    nk+8(FP), R1
	MOVD    mlc+16(FP), R2
	LOADEXPCONSTS
	MOVD    $·neonMathConsts+96(SB), R9
	VLD1R   (R9), [V5.S4]
	VLD1    (R2), [V12.S4, V13.S4, V14.S4, V15.S4]
	FMAX_4S(8, 12, 5)
	FMAX_4S(9, 13, 5)
	FMAX_4S(10, 14, 5)
	FMAX_4S(11, 15, 5)
	MOVD    R0, R3
	MOVD    R1, R4

smcmax:
	CBZ    R4, smcfactor
	VLD1.P 64(R3), [V0.S4, V1.S4, V2.S4, V3.S4]
	FMAX_4S(8, 8, 0)
	FMAX_4S(9, 9, 1)
	FMAX_4S(10, 10, 2)
	FMAX_4S(11, 11, 3)
	SUB    $1, R4
	B      smcmax

smcfactor:
	FSUB_4S(0, 12, 8)
	EXP_V0
	VORR V0.B16, V0.B16, V16.B16
	FSUB_4S(0, 13, 9)
	EXP_V0
	VORR V0.B16, V0.B16, V17.B16
	FSUB_4S(0, 14, 10)
	EXP_V0
	VORR V0.B16, V0.B16, V18.B16
	FSUB_4S(0, 15, 11)
	EXP_V0
	VORR V0.B16, V0.B16, V19.B16
	ZERO4(V12, V13, V14, V15)
	MOVD R0, R3
	MOVD R0, R5
	MOVD R1, R4

smcexp:
	CBZ    R4, smcdone
	VLD1.P 16(R3), [V0.S4]
	FSUB_4S(0, 0, 8)
	EXP_V0
	FADD_4S(12, 12, 0)
	VST1.P [V0.S4], 16(R5)
	VLD1.P 16(R3), [V0.S4]
	FSUB_4S(0, 0, 9)
	EXP_V0
	FADD_4S(13, 13, 0)
	VST1.P [V0.S4], 16(R5)
	VLD1.P 16(R3), [V0.S4]
	FSUB_4S(0, 0, 10)
	EXP_V0
	FADD_4S(14, 14, 0)
	VST1.P [V0.S4], 16(R5)
	VLD1.P 16(R3), [V0.S4]
	FSUB_4S(0, 0, 11)
	EXP_V0
	FADD_4S(15, 15, 0)
	VST1.P [V0.S4], 16(R5)
	SUB    $1, R4
	B      smcexp

	// l = l*c + sum; store m', l and c.
smcdone:
	ADD   $64, R2, R6
	VLD1  (R6), [V4.S4, V5.S4, V6.S4, V7.S4]
	VFMLA V4.S4, V16.S4, V12.S4
	VFMLA V5.S4, V17.S4, V13.S4
	VFMLA V6.S4, V18.S4, V14.S4
	VFMLA V7.S4, V19.S4, V15.S4
	VST1  [V8.S4, V9.S4, V10.S4, V11.S4], (R2)
	VST1  [V12.S4, V13.S4, V14.S4, V15.S4], (R6)
	ADD   $128, R2, R6
	VST1  [V16.S4, V17.S4, V18.S4, V19.S4], (R6)
	RET
