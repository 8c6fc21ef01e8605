//go:build !purego

#include "textflag.h"
#include "attention_avx512_amd64.h"

// Former kernels of the blocked path, kept as the baselines of the
// in-process A/B (BenchmarkAttentionPathsAB): the softmax step and the P*V
// of four queries at a time.

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

// Offsets in pvArgs.
#define PA_O 0
#define PA_ST 8
#define PA_V 16
#define PA_C 24
#define PA_NK 32
#define PA_DH 40
#define PA_VS 48
#define PA_STS 56

// func pv4AVX512(a *pvArgs)
// (Not chosen at any level since pvT32AVX512, which reads each value once
// per block; kept as the baseline of BenchmarkAttentionPathsAB.)
// For the 4 queries a = 0..3 of a quad: o[a*dh + d] = o[a*dh + d]*c[a] +
// sum_j st[j*qb + a] * v[j*vs + d], the st rows sts = qb*4 bytes apart. Register plan: per group of 64 dims
// (masks K1-K4 for its four 16-lane chunks), Z0-Z15 accumulate 4 queries x
// 4 chunks, Z16-Z19 hold the 4 chunks of a value row, Z20-Z23 the 4
// broadcast probabilities of key j: 8 loads per 16 FMAs. Keys go two at a
// time, the second in Z24-Z31 (Z24-Z27 first hold the 4 rescale factors,
// broadcast again for each group).
TEXT ·pv4AVX512(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), R13
	MOVQ PA_O(R13), DI
	MOVQ PA_V(R13), R11
	MOVQ PA_DH(R13), R8
	LEAQ (R8*4), R9
	LEAQ (R9)(R9*2), R10
	MOVQ PA_VS(R13), R12
	SHLQ $2, R12
	MOVQ PA_STS(R13), BX
pv_group:
	CMPQ R8, $0
	JLE  pv_done
	MKMASK(0, K1)
	MKMASK(16, K2)
	MKMASK(32, K3)
	MKMASK(48, K4)
	MOVQ PA_C(R13), AX
	VBROADCASTSS (AX), Z24
	VBROADCASTSS 4(AX), Z25
	VBROADCASTSS 8(AX), Z26
	VBROADCASTSS 12(AX), Z27
	VMOVUPS.Z (DI), K1, Z0
	VMOVUPS.Z 64(DI), K2, Z1
	VMOVUPS.Z 128(DI), K3, Z2
	VMOVUPS.Z 192(DI), K4, Z3
	VMOVUPS.Z (DI)(R9*1), K1, Z4
	VMOVUPS.Z 64(DI)(R9*1), K2, Z5
	VMOVUPS.Z 128(DI)(R9*1), K3, Z6
	VMOVUPS.Z 192(DI)(R9*1), K4, Z7
	VMOVUPS.Z (DI)(R9*2), K1, Z8
	VMOVUPS.Z 64(DI)(R9*2), K2, Z9
	VMOVUPS.Z 128(DI)(R9*2), K3, Z10
	VMOVUPS.Z 192(DI)(R9*2), K4, Z11
	VMOVUPS.Z (DI)(R10*1), K1, Z12
	VMOVUPS.Z 64(DI)(R10*1), K2, Z13
	VMOVUPS.Z 128(DI)(R10*1), K3, Z14
	VMOVUPS.Z 192(DI)(R10*1), K4, Z15
	VMULPS Z24, Z0, Z0
	VMULPS Z24, Z1, Z1
	VMULPS Z24, Z2, Z2
	VMULPS Z24, Z3, Z3
	VMULPS Z25, Z4, Z4
	VMULPS Z25, Z5, Z5
	VMULPS Z25, Z6, Z6
	VMULPS Z25, Z7, Z7
	VMULPS Z26, Z8, Z8
	VMULPS Z26, Z9, Z9
	VMULPS Z26, Z10, Z10
	VMULPS Z26, Z11, Z11
	VMULPS Z27, Z12, Z12
	VMULPS Z27, Z13, Z13
	VMULPS Z27, Z14, Z14
	VMULPS Z27, Z15, Z15
	MOVQ PA_ST(R13), SI
	MOVQ R11, AX
	MOVQ PA_NK(R13), DX
	TESTQ DX, DX
	JZ    pv_store
