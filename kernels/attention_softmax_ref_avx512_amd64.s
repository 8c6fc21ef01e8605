//go:build !purego

#include "textflag.h"

// The former softmax step of the blocked path, for the in-process A/B.

// Offsets in colsArgs.
#define CA_ST 0
#define CA_NK 8
#define CA_MLC 16
#define CA_STRIDE 24
#define CA_LANES 32

// EXP512 sets x = exp(x); n, q, r2 are clobbered. x is put first in
// VMAXPS/VMINPS so that a NaN passes through.
#define EXP512(x, n, q, r2) \
	VMAXPS x, Z29, x; \
	VMINPS x, Z30, x; \
	VMULPS Z20, x, n; \
	VRNDSCALEPS $0, n, n; \
	VFMADD231PS Z21, n, x; \
	VFMADD231PS Z22, n, x; \
	VMOVAPS Z23, q; \
	VFMADD213PS Z24, x, q; \
	VFMADD213PS Z25, x, q; \
	VFMADD213PS Z26, x, q; \
	VFMADD213PS Z27, x, q; \
	VMULPS x, x, r2; \
	VADDPS Z28, x, x; \
	VFMADD231PS q, r2, x; \
	VSCALEFPS n, x, x

// EXPCOLSREF is the former EXPCOLS (with VRNDSCALEPS): it sets x = exp(x) for x <= 0 (softmaxCols16AVX512: 11 operations
// against EXP512's 15, see rows_consts_amd64.go); n and q are clobbered.
// Z29 holds the lower clamp -104 (exp 0), Z20 log2(e), Z21-Z26 the
// coefficients b5..b0 of 2^f. x is put first in VMAXPS so that a NaN
// passes through.
#define EXPCOLSREF(x, n, q) \
	VMAXPS x, Z29, x; \
	VMULPS Z20, x, x; \
	VRNDSCALEPS $0, x, n; \
	VSUBPS n, x, x; \
	VMOVAPS Z21, q; \
	VFMADD213PS Z22, x, q; \
	VFMADD213PS Z23, x, q; \
	VFMADD213PS Z24, x, q; \
	VFMADD213PS Z25, x, q; \
	VFMADD213PS Z26, x, q; \
	VSCALEFPS n, q, x

// func softmaxColsRef16AVX512(a *colsArgs)
// (Not chosen at any level: softmaxCols16AVX512 before its exp rounded by
// adding 1.5 * 2^23; kept as the baseline of BenchmarkAttentionPathsAB.)
// One online-softmax step over 16 lanes of a score tile of nk rows (rows
// stride bytes apart: 64 for a block of 16 queries, 128 for 32): with m the
// running maximum and l the running sum (mlc[0:16], mlc[lanes:lanes+16]),
// the new maximum is m' = max(m, column maxima, -MaxFloat32), c = exp(m -
// m') goes to mlc[2*lanes:], the tile becomes exp(st - m') and l' = l*c +
// its column sums. Register plan: exp constants Z20-Z30 (see
// rows_avx512_amd64.s; Z21-Z26 then take EXPCOLS' coefficients for the
// rows), Z10 m, Z11 m' (Z0-Z2 three more chains of the maxima), Z12 c,
// Z13 the sum, Z0 a row, Z4-Z6 exp temporaries.
TEXT ·softmaxColsRef16AVX512(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), R13
	MOVQ CA_ST(R13), SI
	MOVQ CA_NK(R13), BX
	MOVQ CA_MLC(R13), DI
	MOVQ CA_STRIDE(R13), R9
	MOVQ CA_LANES(R13), R8
	SHLQ $2, R8
	VBROADCASTSS ·vecConsts+0(SB), Z20
	VBROADCASTSS ·vecConsts+32(SB), Z21
	VBROADCASTSS ·vecConsts+64(SB), Z22
	VBROADCASTSS ·vecConsts+96(SB), Z23
	VBROADCASTSS ·vecConsts+128(SB), Z24
	VBROADCASTSS ·vecConsts+160(SB), Z25
	VBROADCASTSS ·vecConsts+192(SB), Z26
	VBROADCASTSS ·vecConsts+224(SB), Z27
	VBROADCASTSS ·vecConsts+256(SB), Z28
	VBROADCASTSS ·vecConsts+352(SB), Z29
	VBROADCASTSS ·vecConsts+384(SB), Z30
	VMOVUPS (DI), Z10
	VBROADCASTSS ·vecConsts+992(SB), Z11
	VMAXPS Z10, Z11, Z11
	// The column maxima in four chains (Z11, Z0-Z2), 4 rows at a time.
	VMOVAPS Z11, Z0
	VMOVAPS Z11, Z1
	VMOVAPS Z11, Z2
	MOVQ SI, AX
	MOVQ BX, CX
	LEAQ (R9)(R9*2), DX
ref_col_max4:
	CMPQ CX, $4
	JB   ref_col_max1
	VMAXPS (AX), Z11, Z11
	VMAXPS (AX)(R9*1), Z0, Z0
	VMAXPS (AX)(R9*2), Z1, Z1
	VMAXPS (AX)(DX*1), Z2, Z2
	LEAQ (AX)(R9*4), AX
	SUBQ $4, CX
	JMP  ref_col_max4
ref_col_max1:
	TESTQ CX, CX
	JZ    ref_col_maxdone
	VMAXPS (AX), Z11, Z11
	ADDQ R9, AX
	DECQ CX
	JMP  ref_col_max1
ref_col_maxdone:
	VMAXPS Z0, Z11, Z11
	VMAXPS Z2, Z1, Z1
	VMAXPS Z1, Z11, Z11
	VSUBPS Z11, Z10, Z12
	EXP512(Z12, Z4, Z5, Z6)
	VBROADCASTSS ·vecConsts+1280(SB), Z21
	VBROADCASTSS ·vecConsts+1312(SB), Z22
	VBROADCASTSS ·vecConsts+1344(SB), Z23
	VBROADCASTSS ·vecConsts+1376(SB), Z24
	VBROADCASTSS ·vecConsts+1408(SB), Z25
	VBROADCASTSS ·vecConsts+1440(SB), Z26
	VXORPS Z13, Z13, Z13
	MOVQ SI, AX
	MOVQ BX, CX
	TESTQ CX, CX
	JZ    ref_col_expdone
ref_col_exp:
	VMOVUPS (AX), Z0
	VSUBPS Z11, Z0, Z0
	EXPCOLSREF(Z0, Z4, Z5)
	VADDPS Z0, Z13, Z13
	VMOVUPS Z0, (AX)
	ADDQ R9, AX
	DECQ CX
	JNZ  ref_col_exp
ref_col_expdone:
	VMOVUPS (DI)(R8*1), Z14
	VFMADD213PS Z13, Z12, Z14
	VMOVUPS Z11, (DI)
	VMOVUPS Z14, (DI)(R8*1)
	VMOVUPS Z12, (DI)(R8*2)
	VZEROUPPER
	RET
