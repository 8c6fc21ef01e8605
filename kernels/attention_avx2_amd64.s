//go:build !purego

#include "textflag.h"

// Attention kernels for AVX2 + FMA: the blocked path with 8 queries per
// block (one Y register of lanes) and the row path (decode). The layout is
// that of attention_avx512_amd64.s: qt holds dh rows of 8 query lanes and
// the score tile is transposed, st[key*8 + query].

#define LOADEXP2 \
	VMOVUPS ·vecConsts+288(SB), Y15; \
	VMOVUPS ·vecConsts+320(SB), Y14; \
	VMOVUPS ·vecConsts+256(SB), Y13

// EXP2 sets x = exp(x); n, q, r2 are clobbered.
#define EXP2(x, n, q, r2) \
	VMAXPS x, Y15, x; \
	VMINPS x, Y14, x; \
	VMULPS ·vecConsts+0(SB), x, n; \
	VROUNDPS $0, n, n; \
	VFMADD231PS ·vecConsts+32(SB), n, x; \
	VFMADD231PS ·vecConsts+64(SB), n, x; \
	VMOVUPS ·vecConsts+96(SB), q; \
	VFMADD213PS ·vecConsts+128(SB), x, q; \
	VFMADD213PS ·vecConsts+160(SB), x, q; \
	VFMADD213PS ·vecConsts+192(SB), x, q; \
	VFMADD213PS ·vecConsts+224(SB), x, q; \
	VMULPS x, x, r2; \
	VADDPS Y13, x, x; \
	VFMADD231PS q, r2, x; \
	VCVTPS2DQ n, n; \
	VPSLLD $23, n, n; \
	VPADDD ·vecConsts+416(SB), n, n; \
	VMULPS n, x, x


// Offsets in scoresArgs.
#define SA_ST 0
#define SA_QT 8
#define SA_K 16
#define SA_NK 24
#define SA_DH 32
#define SA_KS 40
#define SA_SCALE 48

// func scoresT8AVX2(a *scoresArgs)
// st[j*8 + r] = scale * sum_d k[j*ks + d] * qt[d*8 + r].
// Register plan: Y0-Y7 accumulate 8 keys, Y8 holds qt row d, Y9-Y12 the
// broadcast key values (VBROADCASTSS then FMA: AVX2 has no embedded
// broadcast), Y13 the scale. AX, DX walk keys j..j+3 and j+4..j+7 at BX =
// ks*4 bytes apart (CX = 3*BX).
TEXT ·scoresT8AVX2(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), R13
	MOVQ SA_ST(R13), DI
	MOVQ SA_K(R13), SI
	MOVQ SA_NK(R13), R9
	MOVQ SA_DH(R13), R10
	MOVQ SA_KS(R13), BX
	SHLQ $2, BX
	LEAQ (BX)(BX*2), CX
	VBROADCASTSS SA_SCALE(R13), Y13
	LEAQ (BX*8), R12
sc2_block8:
	CMPQ R9, $8
	JB   sc2_single
	MOVQ SI, AX
	LEAQ (SI)(BX*4), DX
	MOVQ SA_QT(R13), R8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ R10, R11
sc2_d8:
	VMOVUPS (R8), Y8
	VBROADCASTSS (AX), Y9
	VBROADCASTSS (AX)(BX*1), Y10
	VBROADCASTSS (AX)(BX*2), Y11
	VBROADCASTSS (AX)(CX*1), Y12
	VFMADD231PS Y9, Y8, Y0
	VFMADD231PS Y10, Y8, Y1
	VFMADD231PS Y11, Y8, Y2
	VFMADD231PS Y12, Y8, Y3
	VBROADCASTSS (DX), Y9
	VBROADCASTSS (DX)(BX*1), Y10
	VBROADCASTSS (DX)(BX*2), Y11
	VBROADCASTSS (DX)(CX*1), Y12
	VFMADD231PS Y9, Y8, Y4
	VFMADD231PS Y10, Y8, Y5
	VFMADD231PS Y11, Y8, Y6
	VFMADD231PS Y12, Y8, Y7
	ADDQ $4, AX
	ADDQ $4, DX
	ADDQ $32, R8
	DECQ R11
	JNZ  sc2_d8
	VMULPS Y13, Y0, Y0
	VMULPS Y13, Y1, Y1
	VMULPS Y13, Y2, Y2
	VMULPS Y13, Y3, Y3
	VMULPS Y13, Y4, Y4
	VMULPS Y13, Y5, Y5
	VMULPS Y13, Y6, Y6
	VMULPS Y13, Y7, Y7
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	ADDQ $256, DI
	ADDQ R12, SI
	SUBQ $8, R9
	JMP  sc2_block8
