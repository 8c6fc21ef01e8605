//go:build !purego

#include "textflag.h"

// Decode-step kernels for AVX-512: one query row against the cached keys,
// four heads at a time. A key row holds the heads side by side, so four
// heads read 4*dh consecutive values of each row (1 KiB at dh 64) where
// one head reads 256 bytes 3 KiB apart, and the hardware prefetchers see
// longer runs. Both kernels take the heads' offsets as multiples of dh*4
// bytes (R10 = dh*4, R11 = 3*dh*4).

// Offsets in decodeScoresArgs.
#define DS_S 0
#define DS_Q 8
#define DS_K 16
#define DS_NK 24
#define DS_NC 32
#define DS_DHB 40
#define DS_KSB 48
#define DS_SSB 56
#define DS_SCALE 64

// func decodeScores4AVX512(a *decodeScoresArgs)
// s[hh*ss + j] = scale * sum_d q[hh*dh + d] * k[j*ks + hh*dh + d] for the
// 4 heads hh and j < nk (a multiple of 4), dh = 16*nc. Register plan: per
// block of 4 keys, Z0-Z15 accumulate (head hh, key r) in Z(4*hh + r) over
// the 16-value chunks, Z16-Z19 hold the heads' q chunks, AX, BX, CX, DX
// walk the 4 key rows. The 16 sums are then reduced together: unpacks and
// adds within 128-bit lanes (16 -> 8 -> 4 vectors), then 128-bit shuffles
// (4 -> 2 -> 1), leaving sum(Z(4*hh + r)) in lane 4*hh + r, so that each
// 128-bit lane holds one head's 4 scores. The arithmetic of a sum does not
// depend on its lane. Z20 holds the scale.
TEXT ·decodeScores4AVX512(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), R13
	MOVQ DS_S(R13), DI
	MOVQ DS_K(R13), SI
	MOVQ DS_NK(R13), R9
	MOVQ DS_DHB(R13), R10
	LEAQ (R10)(R10*2), R11
	VBROADCASTSS DS_SCALE(R13), Z20
ds_block:
	MOVQ SI, AX
	MOVQ DS_KSB(R13), R12
	LEAQ (AX)(R12*1), BX
	LEAQ (BX)(R12*1), CX
	LEAQ (CX)(R12*1), DX
	MOVQ DS_Q(R13), R8
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
	MOVQ DS_NC(R13), R12
ds_chunk:
	VMOVUPS (R8), Z16
	VFMADD231PS (AX), Z16, Z0
	VFMADD231PS (BX), Z16, Z1
	VFMADD231PS (CX), Z16, Z2
	VFMADD231PS (DX), Z16, Z3
	VMOVUPS (R8)(R10*1), Z17
	VFMADD231PS (AX)(R10*1), Z17, Z4
	VFMADD231PS (BX)(R10*1), Z17, Z5
	VFMADD231PS (CX)(R10*1), Z17, Z6
	VFMADD231PS (DX)(R10*1), Z17, Z7
	VMOVUPS (R8)(R10*2), Z18
	VFMADD231PS (AX)(R10*2), Z18, Z8
	VFMADD231PS (BX)(R10*2), Z18, Z9
	VFMADD231PS (CX)(R10*2), Z18, Z10
	VFMADD231PS (DX)(R10*2), Z18, Z11
	VMOVUPS (R8)(R11*1), Z19
	VFMADD231PS (AX)(R11*1), Z19, Z12
	VFMADD231PS (BX)(R11*1), Z19, Z13
	VFMADD231PS (CX)(R11*1), Z19, Z14
	VFMADD231PS (DX)(R11*1), Z19, Z15
	ADDQ $64, R8
	ADDQ $64, AX
	ADDQ $64, BX
	ADDQ $64, CX
	ADDQ $64, DX
	DECQ R12
	JNZ  ds_chunk
	VUNPCKLPS Z1, Z0, Z16
	VUNPCKHPS Z1, Z0, Z17
	VADDPS Z17, Z16, Z0
	VUNPCKLPS Z3, Z2, Z16
	VUNPCKHPS Z3, Z2, Z17
	VADDPS Z17, Z16, Z2
	VUNPCKLPS Z5, Z4, Z16
	VUNPCKHPS Z5, Z4, Z17
	VADDPS Z17, Z16, Z4
	VUNPCKLPS Z7, Z6, Z16
	VUNPCKHPS Z7, Z6, Z17
	VADDPS Z17, Z16, Z6
	VUNPCKLPS Z9, Z8, Z16
	VUNPCKHPS Z9, Z8, Z17
	VADDPS Z17, Z16, Z8
	VUNPCKLPS Z11, Z10, Z16
	VUNPCKHPS Z11, Z10, Z17
	VADDPS Z17, Z16, Z10
	VUNPCKLPS Z13, Z12, Z16
	VUNPCKHPS Z13, Z12, Z17
	VADDPS Z17, Z16, Z12
	VUNPCKLPS Z15, Z14, Z16
	VUNPCKHPS Z15, Z14, Z17
	VADDPS Z17, Z16, Z14
	VUNPCKLPD Z2, Z0, Z16
	VUNPCKHPD Z2, Z0, Z17
	VADDPS Z17, Z16, Z0
	VUNPCKLPD Z6, Z4, Z16
	VUNPCKHPD Z6, Z4, Z17
	VADDPS Z17, Z16, Z4
	VUNPCKLPD Z10, Z8, Z16
	VUNPCKHPD Z10, Z8, Z17
	VADDPS Z17, Z16, Z8
	VUNPCKLPD Z14, Z12, Z16
	VUNPCKHPD Z14, Z12, Z17
	VADDPS Z17, Z16, Z12
	VSHUFF32X4 $0x88, Z4, Z0, Z16
	VSHUFF32X4 $0xDD, Z4, Z0, Z17
	VADDPS Z17, Z16, Z0
	VSHUFF32X4 $0x88, Z12, Z8, Z16
	VSHUFF32X4 $0xDD, Z12, Z8, Z17
	VADDPS Z17, Z16, Z8
	VSHUFF32X4 $0x88, Z8, Z0, Z16
	VSHUFF32X4 $0xDD, Z8, Z0, Z17
	VADDPS Z17, Z16, Z0
	VMULPS Z20, Z0, Z0
	MOVQ DS_SSB(R13), R12
	VMOVUPS X0, (DI)
	VEXTRACTF32X4 $1, Z0, X16
	VMOVUPS X16, (DI)(R12*1)
	VEXTRACTF32X4 $2, Z0, X16
	VMOVUPS X16, (DI)(R12*2)
	LEAQ (R12)(R12*2), R12
	VEXTRACTF32X4 $3, Z0, X16
	VMOVUPS X16, (DI)(R12*1)
	ADDQ $16, DI
	MOVQ DS_KSB(R13), R12
	LEAQ (SI)(R12*4), SI
	SUBQ $4, R9
	JNZ  ds_block
	VZEROUPPER
	RET

