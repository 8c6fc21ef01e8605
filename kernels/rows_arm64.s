//go:build !purego

// NEON row kernels: dot, axpy, add, mul, LayerNorm, RMSNorm.
// (softmax, sigmoid, SiLU and GELU, which need a vector exp, are in
// rows_exp_arm64.s.)
//
// Register plan. The streaming kernels keep the inner loop to loads, one
// arithmetic instruction per vector and stores, 16 or 32 floats a turn:
//   dot:    V0-V7 a, V8-V15 b, V16-V23 eight accumulators (32 floats a
//           turn: an FMLA has 4 cycles of latency and a Cortex-A76 issues
//           two a cycle, so eight independent chains keep both pipes busy).
//   axpy:   V31 alpha in every lane, V0-V3 x, V4-V7 dst (16 floats a turn).
//   add/mul: V0-V3 a, V4-V7 b (16 floats a turn).
//   norms:  V16-V19 (sum) or V20-V23 (sum of squares) and V24-V27 (sum of
//           deviations) four accumulators each,
//           V17 the mean and V21 the reciprocal deviation in every lane.
// Tails: whole vectors of 4 first, then a scalar loop of at most 3 values.
// Sums are reduced in a fixed order (pairwise over the accumulators, then
// FADDP), so a result depends on the length only, never on alignment.

#include "textflag.h"
#include "neon_arm64.h"

#define ZERO4(a, b, c, d) VEOR a.B16, a.B16, a.B16; VEOR b.B16, b.B16, b.B16; VEOR c.B16, c.B16, c.B16; VEOR d.B16, d.B16, d.B16

// func dotNEON(a, b []float32) float32
TEXT ·dotNEON(SB), NOSPLIT, $0-52
	MOVD a_base+0(FP), R0
	MOVD a_len+8(FP), R2
	MOVD b_base+24(FP), R1
	ZERO4(V16, V17, V18, V19)
	ZERO4(V20, V21, V22, V23)
	SUBS $32, R2
	BLT  dot32done

dot32:
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R0), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1.P 64(R1), [V8.S4, V9.S4, V10.S4, V11.S4]
	VLD1.P 64(R1), [V12.S4, V13.S4, V14.S4, V15.S4]
	VFMLA  V0.S4, V8.S4, V16.S4
	VFMLA  V1.S4, V9.S4, V17.S4
	VFMLA  V2.S4, V10.S4, V18.S4
	VFMLA  V3.S4, V11.S4, V19.S4
	VFMLA  V4.S4, V12.S4, V20.S4
	VFMLA  V5.S4, V13.S4, V21.S4
	VFMLA  V6.S4, V14.S4, V22.S4
	VFMLA  V7.S4, V15.S4, V23.S4
	SUBS   $32, R2
	BGE    dot32

dot32done:
	ADD $32, R2

dot4:
	CMP    $4, R2
	BLT    dotreduce
	VLD1.P 16(R0), [V0.S4]
	VLD1.P 16(R1), [V8.S4]
	VFMLA  V0.S4, V8.S4, V16.S4
	SUB    $4, R2
	B      dot4

dotreduce:
	FADD_4S(16, 16, 17)
	FADD_4S(18, 18, 19)
	FADD_4S(20, 20, 21)
	FADD_4S(22, 22, 23)
	FADD_4S(16, 16, 18)
	FADD_4S(20, 20, 22)
	FADD_4S(16, 16, 20)
	FADDP_4S(16, 16, 16)
	FADDP_S2(16, 16)

dot1:
	CBZ     R2, dotdone
	FMOVS.P 4(R0), F0
	FMOVS.P 4(R1), F1
	FMADDS  F0, F16, F1, F16
	SUB     $1, R2
	B       dot1

dotdone:
	FMOVS F16, ret+48(FP)
	RET

// func axpyNEON(dst []float32, alpha float32, x []float32)
TEXT ·axpyNEON(SB), NOSPLIT, $0-56
	MOVD  dst_base+0(FP), R0
	FMOVS alpha+24(FP), F31
	MOVD  x_base+32(FP), R1
	MOVD  x_len+40(FP), R2
	VDUP  V31.S[0], V31.S4
	MOVD  R0, R3
	SUBS  $16, R2
	BLT   axpy16done

axpy16:
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R0), [V4.S4, V5.S4, V6.S4, V7.S4]
	VFMLA  V31.S4, V0.S4, V4.S4
	VFMLA  V31.S4, V1.S4, V5.S4
	VFMLA  V31.S4, V2.S4, V6.S4
	VFMLA  V31.S4, V3.S4, V7.S4
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R3)
	SUBS   $16, R2
	BGE    axpy16