sc2_single:
	TESTQ R9, R9
	JZ    sc2_done
	MOVQ SI, AX
	MOVQ SA_QT(R13), R8
	VXORPS Y0, Y0, Y0
	MOVQ R10, R11
sc2_d1:
	VBROADCASTSS (AX), Y9
	VFMADD231PS (R8), Y9, Y0
	ADDQ $4, AX
	ADDQ $32, R8
	DECQ R11
	JNZ  sc2_d1
	VMULPS Y13, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	ADDQ BX, SI
	DECQ R9
	JMP  sc2_single
sc2_done:
	VZEROUPPER
	RET

// Offsets in colsArgs.
#define CA_ST 0
#define CA_NK 8
#define CA_MLC 16

// func softmaxCols8AVX2(a *colsArgs)
// The online-softmax step of softmaxCols16AVX512 on 8 lanes. Register
// plan: exp constants Y13-Y15, Y10 m, Y11 m', Y12 c, Y9 the sum, Y0 a row,
// Y4-Y6 exp temporaries.
TEXT ·softmaxCols8AVX2(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), R13
	MOVQ CA_ST(R13), SI
	MOVQ CA_NK(R13), BX
	MOVQ CA_MLC(R13), DI
	LOADEXP2
	VMOVUPS (DI), Y10
	VMOVUPS ·vecConsts+992(SB), Y11
	VMAXPS Y10, Y11, Y11
	MOVQ SI, AX
	MOVQ BX, CX
	TESTQ CX, CX
	JZ    col2_maxdone
col2_max:
	VMAXPS (AX), Y11, Y11
	ADDQ $32, AX
	DECQ CX
	JNZ  col2_max
col2_maxdone:
	VSUBPS Y11, Y10, Y12
	EXP2(Y12, Y4, Y5, Y6)
	VXORPS Y9, Y9, Y9
	MOVQ SI, AX
	MOVQ BX, CX
	TESTQ CX, CX
	JZ    col2_expdone
col2_exp:
	VMOVUPS (AX), Y0
	VSUBPS Y11, Y0, Y0
	EXP2(Y0, Y4, Y5, Y6)
	VADDPS Y0, Y9, Y9
	VMOVUPS Y0, (AX)
	ADDQ $32, AX
	DECQ CX
	JNZ  col2_exp
col2_expdone:
	VMOVUPS 32(DI), Y8
	VFMADD213PS Y9, Y12, Y8
	VMOVUPS Y11, (DI)
	VMOVUPS Y8, 32(DI)
	VMOVUPS Y12, 64(DI)
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

// func pv4AVX2(a *pvArgs)
// For the 4 queries a = 0..3 of a quad (st rows 8 lanes apart): o[a*dh +
// d] = o[a*dh+d]*c[a] + sum_j st[j*8 + a] * v[j*vs + d], for d below dh
// rounded down to 16 (the caller does the rest). Register plan: per group
// of 16 dims, Y0-Y7 accumulate 4 queries x 2 chunks, Y8-Y9 hold a value
// row's chunks, Y10-Y13 the 4 broadcast probabilities: 6 loads per 8 FMAs.
TEXT ·pv4AVX2(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), R13
	MOVQ PA_O(R13), DI
	MOVQ PA_V(R13), R11
	MOVQ PA_DH(R13), R8
	LEAQ (R8*4), R9
	LEAQ (R9)(R9*2), R10
	ANDQ $-16, R8
	MOVQ PA_VS(R13), R12
	SHLQ $2, R12
	MOVQ PA_C(R13), BX
pv2_group:
	CMPQ R8, $16
	JB   pv2_done
	VBROADCASTSS (BX), Y10
	VBROADCASTSS 4(BX), Y11
	VBROADCASTSS 8(BX), Y12
	VBROADCASTSS 12(BX), Y13
	VMULPS (DI), Y10, Y0
	VMULPS 32(DI), Y10, Y1
	VMULPS (DI)(R9*1), Y11, Y2
	VMULPS 32(DI)(R9*1), Y11, Y3
	VMULPS (DI)(R9*2), Y12, Y4
	VMULPS 32(DI)(R9*2), Y12, Y5
	VMULPS (DI)(R10*1), Y13, Y6
	VMULPS 32(DI)(R10*1), Y13, Y7
	MOVQ PA_ST(R13), SI
	MOVQ R11, AX
	MOVQ PA_NK(R13), DX
	TESTQ DX, DX
	JZ    pv2_store