// Offsets in decodePVArgs.
#define DP_O 0
#define DP_P 8
#define DP_V 16
#define DP_NK 24
#define DP_NG 32
#define DP_DHB 40
#define DP_VSB 48
#define DP_PSB 56

// func decodePV4AVX512(a *decodePVArgs)
// o[hh*dh + d] = sum_j p[hh*ps + j] * v[j*vs + hh*dh + d] for the 4 heads
// hh, j < nk (nk >= 1), dh = 64*ng. Register plan: per group of 64 dims,
// Z0-Z15 accumulate (head hh, chunk c) in Z(4*hh + c) in one chain each
// (16 independent chains cover the FMA latency), Z16-Z19 hold the heads'
// broadcast probabilities of key j, the value chunks are FMA memory
// operands; AX walks the value rows, SI the probabilities (R12 = ps*4
// bytes between heads, CX = 3*R12).
TEXT ·decodePV4AVX512(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), R13
	MOVQ DP_O(R13), DI
	MOVQ DP_V(R13), R8
	MOVQ DP_NG(R13), DX
	MOVQ DP_DHB(R13), R10
	LEAQ (R10)(R10*2), R11
	MOVQ DP_VSB(R13), BX
	MOVQ DP_PSB(R13), R12
	LEAQ (R12)(R12*2), CX
dp_group:
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
	MOVQ R8, AX
	MOVQ DP_P(R13), SI
	MOVQ DP_NK(R13), R9
dp_key:
	VBROADCASTSS (SI), Z16
	VBROADCASTSS (SI)(R12*1), Z17
	VBROADCASTSS (SI)(R12*2), Z18
	VBROADCASTSS (SI)(CX*1), Z19
	VFMADD231PS (AX), Z16, Z0
	VFMADD231PS 64(AX), Z16, Z1
	VFMADD231PS 128(AX), Z16, Z2
	VFMADD231PS 192(AX), Z16, Z3
	VFMADD231PS (AX)(R10*1), Z17, Z4
	VFMADD231PS 64(AX)(R10*1), Z17, Z5
	VFMADD231PS 128(AX)(R10*1), Z17, Z6
	VFMADD231PS 192(AX)(R10*1), Z17, Z7
	VFMADD231PS (AX)(R10*2), Z18, Z8
	VFMADD231PS 64(AX)(R10*2), Z18, Z9
	VFMADD231PS 128(AX)(R10*2), Z18, Z10
	VFMADD231PS 192(AX)(R10*2), Z18, Z11
	VFMADD231PS (AX)(R11*1), Z19, Z12
	VFMADD231PS 64(AX)(R11*1), Z19, Z13
	VFMADD231PS 128(AX)(R11*1), Z19, Z14
	VFMADD231PS 192(AX)(R11*1), Z19, Z15
	ADDQ BX, AX
	ADDQ $4, SI
	DECQ R9
	JNZ  dp_key
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	VMOVUPS Z4, (DI)(R10*1)
	VMOVUPS Z5, 64(DI)(R10*1)
	VMOVUPS Z6, 128(DI)(R10*1)
	VMOVUPS Z7, 192(DI)(R10*1)
	VMOVUPS Z8, (DI)(R10*2)
	VMOVUPS Z9, 64(DI)(R10*2)
	VMOVUPS Z10, 128(DI)(R10*2)
	VMOVUPS Z11, 192(DI)(R10*2)
	VMOVUPS Z12, (DI)(R11*1)
	VMOVUPS Z13, 64(DI)(R11*1)
	VMOVUPS Z14, 128(DI)(R11*1)
	VMOVUPS Z15, 192(DI)(R11*1)
	ADDQ $256, DI
	ADDQ $256, R8
	DECQ DX
	JNZ  dp_group
	VZEROUPPER
	RET
