//go:build !purego

// NEON kernels of L2Normalize, MeanTokens and MaxTokens (rows.go), ready
// for rowKernels fields that do not exist yet (pool_neon_arm64.go).
//
// l2NormalizeNEON, per row: the sum of squares in V20-V23 (16 values a
// turn, one FMLA per vector, the twin's float32 sum in another order), then
// x * min(1/sqrt(ss), 1e7) with the factor in every lane of V21.
//
// POOL (meanTokens, maxTokens): the output is built 16 columns at a time
// in V16-V19, starting from the first row and folding every further row in
// with one FADD or FMAX a vector (the twin's order for each column), then
// 4 columns in V16, then single columns.

#include "textflag.h"
#include "neon_arm64.h"

#define ZERO4(a, b, c, d) VEOR a.B16, a.B16, a.B16; VEOR b.B16, b.B16, b.B16; VEOR c.B16, c.B16, c.B16; VEOR d.B16, d.B16, d.B16

// POOL folds the rows of x into dst column by column with the vector
// instruction whose encoding base is VBASE (three registers, as in
// neon_arm64.h) and the scalar instruction SOP. R0 dst, R1 x at the
// column chunk, R2 rows, R3 columns left, R4 bytes a row, R5 row cursor,
// R6 row counter.
#define VOP(VBASE, d, n, m) WORD $((VBASE) | ((m)<<16) | ((n)<<5) | (d))
#define POOL(VBASE, SOP) \
	MOVD dst+0(FP), R0; \
	MOVD x+8(FP), R1; \
	MOVD rows+16(FP), R2; \
	MOVD d+24(FP), R3; \
	LSL  $2, R3, R4; \
c16: \
	CMP  $16, R3; \
	BLT  c4; \
	MOVD R1, R5; \
	VLD1 (R5), [V16.S4, V17.S4, V18.S4, V19.S4]; \
	ADD  R4, R5; \
	SUBS $1, R2, R6; \
	BEQ  c16store; \
c16row: \
	VLD1 (R5), [V0.S4, V1.S4, V2.S4, V3.S4]; \
	VOP(VBASE, 16, 16, 0); \
	VOP(VBASE, 17, 17, 1); \
	VOP(VBASE, 18, 18, 2); \
	VOP(VBASE, 19, 19, 3); \
	ADD  R4, R5; \
	SUBS $1, R6; \
	BNE  c16row; \
c16store: \
	VST1.P [V16.S4, V17.S4, V18.S4, V19.S4], 64(R0); \
	ADD  $64, R1; \
	SUB  $16, R3; \
	B    c16; \
c4: \
	CMP  $4, R3; \
	BLT  c1; \
	MOVD R1, R5; \
	VLD1 (R5), [V16.S4]; \
	ADD  R4, R5; \
	SUBS $1, R2, R6; \
	BEQ  c4store; \
c4row: \
	VLD1 (R5), [V0.S4]; \
	VOP(VBASE, 16, 16, 0); \
	ADD  R4, R5; \
	SUBS $1, R6; \
	BNE  c4row; \
c4store: \
	VST1.P [V16.S4], 16(R0); \
	ADD  $16, R1; \
	SUB  $4, R3; \
	B    c4; \
c1: \
	CBZ  R3, done; \
	MOVD R1, R5; \
	FMOVS (R5), F16; \
	ADD  R4, R5; \
	SUBS $1, R2, R6; \
	BEQ  c1store; \
c1row: \
	FMOVS (R5), F0; \
	SOP  F0, F16, F16; \
	ADD  R4, R5; \
	SUBS $1, R6; \
	BNE  c1row; \
c1store: \
	FMOVS.P F16, 4(R0); \
	ADD  $4, R1; \
	SUB  $1, R3; \
	B    c1; \
done: \
	RET

// func l2NormalizeNEON(dst, x *float32, rows, n int)
TEXT ·l2NormalizeNEON(SB), NOSPLIT, $0-32
	MOVD  dst+0(FP), R0
	MOVD  x+8(FP), R1
	MOVD  rows+16(FP), R4
	MOVD  n+24(FP), R5
	FMOVS $1.0, F28
	MOVD  $·neonMathConsts+100(SB), R9
	FMOVS (R9), F27

l2row:
	CBZ  R4, l2done
	MOVD R1, R6
	MOVD R5, R7
	ZERO4(V20, V21, V22, V23)
	SUBS $16, R7
	BLT  l2ss16done

l2ss16:
	VLD1.P 64(R6), [V0.S4, V1.S4, V2.S4, V3.S4]
	VFMLA  V0.S4, V0.S4, V20.S4
	VFMLA  V1.S4, V1.S4, V21.S4
	VFMLA  V2.S4, V2.S4, V22.S4
	VFMLA  V3.S4, V3.S4, V23.S4
	SUBS   $16, R7
	BGE    l2ss16

l2ss16done:
	ADD $16, R7

l2ss4:
	CMP    $4, R7
	BLT    l2ssreduce
	VLD1.P 16(R6), [V0.S4]
	VFMLA  V0.S4, V0.S4, V20.S4
	SUB    $4, R7
	B      l2ss4

l2ssreduce:
	FADD_4S(20, 20, 21)
	FADD_4S(22, 22, 23)
	FADD_4S(20, 20, 22)
	FADDP_4S(20, 20, 20)
	FADDP_S2(20, 20)

l2ss1:
	CBZ     R7, l2inv
	FMOVS.P 4(R6), F0
	FMADDS  F0, F20, F0, F20
	SUB     $1, R7
	B       l2ss1

l2inv:
	FSQRTS F20, F20
	FDIVS  F20, F28, F21
	FMINS  F27, F21, F21
	VDUP   V21.S[0], V21.S4
	MOVD   R1, R6
	MOVD   R5, R7

l2out4:
	CMP    $4, R7
	BLT    l2out1
	VLD1.P 16(R6), [V0.S4]
	FMUL_4S(0, 0, 21)
	VST1.P [V0.S4], 16(R0)
	SUB    $4, R7
	B      l2out4

l2out1:
	CBZ     R7, l2next
	FMOVS.P 4(R6), F0
	FMULS   F21, F0, F0
	FMOVS.P F0, 4(R0)
	SUB     $1, R7
	B       l2out1

l2next:
	MOVD R6, R1
	SUB  $1, R4
	B    l2row

l2done:
	RET

// func sumTokensNEON(dst, x *float32, rows, d int)
//
// dst = the column sums of rows >= 1 rows of d values (fadd, 0x4E20D400).
TEXT ·sumTokensNEON(SB), NOSPLIT, $0-32
	POOL(0x4E20D400, FADDS)

// func maxTokensNEON(dst, x *float32, rows, d int)
//
// dst = the column maxima of rows >= 1 rows of d values (fmax, 0x4E20F400).
TEXT ·maxTokensNEON(SB), NOSPLIT, $0-32
	POOL(0x4E20F400, FMAXS)
