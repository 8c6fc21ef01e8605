//go:build !purego

#include "textflag.h"

// Attention kernels for AVX-512. The blocked path works on 16 queries at a
// time (one Z register of lanes): the caller transposes the block's query
// rows into qt (dh rows of 16), and the score tile is kept transposed,
// st[key*16 + query], so that scores, softmax and P*V are all vertical
// (lane = query) with no horizontal reductions.

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

// EXPCOLS sets x = exp(x) for x <= 0 (softmaxCols16AVX512); n and q are
// clobbered. t = x log2 e, n = round(t) by adding and subtracting 1.5 * 2^23
// (Z27; n starts as a broadcast load of it, so that the FMA needs no
// copy), f = t - n in one FMA from the exact product, 2^f by b of degree 5
// (q starts as a broadcast load of b5), then 2^n by VSCALEFPS: 10
// operations on the vector ports (against 13 with VRNDSCALEPS, two uops,
// a VSUBPS and a register copy). Z29 holds the lower clamp -104 (exp 0;
// it also keeps -Inf, a blocked key, from making f a NaN), Z20 log2(e),
// Z22-Z26 the coefficients b4..b0 of 2^f. x is put first in VMAXPS so
// that a NaN passes through.
#define EXPCOLS(x, n, q) \
	VMAXPS x, Z29, x; \
	VBROADCASTSS ·vecConsts+1248(SB), n; \
	VFMADD231PS Z20, x, n; \
	VSUBPS Z27, n, n; \
	VFMSUB213PS n, Z20, x; \
	VBROADCASTSS ·vecConsts+1280(SB), q; \
	VFMADD213PS Z22, x, q; \
	VFMADD213PS Z23, x, q; \
	VFMADD213PS Z24, x, q; \
	VFMADD213PS Z25, x, q; \
	VFMADD213PS Z26, x, q; \
	VSCALEFPS n, q, x

// Offsets in scoresArgs.
#define SA_ST 0
#define SA_QT 8
#define SA_K 16
#define SA_NK 24
#define SA_DH 32
#define SA_KS 40
#define SA_SCALE 48

// func scoresT16AVX512(a *scoresArgs)
// st[j*16 + r] = scale * sum_d k[j*ks + d] * qt[d*16 + r].
// Register plan: Z0-Z7 accumulate 8 keys (one query lane each), Z8 holds
// qt row d, each key value is broadcast from memory into its FMA
// (VFMADD231PS.BCST): 9 loads per 8 FMAs. 8 keys keep the two FMA ports
// busy through the 4-cycle latency. AX, DX walk keys j..j+3 and j+4..j+7
// at BX = ks*4 bytes apart (CX = 3*BX); R8 walks qt.
TEXT ·scoresT16AVX512(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), R13
	MOVQ SA_ST(R13), DI
	MOVQ SA_K(R13), SI
	MOVQ SA_NK(R13), R9
	MOVQ SA_DH(R13), R10
	MOVQ SA_KS(R13), BX
	SHLQ $2, BX
	LEAQ (BX)(BX*2), CX
	VBROADCASTSS SA_SCALE(R13), Z9
	LEAQ (BX*8), R12
sc_block8:
	CMPQ R9, $8
	JB   sc_single
	MOVQ SI, AX
	LEAQ (SI)(BX*4), DX
	MOVQ SA_QT(R13), R8
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7
	MOVQ R10, R11