axpy16done:
	ADD $16, R2

axpy4:
	CMP    $4, R2
	BLT    axpy1
	VLD1.P 16(R1), [V0.S4]
	VLD1.P 16(R0), [V4.S4]
	VFMLA  V31.S4, V0.S4, V4.S4
	VST1.P [V4.S4], 16(R3)
	SUB    $4, R2
	B      axpy4

axpy1:
	CBZ     R2, axpydone
	FMOVS.P 4(R1), F0
	FMOVS.P 4(R0), F4
	FMADDS  F0, F4, F31, F4
	FMOVS.P F4, 4(R3)
	SUB     $1, R2
	B       axpy1

axpydone:
	RET

// func addNEON(dst, a, b []float32)
TEXT ·addNEON(SB), NOSPLIT, $0-72
	MOVD dst_base+0(FP), R0
	MOVD a_base+24(FP), R1
	MOVD a_len+32(FP), R3
	MOVD b_base+48(FP), R2
	SUBS $16, R3
	BLT  add16done

add16:
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R2), [V4.S4, V5.S4, V6.S4, V7.S4]
	FADD_4S(0, 0, 4)
	FADD_4S(1, 1, 5)
	FADD_4S(2, 2, 6)
	FADD_4S(3, 3, 7)
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	SUBS   $16, R3
	BGE    add16

add16done:
	ADD $16, R3

add4:
	CMP    $4, R3
	BLT    add1
	VLD1.P 16(R1), [V0.S4]
	VLD1.P 16(R2), [V4.S4]
	FADD_4S(0, 0, 4)
	VST1.P [V0.S4], 16(R0)
	SUB    $4, R3
	B      add4

add1:
	CBZ     R3, adddone
	FMOVS.P 4(R1), F0
	FMOVS.P 4(R2), F4
	FADDS   F4, F0, F0
	FMOVS.P F0, 4(R0)
	SUB     $1, R3
	B       add1

adddone:
	RET

// func mulNEON(dst, a, b []float32)
TEXT ·mulNEON(SB), NOSPLIT, $0-72
	MOVD dst_base+0(FP), R0
	MOVD a_base+24(FP), R1
	MOVD a_len+32(FP), R3
	MOVD b_base+48(FP), R2
	SUBS $16, R3
	BLT  mul16done

mul16:
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R2), [V4.S4, V5.S4, V6.S4, V7.S4]
	FMUL_4S(0, 0, 4)
	FMUL_4S(1, 1, 5)
	FMUL_4S(2, 2, 6)
	FMUL_4S(3, 3, 7)
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	SUBS   $16, R3
	BGE    mul16

mul16done:
	ADD $16, R3

mul4:
	CMP    $4, R3
	BLT    mul1
	VLD1.P 16(R1), [V0.S4]
	VLD1.P 16(R2), [V4.S4]
	FMUL_4S(0, 0, 4)
	VST1.P [V0.S4], 16(R0)
	SUB    $4, R3
	B      mul4

mul1:
	CBZ     R3, muldone
	FMOVS.P 4(R1), F0
	FMOVS.P 4(R2), F4
	FMULS   F4, F0, F0
	FMOVS.P F0, 4(R0)
	SUB     $1, R3
	B       mul1

muldone:
	RET

// REDUCE4 folds the accumulators a, b, c, d into the scalar register of a.
#define REDUCE4(a, b, c, d) FADD_4S(a, a, b); FADD_4S(c, c, d); FADD_4S(a, a, c); FADDP_4S(a, a, a); FADDP_S2(a, a)

// func layerNormNEON(dst, x, gamma, beta *float32, rows, d int, eps float32)
//
// Per row, three passes as the twin: the mean, the sum of squared
// deviations, then y = x*inv + (beta - mean*inv) with inv = rstd*gamma.
// R6 walks x, R7 counts, R8 gamma, R9 beta, R10 dst; F30 holds float(d),
// F29 eps, F28 1.
TEXT ·layerNormNEON(SB), NOSPLIT, $0-52
	MOVD   dst+0(FP), R0
	MOVD   x+8(FP), R1
	MOVD   gamma+16(FP), R2
	MOVD   beta+24(FP), R3
	MOVD   rows+32(FP), R4
	MOVD   d+40(FP), R5
	FMOVS  eps+48(FP), F29
	SCVTFS R5, F30
	FMOVS  $1.0, F28

