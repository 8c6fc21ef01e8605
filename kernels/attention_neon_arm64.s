//go:build !purego

// NEON kernels of the attention row path (attention_kernels.go).
//
// dotRowsNEON: one dot product per key, as rows_arm64.s's dot but with four
// accumulators (V16-V19, 16 values a turn: a head is 64-128 values, so
// eight would not fill), q in V0-V3, the key in V4-V7; the sum is scaled
// and stored, one key after another.
//
// axpyRowsNEON: o = o*c + sum_j p[j] v[j] (o = sum_j p[j] v[j] when c is
// nil; p[j] at p + j*ps): axpyRows, and one query row of pvT. The output
// row stays in registers while every key passes:
// for each chunk of 64 columns, V16-V31 accumulate p[j] * v[j] (p[j]
// broadcast into V0 by LD1R, v[j] streamed through V4-V11), so a key costs
// 16 loads and 16 FMLA and no load or store of the output (an axpy per key
// would add 16 loads and 16 stores). Chunks of 16 and 4 columns and single
// columns finish the row. Every output value is summed over j in order from
// zero, as the twin does.

#include "textflag.h"
#include "neon_arm64.h"

#define ZERO4(a, b, c, d) VEOR a.B16, a.B16, a.B16; VEOR b.B16, b.B16, b.B16; VEOR c.B16, c.B16, c.B16; VEOR d.B16, d.B16, d.B16

// func dotRowsNEON(args *neonDotRowsArgs)
TEXT ·dotRowsNEON(SB), NOSPLIT, $0-8
	MOVD  args+0(FP), R0
	MOVD  0(R0), R1   // s
	MOVD  8(R0), R2   // q
	MOVD  16(R0), R3  // k
	MOVD  24(R0), R4  // nk
	MOVD  32(R0), R5  // dh
	MOVD  40(R0), R6  // ks
	FMOVS 48(R0), F31 // scale
	LSL   $2, R6

key:
	MOVD R2, R7
	MOVD R3, R8
	MOVD R5, R9
	ZERO4(V16, V17, V18, V19)
	SUBS $16, R9
	BLT  dot16done

dot16:
	VLD1.P 64(R7), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R8), [V4.S4, V5.S4, V6.S4, V7.S4]
	VFMLA  V0.S4, V4.S4, V16.S4
	VFMLA  V1.S4, V5.S4, V17.S4
	VFMLA  V2.S4, V6.S4, V18.S4
	VFMLA  V3.S4, V7.S4, V19.S4
	SUBS   $16, R9
	BGE    dot16

dot16done:
	ADD $16, R9

dot4:
	CMP    $4, R9
	BLT    dotreduce
	VLD1.P 16(R7), [V0.S4]
	VLD1.P 16(R8), [V4.S4]
	VFMLA  V0.S4, V4.S4, V16.S4
	SUB    $4, R9
	B      dot4

dotreduce:
	FADD_4S(16, 16, 17)
	FADD_4S(18, 18, 19)
	FADD_4S(16, 16, 18)
	FADDP_4S(16, 16, 16)
	FADDP_S2(16, 16)

dot1:
	CBZ     R9, dotstore
	FMOVS.P 4(R7), F0
	FMOVS.P 4(R8), F4
	FMADDS  F0, F16, F4, F16
	SUB     $1, R9
	B       dot1

dotstore:
	FMULS   F31, F16, F16
	FMOVS.P F16, 4(R1)
	ADD     R6, R3
	SUBS    $1, R4
	BNE     key
	RET

// INIT4 starts four accumulators (by name, then by number) at zero, or at
// o*c with o at R14 (which it advances) when R8 (c) is not 0.
#define INIT4(a, b, c, d, an, bn, cn, dn) \
	CBZ  R8, 3(PC); \
	VLD1 (R14), [a.S4, b.S4, c.S4, d.S4]; \
	B    5(PC); \
	ZERO4(a, b, c, d); \
	CBZ  R8, 5(PC); \
	FMUL_4S(an, an, 1); \
	FMUL_4S(bn, bn, 1); \
	FMUL_4S(cn, cn, 1); \
	FMUL_4S(dn, dn, 1); \
	ADD  $64, R14

// func axpyRowsNEON(args *neonAxpyRowsArgs)
//
// R1 o cursor, R2 p, R3 v at the current column chunk, R4 nk, R5 columns
// left, R6 vs in bytes, R7 ps in bytes, R8 c (0: start from zero), V1 c in
// every lane; R10 p cursor, R11 v row cursor, R12 key counter, R13 load
// cursor.
TEXT ·axpyRowsNEON(SB), NOSPLIT, $0-8
	MOVD args+0(FP), R0
	MOVD 0(R0), R1  // o
	MOVD 8(R0), R2  // p
	MOVD 16(R0), R3 // v
	MOVD 24(R0), R4 // nk
	MOVD 32(R0), R5 // dh
	MOVD 40(R0), R6 // vs
	MOVD 48(R0), R7 // ps
	MOVD 56(R0), R8 // c
	LSL  $2, R6
	LSL  $2, R7
	CBZ  R8, c64
	VLD1R (R8), [V1.S4]