sc_d8:
	VMOVUPS (R8), Z8
	VFMADD231PS.BCST (AX), Z8, Z0
	VFMADD231PS.BCST (AX)(BX*1), Z8, Z1
	VFMADD231PS.BCST (AX)(BX*2), Z8, Z2
	VFMADD231PS.BCST (AX)(CX*1), Z8, Z3
	VFMADD231PS.BCST (DX), Z8, Z4
	VFMADD231PS.BCST (DX)(BX*1), Z8, Z5
	VFMADD231PS.BCST (DX)(BX*2), Z8, Z6
	VFMADD231PS.BCST (DX)(CX*1), Z8, Z7
	ADDQ $4, AX
	ADDQ $4, DX
	ADDQ $64, R8
	DECQ R11
	JNZ  sc_d8
	VMULPS Z9, Z0, Z0
	VMULPS Z9, Z1, Z1
	VMULPS Z9, Z2, Z2
	VMULPS Z9, Z3, Z3
	VMULPS Z9, Z4, Z4
	VMULPS Z9, Z5, Z5
	VMULPS Z9, Z6, Z6
	VMULPS Z9, Z7, Z7
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	VMOVUPS Z4, 256(DI)
	VMOVUPS Z5, 320(DI)
	VMOVUPS Z6, 384(DI)
	VMOVUPS Z7, 448(DI)
	ADDQ $512, DI
	ADDQ R12, SI
	SUBQ $8, R9
	JMP  sc_block8
sc_single:
	TESTQ R9, R9
	JZ    sc_done
	MOVQ SI, AX
	MOVQ SA_QT(R13), R8
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	MOVQ R10, R11
sc_d4:
	CMPQ R11, $4
	JB   sc_d1
	VMOVUPS (R8), Z4
	VMOVUPS 64(R8), Z5
	VMOVUPS 128(R8), Z6
	VMOVUPS 192(R8), Z7
	VFMADD231PS.BCST (AX), Z4, Z0
	VFMADD231PS.BCST 4(AX), Z5, Z1
	VFMADD231PS.BCST 8(AX), Z6, Z2
	VFMADD231PS.BCST 12(AX), Z7, Z3
	ADDQ $16, AX
	ADDQ $256, R8
	SUBQ $4, R11
	JMP  sc_d4
sc_d1:
	TESTQ R11, R11
	JZ    sc_d1done
	VMOVUPS (R8), Z8
	VFMADD231PS.BCST (AX), Z8, Z0
	ADDQ $4, AX
	ADDQ $64, R8
	DECQ R11
	JMP  sc_d1
sc_d1done:
	VADDPS Z1, Z0, Z0
	VADDPS Z3, Z2, Z2
	VADDPS Z2, Z0, Z0
	VMULPS Z9, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, DI
	ADDQ BX, SI
	DECQ R9
	JMP  sc_single
sc_done:
	VZEROUPPER
	RET

// func scoresT32AVX512(a *scoresArgs)
// st[j*32 + r] = scale * sum_d k[j*ks + d] * qt[d*32 + r]: scoresT16AVX512
// for a block of 32 queries (two vectors of lanes). Register plan: Z0-Z15
// accumulate 8 keys x 2 vectors, Z16-Z17 hold qt row d, Z18-Z25 the 8
// broadcast key values, Z26 the scale: 10 loads per 16 FMAs (against 9 per
// 8 with 16 queries), which is what lifts the scores to near the FMA peak.
// The last nk%8 keys go one at a time over Z0-Z3 (two chains per vector).
// Each group of 8 keys first prefetches the next 8 keys' rows (AX, DX,
// R11 as scratch before they take their roles): the rows of a head are
// 3 KiB apart in a wide model, and the first block of queries of a head
// reads them from L3.
TEXT ·scoresT32AVX512(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), R13
	MOVQ SA_ST(R13), DI
	MOVQ SA_K(R13), SI
	MOVQ SA_NK(R13), R9
	MOVQ SA_DH(R13), R10
	MOVQ SA_KS(R13), BX
	SHLQ $2, BX
	LEAQ (BX)(BX*2), CX
	VBROADCASTSS SA_SCALE(R13), Z26
	LEAQ (BX*8), R12
s32_block8:
	CMPQ R9, $8
	JB   s32_single
	// Prefetch the next 8 keys' rows (beyond the tile too: prefetches do
	// not fault), one line of each of the 8 rows per round.
	LEAQ (SI)(R12*1), AX
	LEAQ (AX)(BX*4), DX
	MOVQ R10, R11