pv2_key:
	VMOVUPS (AX), Y8
	VMOVUPS 32(AX), Y9
	VBROADCASTSS (SI), Y10
	VBROADCASTSS 4(SI), Y11
	VBROADCASTSS 8(SI), Y12
	VBROADCASTSS 12(SI), Y13
	VFMADD231PS Y8, Y10, Y0
	VFMADD231PS Y9, Y10, Y1
	VFMADD231PS Y8, Y11, Y2
	VFMADD231PS Y9, Y11, Y3
	VFMADD231PS Y8, Y12, Y4
	VFMADD231PS Y9, Y12, Y5
	VFMADD231PS Y8, Y13, Y6
	VFMADD231PS Y9, Y13, Y7
	ADDQ R12, AX
	ADDQ $32, SI
	DECQ DX
	JNZ  pv2_key
pv2_store:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, (DI)(R9*1)
	VMOVUPS Y3, 32(DI)(R9*1)
	VMOVUPS Y4, (DI)(R9*2)
	VMOVUPS Y5, 32(DI)(R9*2)
	VMOVUPS Y6, (DI)(R10*1)
	VMOVUPS Y7, 32(DI)(R10*1)
	ADDQ $64, DI
	ADDQ $64, R11
	SUBQ $16, R8
	JMP  pv2_group
pv2_done:
	VZEROUPPER
	RET

// Offsets in dotRowsArgs.
#define DA_S 0
#define DA_Q 8
#define DA_K 16
#define DA_NK 24
#define DA_DH 32
#define DA_KS 40
#define DA_SCALE 48

// TAILMASK2 sets Y12 to a mask of the low CX lanes (CX in 0..8); AX, DX
// clobbered.
#define TAILMASK2 \
	LEAQ ·tailMask(SB), AX; \
	MOVQ $8, DX; \
	SUBQ CX, DX; \
	VMOVDQU (AX)(DX*4), Y12

#define FOLD2(Y, X) \
	VEXTRACTF128 $1, Y, X14; \
	VADDPS X14, X, X

// func dotRowsAVX2(a *dotRowsArgs)
// s[j] = scale * dot(q, k[j*ks : j*ks+dh]) for j < nk. Register plan: Y0-Y3
// accumulate 4 keys, Y8 holds an 8-value chunk of q, Y12 the mask of the
// dh%8 tail, Y10 the loaded tail chunks; the four sums fold to 128 bits
// and two rounds of VHADDPS leave the 4 scores in X0; Y9 holds the scale.
TEXT ·dotRowsAVX2(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), R13
	MOVQ DA_S(R13), DI
	MOVQ DA_K(R13), SI
	MOVQ DA_NK(R13), R9
	MOVQ DA_KS(R13), BX
	SHLQ $2, BX
	LEAQ (BX)(BX*2), R12
	VBROADCASTSS DA_SCALE(R13), Y9
	MOVQ DA_DH(R13), CX
	ANDQ $7, CX
	TAILMASK2
dr2_block4:
	CMPQ R9, $4
	JB   dr2_single
	MOVQ SI, AX
	MOVQ DA_Q(R13), R8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ DA_DH(R13), R11
dr2_d4:
	CMPQ R11, $8
	JB   dr2_tail4
	VMOVUPS (R8), Y8
	VFMADD231PS (AX), Y8, Y0
	VFMADD231PS (AX)(BX*1), Y8, Y1
	VFMADD231PS (AX)(BX*2), Y8, Y2
	VFMADD231PS (AX)(R12*1), Y8, Y3
	ADDQ $32, AX
	ADDQ $32, R8
	SUBQ $8, R11
	JMP  dr2_d4
dr2_tail4:
	TESTQ R11, R11
	JZ    dr2_reduce4
	VMASKMOVPS (R8), Y12, Y8
	VMASKMOVPS (AX), Y12, Y10
	VFMADD231PS Y10, Y8, Y0
	VMASKMOVPS (AX)(BX*1), Y12, Y10
	VFMADD231PS Y10, Y8, Y1
	VMASKMOVPS (AX)(BX*2), Y12, Y10
	VFMADD231PS Y10, Y8, Y2
	VMASKMOVPS (AX)(R12*1), Y12, Y10
	VFMADD231PS Y10, Y8, Y3
dr2_reduce4:
	FOLD2(Y0, X0)
	FOLD2(Y1, X1)
	FOLD2(Y2, X2)
	FOLD2(Y3, X3)
	VHADDPS X1, X0, X0
	VHADDPS X3, X2, X2
	VHADDPS X2, X0, X0
	VMULPS X9, X0, X0
	VMOVUPS X0, (DI)
	ADDQ $16, DI
	LEAQ (SI)(BX*4), SI
	SUBQ $4, R9
	JMP  dr2_block4