lnrow:
	CBZ R4, lndone

	// Pass 1: sum into V16-V19.
	MOVD R1, R6
	MOVD R5, R7
	ZERO4(V16, V17, V18, V19)
	SUBS $16, R7
	BLT  lnsum16done

lnsum16:
	VLD1.P 64(R6), [V0.S4, V1.S4, V2.S4, V3.S4]
	FADD_4S(16, 16, 0)
	FADD_4S(17, 17, 1)
	FADD_4S(18, 18, 2)
	FADD_4S(19, 19, 3)
	SUBS   $16, R7
	BGE    lnsum16

lnsum16done:
	ADD $16, R7

lnsum4:
	CMP    $4, R7
	BLT    lnsumreduce
	VLD1.P 16(R6), [V0.S4]
	FADD_4S(16, 16, 0)
	SUB    $4, R7
	B      lnsum4

lnsumreduce:
	REDUCE4(16, 17, 18, 19)

lnsum1:
	CBZ     R7, lnmean
	FMOVS.P 4(R6), F0
	FADDS   F0, F16, F16
	SUB     $1, R7
	B       lnsum1

lnmean:
	FDIVS F30, F16, F17
	VDUP  V17.S[0], V17.S4

	// Pass 2: sums of (x - mean)^2 into V20-V23 and of x - mean into
	// V24-V27.
	MOVD R1, R6
	MOVD R5, R7
	ZERO4(V20, V21, V22, V23)
	ZERO4(V24, V25, V26, V27)
	SUBS $16, R7
	BLT  lnvar16done

lnvar16:
	VLD1.P 64(R6), [V0.S4, V1.S4, V2.S4, V3.S4]
	FSUB_4S(0, 0, 17)
	FSUB_4S(1, 1, 17)
	FSUB_4S(2, 2, 17)
	FSUB_4S(3, 3, 17)
	FADD_4S(24, 24, 0)
	FADD_4S(25, 25, 1)
	FADD_4S(26, 26, 2)
	FADD_4S(27, 27, 3)
	VFMLA  V0.S4, V0.S4, V20.S4
	VFMLA  V1.S4, V1.S4, V21.S4
	VFMLA  V2.S4, V2.S4, V22.S4
	VFMLA  V3.S4, V3.S4, V23.S4
	SUBS   $16, R7
	BGE    lnvar16

lnvar16done:
	ADD $16, R7

lnvar4:
	CMP    $4, R7
	BLT    lnvarreduce
	VLD1.P 16(R6), [V0.S4]
	FSUB_4S(0, 0, 17)
	FADD_4S(24, 24, 0)
	VFMLA  V0.S4, V0.S4, V20.S4
	SUB    $4, R7
	B      lnvar4

lnvarreduce:
	REDUCE4(20, 21, 22, 23)
	REDUCE4(24, 25, 26, 27)

lnvar1:
	CBZ     R7, lnrstd
	FMOVS.P 4(R6), F0
	FSUBS   F17, F0, F0
	FADDS   F0, F24, F24
	FMADDS  F0, F20, F0, F20
	SUB     $1, R7
	B       lnvar1

	// The corrected two-pass formulas: with c = sum(x - mean), the mean
	// is mean + c/d and the sum of squares ss - c*c/d. c is small and
	// exact to a few roundings, so this removes the error of the float32
	// mean (a row of equal values gets its exact mean back).
lnrstd:
	FDIVS  F30, F24, F25
	FMSUBS F25, F20, F24, F20
	FADDS  F25, F17, F17
	VDUP   V17.S[0], V17.S4
	FDIVS F30, F20, F20
	FADDS F29, F20, F20
	FSQRTS F20, F20
	FDIVS F20, F28, F21
	VDUP  V21.S[0], V21.S4

	// Pass 3: y = x*inv + (beta - mean*inv), inv = rstd*gamma.
	MOVD R1, R6
	MOVD R5, R7
	MOVD R2, R8
	MOVD R3, R9
	MOVD R0, R10

lnout4:
	CMP    $4, R7
	BLT    lnout1
	VLD1.P 16(R8), [V0.S4]
	VLD1.P 16(R9), [V1.S4]
	VLD1.P 16(R6), [V2.S4]
	FMUL_4S(0, 0, 21)
	VFMLS  V0.S4, V17.S4, V1.S4
	VFMLA  V0.S4, V2.S4, V1.S4
	VST1.P [V1.S4], 16(R10)
	SUB    $4, R7
	B      lnout4

lnout1:
	CBZ     R7, lnnext
	FMOVS.P 4(R8), F0
	FMOVS.P 4(R9), F1
	FMOVS.P 4(R6), F2
	FMULS   F21, F0, F0
	FMSUBS  F0, F1, F17, F1
	FMADDS  F0, F1, F2, F1
	FMOVS.P F1, 4(R10)
	SUB     $1, R7
	B       lnout1