s32_prefetch:
	PREFETCHT0 (AX)
	PREFETCHT0 (AX)(BX*1)
	PREFETCHT0 (AX)(BX*2)
	PREFETCHT0 (AX)(CX*1)
	PREFETCHT0 (DX)
	PREFETCHT0 (DX)(BX*1)
	PREFETCHT0 (DX)(BX*2)
	PREFETCHT0 (DX)(CX*1)
	ADDQ $64, AX
	ADDQ $64, DX
	SUBQ $16, R11
	JG   s32_prefetch
	MOVQ SI, AX
	LEAQ (SI)(BX*4), DX
	MOVQ SA_QT(R13), R8
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7
	VXORPS Z8, Z8, Z8
	VXORPS Z9, Z9, Z9
	VXORPS Z10, Z10, Z10
	VXORPS Z11, Z11, Z11
	VXORPS Z12, Z12, Z12
	VXORPS Z13, Z13, Z13
	VXORPS Z14, Z14, Z14
	VXORPS Z15, Z15, Z15
	MOVQ R10, R11
s32_d8:
	VMOVUPS (R8), Z16
	VMOVUPS 64(R8), Z17
	VBROADCASTSS (AX), Z18
	VBROADCASTSS (AX)(BX*1), Z19
	VBROADCASTSS (AX)(BX*2), Z20
	VBROADCASTSS (AX)(CX*1), Z21
	VBROADCASTSS (DX), Z22
	VBROADCASTSS (DX)(BX*1), Z23
	VBROADCASTSS (DX)(BX*2), Z24
	VBROADCASTSS (DX)(CX*1), Z25
	VFMADD231PS Z18, Z16, Z0
	VFMADD231PS Z18, Z17, Z1
	VFMADD231PS Z19, Z16, Z2
	VFMADD231PS Z19, Z17, Z3
	VFMADD231PS Z20, Z16, Z4
	VFMADD231PS Z20, Z17, Z5
	VFMADD231PS Z21, Z16, Z6
	VFMADD231PS Z21, Z17, Z7
	VFMADD231PS Z22, Z16, Z8
	VFMADD231PS Z22, Z17, Z9
	VFMADD231PS Z23, Z16, Z10
	VFMADD231PS Z23, Z17, Z11
	VFMADD231PS Z24, Z16, Z12
	VFMADD231PS Z24, Z17, Z13
	VFMADD231PS Z25, Z16, Z14
	VFMADD231PS Z25, Z17, Z15
	ADDQ $4, AX
	ADDQ $4, DX
	ADDQ $128, R8
	DECQ R11
	JNZ  s32_d8
	VMULPS Z26, Z0, Z0
	VMULPS Z26, Z1, Z1
	VMULPS Z26, Z2, Z2
	VMULPS Z26, Z3, Z3
	VMULPS Z26, Z4, Z4
	VMULPS Z26, Z5, Z5
	VMULPS Z26, Z6, Z6
	VMULPS Z26, Z7, Z7
	VMULPS Z26, Z8, Z8
	VMULPS Z26, Z9, Z9
	VMULPS Z26, Z10, Z10
	VMULPS Z26, Z11, Z11
	VMULPS Z26, Z12, Z12
	VMULPS Z26, Z13, Z13
	VMULPS Z26, Z14, Z14
	VMULPS Z26, Z15, Z15
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	VMOVUPS Z4, 256(DI)
	VMOVUPS Z5, 320(DI)
	VMOVUPS Z6, 384(DI)
	VMOVUPS Z7, 448(DI)
	VMOVUPS Z8, 512(DI)
	VMOVUPS Z9, 576(DI)
	VMOVUPS Z10, 640(DI)
	VMOVUPS Z11, 704(DI)
	VMOVUPS Z12, 768(DI)
	VMOVUPS Z13, 832(DI)
	VMOVUPS Z14, 896(DI)
	VMOVUPS Z15, 960(DI)
	ADDQ $1024, DI
	ADDQ R12, SI
	SUBQ $8, R9
	JMP  s32_block8
