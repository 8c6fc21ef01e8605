//go:build !purego

#include "textflag.h"
#include "attention_avx512_amd64.h"

// The row path of AVX-512 attention (decode, sparsemax, the online-softmax
// rows of Tiled): one query row scored against every key (dotRowsAVX512)
// and its probabilities times the value rows (axpyRowsAVX512).

// Offsets in dotRowsArgs.
#define DA_S 0
#define DA_Q 8
#define DA_K 16
#define DA_NK 24
#define DA_DH 32
#define DA_KS 40
#define DA_SCALE 48

// FOLD folds Z to its low 128 bits (sum of the halves); Z14 clobbered.
#define FOLD(Z, Y, X) \
	VEXTRACTF64X4 $1, Z, Y14; \
	VADDPS Y14, Y, Y; \
	VEXTRACTF128 $1, Y, X14; \
	VADDPS X14, X, X

// func dotRowsAVX512(a *dotRowsArgs)
// s[j] = scale * dot(q, k[j*ks : j*ks+dh]) for j < nk: the scores of one
// query row, the decode path. Register plan: Z0-Z3 accumulate 4 keys, Z8
// holds a 16-value chunk of q; a tail chunk is loaded under K1. The four
// sums fold to 128 bits and two rounds of VHADDPS leave the 4 scores in X0.
TEXT ·dotRowsAVX512(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), R13
	MOVQ DA_S(R13), DI
	MOVQ DA_K(R13), SI
	MOVQ DA_NK(R13), R9
	MOVQ DA_KS(R13), BX
	SHLQ $2, BX
	LEAQ (BX)(BX*2), R12
	VBROADCASTSS DA_SCALE(R13), Z9
	MOVQ DA_DH(R13), CX
	ANDQ $15, CX
	TAILMASK
dr_block4:
	CMPQ R9, $4
	JB   dr_single
	MOVQ SI, AX
	MOVQ DA_Q(R13), R8
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	MOVQ DA_DH(R13), R11
dr_d4:
	CMPQ R11, $16
	JB   dr_tail4
	VMOVUPS (R8), Z8
	VFMADD231PS (AX), Z8, Z0
	VFMADD231PS (AX)(BX*1), Z8, Z1
	VFMADD231PS (AX)(BX*2), Z8, Z2
	VFMADD231PS (AX)(R12*1), Z8, Z3
	ADDQ $64, AX
	ADDQ $64, R8
	SUBQ $16, R11
	JMP  dr_d4
dr_tail4:
	TESTQ R11, R11
	JZ    dr_reduce4
	VMOVUPS.Z (R8), K1, Z8
	VMOVUPS.Z (AX), K1, Z10
	VMOVUPS.Z (AX)(BX*1), K1, Z11
	VMOVUPS.Z (AX)(BX*2), K1, Z12
	VMOVUPS.Z (AX)(R12*1), K1, Z13
	VFMADD231PS Z10, Z8, Z0
	VFMADD231PS Z11, Z8, Z1
	VFMADD231PS Z12, Z8, Z2
	VFMADD231PS Z13, Z8, Z3
dr_reduce4:
	FOLD(Z0, Y0, X0)
	FOLD(Z1, Y1, X1)
	FOLD(Z2, Y2, X2)
	FOLD(Z3, Y3, X3)
	VHADDPS X1, X0, X0
	VHADDPS X3, X2, X2
	VHADDPS X2, X0, X0
	VMULPS X9, X0, X0
	VMOVUPS X0, (DI)
	ADDQ $16, DI
	LEAQ (SI)(BX*4), SI
	SUBQ $4, R9
	JMP  dr_block4
dr_single:
	TESTQ R9, R9
	JZ    dr_done
	MOVQ SI, AX
	MOVQ DA_Q(R13), R8
	VXORPS Z0, Z0, Z0
	MOVQ DA_DH(R13), R11
dr_d1:
	CMPQ R11, $16
	JB   dr_tail1
	VMOVUPS (R8), Z8
	VFMADD231PS (AX), Z8, Z0
	ADDQ $64, AX
	ADDQ $64, R8
	SUBQ $16, R11
	JMP  dr_d1