pv_key2:
	CMPQ DX, $2
	JB   pv_key
	VMOVUPS.Z (AX), K1, Z16
	VMOVUPS.Z 64(AX), K2, Z17
	VMOVUPS.Z 128(AX), K3, Z18
	VMOVUPS.Z 192(AX), K4, Z19
	VBROADCASTSS (SI), Z20
	VBROADCASTSS 4(SI), Z21
	VBROADCASTSS 8(SI), Z22
	VBROADCASTSS 12(SI), Z23
	VFMADD231PS Z16, Z20, Z0
	VFMADD231PS Z17, Z20, Z1
	VFMADD231PS Z18, Z20, Z2
	VFMADD231PS Z19, Z20, Z3
	VFMADD231PS Z16, Z21, Z4
	VFMADD231PS Z17, Z21, Z5
	VFMADD231PS Z18, Z21, Z6
	VFMADD231PS Z19, Z21, Z7
	VFMADD231PS Z16, Z22, Z8
	VFMADD231PS Z17, Z22, Z9
	VFMADD231PS Z18, Z22, Z10
	VFMADD231PS Z19, Z22, Z11
	VFMADD231PS Z16, Z23, Z12
	VFMADD231PS Z17, Z23, Z13
	VFMADD231PS Z18, Z23, Z14
	VFMADD231PS Z19, Z23, Z15
	VMOVUPS.Z (AX)(R12*1), K1, Z24
	VMOVUPS.Z 64(AX)(R12*1), K2, Z25
	VMOVUPS.Z 128(AX)(R12*1), K3, Z26
	VMOVUPS.Z 192(AX)(R12*1), K4, Z27
	VBROADCASTSS (SI)(BX*1), Z28
	VBROADCASTSS 4(SI)(BX*1), Z29
	VBROADCASTSS 8(SI)(BX*1), Z30
	VBROADCASTSS 12(SI)(BX*1), Z31
	VFMADD231PS Z24, Z28, Z0
	VFMADD231PS Z25, Z28, Z1
	VFMADD231PS Z26, Z28, Z2
	VFMADD231PS Z27, Z28, Z3
	VFMADD231PS Z24, Z29, Z4
	VFMADD231PS Z25, Z29, Z5
	VFMADD231PS Z26, Z29, Z6
	VFMADD231PS Z27, Z29, Z7
	VFMADD231PS Z24, Z30, Z8
	VFMADD231PS Z25, Z30, Z9
	VFMADD231PS Z26, Z30, Z10
	VFMADD231PS Z27, Z30, Z11
	VFMADD231PS Z24, Z31, Z12
	VFMADD231PS Z25, Z31, Z13
	VFMADD231PS Z26, Z31, Z14
	VFMADD231PS Z27, Z31, Z15
	LEAQ (AX)(R12*2), AX
	LEAQ (SI)(BX*2), SI
	SUBQ $2, DX
	JMP  pv_key2
pv_key:
	TESTQ DX, DX
	JZ    pv_store
	VMOVUPS.Z (AX), K1, Z16
	VMOVUPS.Z 64(AX), K2, Z17
	VMOVUPS.Z 128(AX), K3, Z18
	VMOVUPS.Z 192(AX), K4, Z19
	VBROADCASTSS (SI), Z20
	VBROADCASTSS 4(SI), Z21
	VBROADCASTSS 8(SI), Z22
	VBROADCASTSS 12(SI), Z23
	VFMADD231PS Z16, Z20, Z0
	VFMADD231PS Z17, Z20, Z1
	VFMADD231PS Z18, Z20, Z2
	VFMADD231PS Z19, Z20, Z3
	VFMADD231PS Z16, Z21, Z4
	VFMADD231PS Z17, Z21, Z5
	VFMADD231PS Z18, Z21, Z6
	VFMADD231PS Z19, Z21, Z7
	VFMADD231PS Z16, Z22, Z8
	VFMADD231PS Z17, Z22, Z9
	VFMADD231PS Z18, Z22, Z10
	VFMADD231PS Z19, Z22, Z11
	VFMADD231PS Z16, Z23, Z12
	VFMADD231PS Z17, Z23, Z13
	VFMADD231PS Z18, Z23, Z14
	VFMADD231PS Z19, Z23, Z15
	ADDQ R12, AX
	ADDQ BX, SI
	DECQ DX
	JMP  pv_key
pv_store:
	VMOVUPS Z0, K1, (DI)
	VMOVUPS Z1, K2, 64(DI)
	VMOVUPS Z2, K3, 128(DI)
	VMOVUPS Z3, K4, 192(DI)
	VMOVUPS Z4, K1, (DI)(R9*1)
	VMOVUPS Z5, K2, 64(DI)(R9*1)
	VMOVUPS Z6, K3, 128(DI)(R9*1)
	VMOVUPS Z7, K4, 192(DI)(R9*1)
	VMOVUPS Z8, K1, (DI)(R9*2)
	VMOVUPS Z9, K2, 64(DI)(R9*2)
	VMOVUPS Z10, K3, 128(DI)(R9*2)
	VMOVUPS Z11, K4, 192(DI)(R9*2)
	VMOVUPS Z12, K1, (DI)(R10*1)
	VMOVUPS Z13, K2, 64(DI)(R10*1)
	VMOVUPS Z14, K3, 128(DI)(R10*1)
	VMOVUPS Z15, K4, 192(DI)(R10*1)
	ADDQ $256, DI
	ADDQ $256, R11
	SUBQ $64, R8
	JMP  pv_group
pv_done:
	VZEROUPPER
	RET