s32_single:
	TESTQ R9, R9
	JZ    s32_done
	MOVQ SI, AX
	MOVQ SA_QT(R13), R8
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	MOVQ R10, R11
s32_d2:
	CMPQ R11, $2
	JB   s32_d1
	VBROADCASTSS (AX), Z18
	VBROADCASTSS 4(AX), Z19
	VFMADD231PS (R8), Z18, Z0
	VFMADD231PS 64(R8), Z18, Z1
	VFMADD231PS 128(R8), Z19, Z2
	VFMADD231PS 192(R8), Z19, Z3
	ADDQ $8, AX
	ADDQ $256, R8
	SUBQ $2, R11
	JMP  s32_d2
s32_d1:
	TESTQ R11, R11
	JZ    s32_d1done
	VBROADCASTSS (AX), Z18
	VFMADD231PS (R8), Z18, Z0
	VFMADD231PS 64(R8), Z18, Z1
s32_d1done:
	VADDPS Z2, Z0, Z0
	VADDPS Z3, Z1, Z1
	VMULPS Z26, Z0, Z0
	VMULPS Z26, Z1, Z1
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ $128, DI
	ADDQ BX, SI
	DECQ R9
	JMP  s32_single
s32_done:
	VZEROUPPER
	RET

// Offsets in colsArgs.
#define CA_ST 0
#define CA_NK 8
#define CA_MLC 16
#define CA_STRIDE 24
#define CA_LANES 32

// func softmaxCols16AVX512(a *colsArgs)
// One online-softmax step over 16 lanes of a score tile of nk rows (rows
// stride bytes apart: 64 for a block of 16 queries, 128 for 32): with m the
// running maximum and l the running sum (mlc[0:16], mlc[lanes:lanes+16]),
// the new maximum is m' = max(m, column maxima, -MaxFloat32), c = exp(m -
// m') goes to mlc[2*lanes:], the tile becomes exp(st - m') and l' = l*c +
// its column sums. Register plan: exp constants Z20-Z30 (see
// rows_avx512_amd64.s; Z22-Z26 then take EXPCOLS' coefficients for the
// rows and Z27 its rounding constant), Z10 m, Z11 m' (Z0-Z2 three more
// chains of the maxima), Z12 c,
// Z13, Z15, Z18, Z19 the sums, Z0-Z3 four rows, Z4-Z9 and Z16-Z17 exp
// temporaries (Z4-Z6 first for c's).
TEXT ·softmaxCols16AVX512(SB), NOSPLIT, $0-8
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
col_max4:
	CMPQ CX, $4
	JB   col_max1
	VMAXPS (AX), Z11, Z11
	VMAXPS (AX)(R9*1), Z0, Z0
	VMAXPS (AX)(R9*2), Z1, Z1
	VMAXPS (AX)(DX*1), Z2, Z2
	LEAQ (AX)(R9*4), AX
	SUBQ $4, CX
	JMP  col_max4
col_max1:
	TESTQ CX, CX
	JZ    col_maxdone
	VMAXPS (AX), Z11, Z11
	ADDQ R9, AX
	DECQ CX
	JMP  col_max1
col_maxdone:
	VMAXPS Z0, Z11, Z11
	VMAXPS Z2, Z1, Z1
	VMAXPS Z1, Z11, Z11
	VSUBPS Z11, Z10, Z12
	EXP512(Z12, Z4, Z5, Z6)
	VBROADCASTSS ·vecConsts+1248(SB), Z27
	VBROADCASTSS ·vecConsts+1312(SB), Z22
	VBROADCASTSS ·vecConsts+1344(SB), Z23
	VBROADCASTSS ·vecConsts+1376(SB), Z24
	VBROADCASTSS ·vecConsts+1408(SB), Z25
	VBROADCASTSS ·vecConsts+1440(SB), Z26
	VXORPS Z13, Z13, Z13
	VXORPS Z15, Z15, Z15
	VXORPS Z18, Z18, Z18
	VXORPS Z19, Z19, Z19
	MOVQ SI, AX
	MOVQ BX, CX
	LEAQ (R9)(R9*2), DX
	// Four rows at a time, so that four exp chains (about 45 cycles of
	// latency each) are in flight, with their sums in Z13, Z15, Z18, Z19.