dr_tail1:
	TESTQ R11, R11
	JZ    dr_reduce1
	VMOVUPS.Z (R8), K1, Z8
	VMOVUPS.Z (AX), K1, Z10
	VFMADD231PS Z10, Z8, Z0
dr_reduce1:
	FOLD(Z0, Y0, X0)
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VMULSS X9, X0, X0
	VMOVSS X0, (DI)
	ADDQ $4, DI
	ADDQ BX, SI
	DECQ R9
	JMP  dr_single
dr_done:
	VZEROUPPER
	RET

// Offsets in axpyRowsArgs.
#define XA_O 0
#define XA_P 8
#define XA_V 16
#define XA_NK 24
#define XA_DH 32
#define XA_VS 40

// func axpyRowsAVX512(a *axpyRowsArgs)
// o[d] = sum_j p[j] * v[j*vs + d] for d < dh: one query row's P*V, the
// decode path. Register plan: per group of 64 dims (masks K1-K4), Z0-Z3
// accumulate even keys and Z4-Z7 odd keys (two chains hide the FMA
// latency), Z16-Z19 and Z10-Z13 hold the value chunks, Z8 and Z9 the
// broadcast probabilities.
TEXT ·axpyRowsAVX512(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), R13
	MOVQ XA_O(R13), DI
	MOVQ XA_V(R13), R11
	MOVQ XA_DH(R13), R8
	MOVQ XA_VS(R13), R12
	SHLQ $2, R12
xr_group:
	CMPQ R8, $0
	JLE  xr_done
	MKMASK(0, K1)
	MKMASK(16, K2)
	MKMASK(32, K3)
	MKMASK(48, K4)
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7
	MOVQ XA_P(R13), SI
	MOVQ R11, AX
	MOVQ XA_NK(R13), DX
xr_pair:
	CMPQ DX, $2
	JB   xr_one
	VBROADCASTSS (SI), Z8
	VBROADCASTSS 4(SI), Z9
	VMOVUPS.Z (AX), K1, Z16
	VMOVUPS.Z 64(AX), K2, Z17
	VMOVUPS.Z 128(AX), K3, Z18
	VMOVUPS.Z 192(AX), K4, Z19
	VMOVUPS.Z (AX)(R12*1), K1, Z10
	VMOVUPS.Z 64(AX)(R12*1), K2, Z11
	VMOVUPS.Z 128(AX)(R12*1), K3, Z12
	VMOVUPS.Z 192(AX)(R12*1), K4, Z13
	VFMADD231PS Z16, Z8, Z0
	VFMADD231PS Z17, Z8, Z1
	VFMADD231PS Z18, Z8, Z2
	VFMADD231PS Z19, Z8, Z3
	VFMADD231PS Z10, Z9, Z4
	VFMADD231PS Z11, Z9, Z5
	VFMADD231PS Z12, Z9, Z6
	VFMADD231PS Z13, Z9, Z7
	LEAQ (AX)(R12*2), AX
	ADDQ $8, SI
	SUBQ $2, DX
	JMP  xr_pair
xr_one:
	TESTQ DX, DX
	JZ    xr_store
	VBROADCASTSS (SI), Z8
	VMOVUPS.Z (AX), K1, Z16
	VMOVUPS.Z 64(AX), K2, Z17
	VMOVUPS.Z 128(AX), K3, Z18
	VMOVUPS.Z 192(AX), K4, Z19
	VFMADD231PS Z16, Z8, Z0
	VFMADD231PS Z17, Z8, Z1
	VFMADD231PS Z18, Z8, Z2
	VFMADD231PS Z19, Z8, Z3
xr_store:
	VADDPS Z4, Z0, Z0
	VADDPS Z5, Z1, Z1
	VADDPS Z6, Z2, Z2
	VADDPS Z7, Z3, Z3
	VMOVUPS Z0, K1, (DI)
	VMOVUPS Z1, K2, 64(DI)
	VMOVUPS Z2, K3, 128(DI)
	VMOVUPS Z3, K4, 192(DI)
	ADDQ $256, DI
	ADDQ $256, R11
	SUBQ $64, R8
	JMP  xr_group
xr_done:
	VZEROUPPER
	RET