dr2_single:
	TESTQ R9, R9
	JZ    dr2_done
	MOVQ SI, AX
	MOVQ DA_Q(R13), R8
	VXORPS Y0, Y0, Y0
	MOVQ DA_DH(R13), R11
dr2_d1:
	CMPQ R11, $8
	JB   dr2_tail1
	VMOVUPS (R8), Y8
	VFMADD231PS (AX), Y8, Y0
	ADDQ $32, AX
	ADDQ $32, R8
	SUBQ $8, R11
	JMP  dr2_d1
dr2_tail1:
	TESTQ R11, R11
	JZ    dr2_reduce1
	VMASKMOVPS (R8), Y12, Y8
	VMASKMOVPS (AX), Y12, Y10
	VFMADD231PS Y10, Y8, Y0
dr2_reduce1:
	FOLD2(Y0, X0)
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VMULSS X9, X0, X0
	VMOVSS X0, (DI)
	ADDQ $4, DI
	ADDQ BX, SI
	DECQ R9
	JMP  dr2_single
dr2_done:
	VZEROUPPER
	RET

// Offsets in axpyRowsArgs.
#define XA_O 0
#define XA_P 8
#define XA_V 16
#define XA_NK 24
#define XA_DH 32
#define XA_VS 40

// func axpyRowsAVX2(a *axpyRowsArgs)
// o[d] = sum_j p[j] * v[j*vs + d] for d < dh. Register plan: groups of 32
// dims accumulate in Y0-Y3 with Y4-Y7 loading the value chunks and Y8 the
// broadcast probability; the last dh%32 dims go 8 at a time through Y0
// under the mask Y12 (all lanes but in the last chunk).
TEXT ·axpyRowsAVX2(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), R13
	MOVQ XA_O(R13), DI
	MOVQ XA_V(R13), R11
	MOVQ XA_DH(R13), R8
	MOVQ XA_VS(R13), R12
	SHLQ $2, R12
xr2_group:
	CMPQ R8, $32
	JB   xr2_chunk
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ XA_P(R13), SI
	MOVQ R11, AX
	MOVQ XA_NK(R13), R9
xr2_key:
	VBROADCASTSS (SI), Y8
	VFMADD231PS (AX), Y8, Y0
	VFMADD231PS 32(AX), Y8, Y1
	VFMADD231PS 64(AX), Y8, Y2
	VFMADD231PS 96(AX), Y8, Y3
	ADDQ R12, AX
	ADDQ $4, SI
	DECQ R9
	JNZ  xr2_key
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, DI
	ADDQ $128, R11
	SUBQ $32, R8
	JMP  xr2_group
xr2_chunk:
	TESTQ R8, R8
	JZ    xr2_done
	MOVQ R8, CX
	CMPQ CX, $8
	JBE  xr2_mask
	MOVQ $8, CX
xr2_mask:
	TAILMASK2
	VXORPS Y0, Y0, Y0
	MOVQ XA_P(R13), SI
	MOVQ R11, AX
	MOVQ XA_NK(R13), R9
xr2_key1:
	VBROADCASTSS (SI), Y8
	VMASKMOVPS (AX), Y12, Y4
	VFMADD231PS Y4, Y8, Y0
	ADDQ R12, AX
	ADDQ $4, SI
	DECQ R9
	JNZ  xr2_key1
	VMASKMOVPS Y0, Y12, (DI)
	ADDQ $32, DI
	ADDQ $32, R11
	SUBQ CX, R8
	JMP  xr2_chunk
xr2_done:
	VZEROUPPER
	RET

// Offsets in gatherArgs.
#define GA_QT 0
#define GA_Q 8
#define GA_IDX 16
#define GA_NQ 24
#define GA_DH 32

// func gatherT8AVX2(a *gatherArgs)
// qt[d*8 + r] = q[idx[r] + d] for r < nq, 0 for the other lanes, d < dh.
// Register plan: Y1 holds the 8 row offsets, Y2 the lane mask (copied to
// Y3 for each gather, which clears its mask), Y0 the gathered column.
TEXT ·gatherT8AVX2(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), R13
	MOVQ GA_QT(R13), DI
	MOVQ GA_Q(R13), SI
	MOVQ GA_IDX(R13), AX
	VMOVDQU (AX), Y1
	MOVQ GA_NQ(R13), CX
	TAILMASK2
	VMOVDQU Y12, Y2
	MOVQ GA_DH(R13), R9
gt2_loop:
	VXORPS Y0, Y0, Y0
	VMOVDQU Y2, Y3
	VGATHERDPS Y3, (SI)(Y1*4), Y0
	VMOVUPS Y0, (DI)
	ADDQ $4, SI
	ADDQ $32, DI
	DECQ R9
	JNZ  gt2_loop
	VZEROUPPER
	RET