col_exp4:
	CMPQ CX, $4
	JB   col_exp1
	VMOVUPS (AX), Z0
	VMOVUPS (AX)(R9*1), Z1
	VMOVUPS (AX)(R9*2), Z2
	VMOVUPS (AX)(DX*1), Z3
	VSUBPS Z11, Z0, Z0
	VSUBPS Z11, Z1, Z1
	VSUBPS Z11, Z2, Z2
	VSUBPS Z11, Z3, Z3
	EXPCOLS(Z0, Z4, Z5)
	EXPCOLS(Z1, Z6, Z7)
	EXPCOLS(Z2, Z8, Z9)
	EXPCOLS(Z3, Z16, Z17)
	VADDPS Z0, Z13, Z13
	VADDPS Z1, Z15, Z15
	VADDPS Z2, Z18, Z18
	VADDPS Z3, Z19, Z19
	VMOVUPS Z0, (AX)
	VMOVUPS Z1, (AX)(R9*1)
	VMOVUPS Z2, (AX)(R9*2)
	VMOVUPS Z3, (AX)(DX*1)
	LEAQ (AX)(R9*4), AX
	SUBQ $4, CX
	JMP  col_exp4
col_exp1:
	TESTQ CX, CX
	JZ    col_expdone
	VMOVUPS (AX), Z0
	VSUBPS Z11, Z0, Z0
	EXPCOLS(Z0, Z4, Z5)
	VADDPS Z0, Z13, Z13
	VMOVUPS Z0, (AX)
	ADDQ R9, AX
	DECQ CX
	JMP  col_exp1
col_expdone:
	VADDPS Z15, Z13, Z13
	VADDPS Z19, Z18, Z18
	VADDPS Z18, Z13, Z13
	VMOVUPS (DI)(R8*1), Z14
	VFMADD213PS Z13, Z12, Z14
	VMOVUPS Z11, (DI)
	VMOVUPS Z14, (DI)(R8*1)
	VMOVUPS Z12, (DI)(R8*2)
	VZEROUPPER
	RET

// Offsets in gatherArgs.
#define GA_QT 0
#define GA_Q 8
#define GA_IDX 16
#define GA_NQ 24
#define GA_DH 32
#define GA_QTS 40

// func gatherT16AVX512(a *gatherArgs)
// qt[d*qts/4 + r] = q[idx[r] + d] for r < nq, 0 for the other lanes of
// the 16, d < dh: the transposition of (16 of) a block's query rows. Register plan: Z1 holds the
// 16 row offsets, K2 the nq lanes (copied to K1 for each gather, which
// clears its mask), Z0 the gathered column.
TEXT ·gatherT16AVX512(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), R13
	MOVQ GA_QT(R13), DI
	MOVQ GA_Q(R13), SI
	MOVQ GA_IDX(R13), AX
	VMOVDQU32 (AX), Z1
	MOVQ GA_NQ(R13), CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K2
	MOVQ GA_DH(R13), R9
	MOVQ GA_QTS(R13), R10
gt_loop:
	VXORPS Z0, Z0, Z0
	KMOVW K2, K1
	VGATHERDPS (SI)(Z1*4), K1, Z0
	VMOVUPS Z0, (DI)
	ADDQ $4, SI
	ADDQ R10, DI
	DECQ R9
	JNZ  gt_loop
	VZEROUPPER
	RET