c64:
	CMP  $64, R5
	BLT  c16
	MOVD R1, R14
	INIT4(V16, V17, V18, V19, 16, 17, 18, 19)
	INIT4(V20, V21, V22, V23, 20, 21, 22, 23)
	INIT4(V24, V25, V26, V27, 24, 25, 26, 27)
	INIT4(V28, V29, V30, V31, 28, 29, 30, 31)
	MOVD R2, R10
	MOVD R3, R11
	MOVD R4, R12

c64key:
	VLD1R   (R10), [V0.S4]
	ADD     R7, R10
	MOVD    R11, R13
	VLD1.P  64(R13), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1.P  64(R13), [V8.S4, V9.S4, V10.S4, V11.S4]
	VFMLA   V0.S4, V4.S4, V16.S4
	VFMLA   V0.S4, V5.S4, V17.S4
	VFMLA   V0.S4, V6.S4, V18.S4
	VFMLA   V0.S4, V7.S4, V19.S4
	VLD1.P  64(R13), [V4.S4, V5.S4, V6.S4, V7.S4]
	VFMLA   V0.S4, V8.S4, V20.S4
	VFMLA   V0.S4, V9.S4, V21.S4
	VFMLA   V0.S4, V10.S4, V22.S4
	VFMLA   V0.S4, V11.S4, V23.S4
	VLD1    (R13), [V8.S4, V9.S4, V10.S4, V11.S4]
	VFMLA   V0.S4, V4.S4, V24.S4
	VFMLA   V0.S4, V5.S4, V25.S4
	VFMLA   V0.S4, V6.S4, V26.S4
	VFMLA   V0.S4, V7.S4, V27.S4
	VFMLA   V0.S4, V8.S4, V28.S4
	VFMLA   V0.S4, V9.S4, V29.S4
	VFMLA   V0.S4, V10.S4, V30.S4
	VFMLA   V0.S4, V11.S4, V31.S4
	ADD     R6, R11
	SUBS    $1, R12
	BNE     c64key
	VST1.P  [V16.S4, V17.S4, V18.S4, V19.S4], 64(R1)
	VST1.P  [V20.S4, V21.S4, V22.S4, V23.S4], 64(R1)
	VST1.P  [V24.S4, V25.S4, V26.S4, V27.S4], 64(R1)
	VST1.P  [V28.S4, V29.S4, V30.S4, V31.S4], 64(R1)
	ADD     $256, R3
	SUB     $64, R5
	B       c64

c16:
	CMP  $16, R5
	BLT  c4
	MOVD R1, R14
	INIT4(V16, V17, V18, V19, 16, 17, 18, 19)
	MOVD R2, R10
	MOVD R3, R11
	MOVD R4, R12

c16key:
	VLD1R   (R10), [V0.S4]
	ADD     R7, R10
	VLD1    (R11), [V4.S4, V5.S4, V6.S4, V7.S4]
	VFMLA   V0.S4, V4.S4, V16.S4
	VFMLA   V0.S4, V5.S4, V17.S4
	VFMLA   V0.S4, V6.S4, V18.S4
	VFMLA   V0.S4, V7.S4, V19.S4
	ADD     R6, R11
	SUBS    $1, R12
	BNE     c16key
	VST1.P  [V16.S4, V17.S4, V18.S4, V19.S4], 64(R1)
	ADD     $64, R3
	SUB     $16, R5
	B       c16

c4:
	CMP  $4, R5
	BLT  c1
	VEOR V16.B16, V16.B16, V16.B16
	CBZ  R8, 3(PC)
	VLD1 (R1), [V16.S4]
	FMUL_4S(16, 16, 1)
	MOVD R2, R10
	MOVD R3, R11
	MOVD R4, R12

c4key:
	VLD1R   (R10), [V0.S4]
	ADD     R7, R10
	VLD1    (R11), [V4.S4]
	VFMLA   V0.S4, V4.S4, V16.S4
	ADD     R6, R11
	SUBS    $1, R12
	BNE     c4key
	VST1.P  [V16.S4], 16(R1)
	ADD     $16, R3
	SUB     $4, R5
	B       c4

c1:
	CBZ  R5, done
	VEOR V16.B16, V16.B16, V16.B16
	CBZ  R8, 3(PC)
	FMOVS (R1), F16
	FMULS F1, F16, F16
	MOVD R2, R10
	MOVD R3, R11
	MOVD R4, R12

c1key:
	FMOVS   (R10), F0
	ADD     R7, R10
	FMOVS   (R11), F4
	FMADDS  F0, F16, F4, F16
	ADD     R6, R11
	SUBS    $1, R12
	BNE     c1key
	FMOVS.P F16, 4(R1)
	ADD     $4, R3
	SUB     $1, R5
	B       c1

done:
	RET