lnnext:
	MOVD R6, R1
	MOVD R10, R0
	SUB  $1, R4
	B    lnrow

lndone:
	RET

// func rmsNormNEON(dst, x, scale *float32, rows, d int, eps float32)
//
// Per row: the sum of squares into V20-V23, r = 1/sqrt(ss/d + eps) in every
// lane of V21, then y = (x*r)*scale as the twin.
TEXT ·rmsNormNEON(SB), NOSPLIT, $0-44
	MOVD   dst+0(FP), R0
	MOVD   x+8(FP), R1
	MOVD   scale+16(FP), R2
	MOVD   rows+24(FP), R4
	MOVD   d+32(FP), R5
	FMOVS  eps+40(FP), F29
	SCVTFS R5, F30
	FMOVS  $1.0, F28

rmsrow:
	CBZ  R4, rmsdone
	MOVD R1, R6
	MOVD R5, R7
	ZERO4(V20, V21, V22, V23)
	SUBS $16, R7
	BLT  rmsss16done

rmsss16:
	VLD1.P 64(R6), [V0.S4, V1.S4, V2.S4, V3.S4]
	VFMLA  V0.S4, V0.S4, V20.S4
	VFMLA  V1.S4, V1.S4, V21.S4
	VFMLA  V2.S4, V2.S4, V22.S4
	VFMLA  V3.S4, V3.S4, V23.S4
	SUBS   $16, R7
	BGE    rmsss16

rmsss16done:
	ADD $16, R7

rmsss4:
	CMP    $4, R7
	BLT    rmsssreduce
	VLD1.P 16(R6), [V0.S4]
	VFMLA  V0.S4, V0.S4, V20.S4
	SUB    $4, R7
	B      rmsss4

rmsssreduce:
	REDUCE4(20, 21, 22, 23)

rmsss1:
	CBZ     R7, rmsr
	FMOVS.P 4(R6), F0
	FMADDS  F0, F20, F0, F20
	SUB     $1, R7
	B       rmsss1

rmsr:
	FDIVS  F30, F20, F20
	FADDS  F29, F20, F20
	FSQRTS F20, F20
	FDIVS  F20, F28, F21
	VDUP   V21.S[0], V21.S4
	MOVD   R1, R6
	MOVD   R5, R7
	MOVD   R2, R8

rmsout4:
	CMP    $4, R7
	BLT    rmsout1
	VLD1.P 16(R6), [V0.S4]
	VLD1.P 16(R8), [V1.S4]
	FMUL_4S(0, 0, 21)
	FMUL_4S(0, 0, 1)
	VST1.P [V0.S4], 16(R0)
	SUB    $4, R7
	B      rmsout4

rmsout1:
	CBZ     R7, rmsnext
	FMOVS.P 4(R6), F0
	FMOVS.P 4(R8), F1
	FMULS   F21, F0, F0
	FMULS   F1, F0, F0
	FMOVS.P F0, 4(R0)
	SUB     $1, R7
	B       rmsout1

rmsnext:
	MOVD R6, R1
	SUB  $1, R4
	B    rmsrow

rmsdone:
	RET

// func scaleNEON(x []float32, s float32)
//
// x *= s: V31 s in every lane, V0-V3 16 values a turn.
TEXT ·scaleNEON(SB), NOSPLIT, $0-28
	MOVD  x_base+0(FP), R0
	MOVD  x_len+8(FP), R2
	FMOVS s+24(FP), F31
	VDUP  V31.S[0], V31.S4
	MOVD  R0, R1
	SUBS  $16, R2
	BLT   scale16done

scale16:
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	FMUL_4S(0, 0, 31)
	FMUL_4S(1, 1, 31)
	FMUL_4S(2, 2, 31)
	FMUL_4S(3, 3, 31)
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R1)
	SUBS   $16, R2
	BGE    scale16

scale16done:
	ADD $16, R2

scale4:
	CMP    $4, R2
	BLT    scale1
	VLD1.P 16(R0), [V0.S4]
	FMUL_4S(0, 0, 31)
	VST1.P [V0.S4], 16(R1)
	SUB    $4, R2
	B      scale4

scale1:
	CBZ     R2, scaledone
	FMOVS.P 4(R0), F0
	FMULS   F31, F0, F0
	FMOVS.P F0, 4(R1)
	SUB     $1, R2
	B       scale1

scaledone:
	RET
