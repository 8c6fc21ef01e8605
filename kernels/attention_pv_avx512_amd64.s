//go:build !purego

#include "textflag.h"

// P*V kernels for AVX-512 that keep the block's running output transposed,
// ot[d*qb + r] (dim-major, one vector of query lanes per dim), the layout of
// the score tile st[j*qb + r]. Then ot row d += sum_j V[j][d] * st row j is
// the score kernel's shape with the roles of keys and dims swapped: the
// query lanes are loaded as vectors from st, the values are broadcast, and
// each broadcast value of V is read once per block (against once per 4
// queries in pv4AVX512), with no masks for the dims.

// Offsets in pvArgs.
#define PA_O 0
#define PA_ST 8
#define PA_V 16
#define PA_C 24
#define PA_NK 32
#define PA_DH 40
#define PA_VS 48

// func pvT32AVX512(a *pvArgs)
// ot[d*32 + r] = ot[d*32 + r]*c[r] + sum_j st[j*32 + r] * v[j*vs + d] for
// a block of 32 queries, nk >= 1. Register plan: per group of 8 dims, Z0-Z15
// accumulate 8 dims x 2 vectors of lanes, Z16-Z17 hold st row j, Z18-Z25
// the 8 broadcast values v[j*vs + d..d+7], Z26-Z27 the rescale factors c:
// 10 loads per 16 FMAs, as in scoresT32AVX512. The last dh%8 dims go one
// at a time over Z0-Z3 (even and odd keys in two chains per vector).
// Each key step prefetches the value row 8 keys on into the first-level
// cache: the rows of a head are 3 KiB apart in a wide model, and the 64
// rows of a tile share few cache sets (1.14x at 64x577, measured in
// process; prefetching the next tile into L2 as well measured no gain).
TEXT ·pvT32AVX512(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), R13
	MOVQ PA_O(R13), DI
	MOVQ PA_V(R13), R11
	MOVQ PA_DH(R13), R10
	MOVQ PA_VS(R13), R12
	SHLQ $2, R12
	MOVQ PA_C(R13), AX
	VMOVUPS (AX), Z26
	VMOVUPS 64(AX), Z27
p32_group8:
	CMPQ R10, $8
	JB   p32_single
	VMULPS 0(DI), Z26, Z0
	VMULPS 64(DI), Z27, Z1
	VMULPS 128(DI), Z26, Z2
	VMULPS 192(DI), Z27, Z3
	VMULPS 256(DI), Z26, Z4
	VMULPS 320(DI), Z27, Z5
	VMULPS 384(DI), Z26, Z6
	VMULPS 448(DI), Z27, Z7
	VMULPS 512(DI), Z26, Z8
	VMULPS 576(DI), Z27, Z9
	VMULPS 640(DI), Z26, Z10
	VMULPS 704(DI), Z27, Z11
	VMULPS 768(DI), Z26, Z12
	VMULPS 832(DI), Z27, Z13
	VMULPS 896(DI), Z26, Z14
	VMULPS 960(DI), Z27, Z15
	MOVQ PA_ST(R13), SI
	MOVQ R11, AX
	MOVQ PA_NK(R13), R9
p32_key:
	PREFETCHT0 (AX)(R12*8)
	VMOVUPS (SI), Z16
	VMOVUPS 64(SI), Z17
	VBROADCASTSS 0(AX), Z18
	VBROADCASTSS 4(AX), Z19
	VBROADCASTSS 8(AX), Z20
	VBROADCASTSS 12(AX), Z21
	VBROADCASTSS 16(AX), Z22
	VBROADCASTSS 20(AX), Z23
	VBROADCASTSS 24(AX), Z24
	VBROADCASTSS 28(AX), Z25
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
	ADDQ $128, SI
	ADDQ R12, AX
	DECQ R9
	JNZ  p32_key
	VMOVUPS Z0, 0(DI)
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
	ADDQ $32, R11
	SUBQ $8, R10
	JMP  p32_group8
p32_single:
	TESTQ R10, R10
	JZ    p32_done
	VMULPS (DI), Z26, Z0
	VMULPS 64(DI), Z27, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	MOVQ PA_ST(R13), SI
	MOVQ R11, AX
	MOVQ PA_NK(R13), R9
p32_key2:
	CMPQ R9, $2
	JB   p32_key1
	VBROADCASTSS (AX), Z18
	VBROADCASTSS (AX)(R12*1), Z19
	VFMADD231PS (SI), Z18, Z0
	VFMADD231PS 64(SI), Z18, Z1
	VFMADD231PS 128(SI), Z19, Z2
	VFMADD231PS 192(SI), Z19, Z3
	LEAQ (AX)(R12*2), AX
	ADDQ $256, SI
	SUBQ $2, R9
	JMP  p32_key2
p32_key1:
	TESTQ R9, R9
	JZ    p32_single_done
	VBROADCASTSS (AX), Z18
	VFMADD231PS (SI), Z18, Z0
	VFMADD231PS 64(SI), Z18, Z1
p32_single_done:
	VADDPS Z2, Z0, Z0
	VADDPS Z3, Z1, Z1
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ $128, DI
	ADDQ $4, R11
	DECQ R10
	JMP  p32_single
p32_done:
	VZEROUPPER
	RET

// func pvT16AVX512(a *pvArgs)
// ot[d*16 + r] = ot[d*16 + r]*c[r] + sum_j st[j*16 + r] * v[j*vs + d] for
// a block of 16 queries, nk >= 1. Register plan: per group of 16 dims,
// Z0-Z15 accumulate one vector of lanes each, Z16 holds st row j, each
// value is broadcast from memory into its FMA (VFMADD231PS.BCST), Z26 holds
// c: 17 loads per 16 FMAs. The last dh%16 dims go one at a time over Z0-Z1
// (even and odd keys).
TEXT ·pvT16AVX512(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), R13
	MOVQ PA_O(R13), DI
	MOVQ PA_V(R13), R11
	MOVQ PA_DH(R13), R10
	MOVQ PA_VS(R13), R12
	SHLQ $2, R12
	MOVQ PA_C(R13), AX
	VMOVUPS (AX), Z26
p16_group16:
	CMPQ R10, $16
	JB   p16_single
	VMULPS 0(DI), Z26, Z0
	VMULPS 64(DI), Z26, Z1
	VMULPS 128(DI), Z26, Z2
	VMULPS 192(DI), Z26, Z3
	VMULPS 256(DI), Z26, Z4
	VMULPS 320(DI), Z26, Z5
	VMULPS 384(DI), Z26, Z6
	VMULPS 448(DI), Z26, Z7
	VMULPS 512(DI), Z26, Z8
	VMULPS 576(DI), Z26, Z9
	VMULPS 640(DI), Z26, Z10
	VMULPS 704(DI), Z26, Z11
	VMULPS 768(DI), Z26, Z12
	VMULPS 832(DI), Z26, Z13
	VMULPS 896(DI), Z26, Z14
	VMULPS 960(DI), Z26, Z15
	MOVQ PA_ST(R13), SI
	MOVQ R11, AX
	MOVQ PA_NK(R13), R9
p16_key:
	PREFETCHT0 (AX)(R12*8)
	VMOVUPS (SI), Z16
	VFMADD231PS.BCST 0(AX), Z16, Z0
	VFMADD231PS.BCST 4(AX), Z16, Z1
	VFMADD231PS.BCST 8(AX), Z16, Z2
	VFMADD231PS.BCST 12(AX), Z16, Z3
	VFMADD231PS.BCST 16(AX), Z16, Z4
	VFMADD231PS.BCST 20(AX), Z16, Z5
	VFMADD231PS.BCST 24(AX), Z16, Z6
	VFMADD231PS.BCST 28(AX), Z16, Z7
	VFMADD231PS.BCST 32(AX), Z16, Z8
	VFMADD231PS.BCST 36(AX), Z16, Z9
	VFMADD231PS.BCST 40(AX), Z16, Z10
	VFMADD231PS.BCST 44(AX), Z16, Z11
	VFMADD231PS.BCST 48(AX), Z16, Z12
	VFMADD231PS.BCST 52(AX), Z16, Z13
	VFMADD231PS.BCST 56(AX), Z16, Z14
	VFMADD231PS.BCST 60(AX), Z16, Z15
	ADDQ $64, SI
	ADDQ R12, AX
	DECQ R9
	JNZ  p16_key
	VMOVUPS Z0, 0(DI)
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
	ADDQ $64, R11
	SUBQ $16, R10
	JMP  p16_group16
p16_single:
	TESTQ R10, R10
	JZ    p16_done
	VMULPS (DI), Z26, Z0
	VXORPS Z1, Z1, Z1
	MOVQ PA_ST(R13), SI
	MOVQ R11, AX
	MOVQ PA_NK(R13), R9
p16_key2:
	CMPQ R9, $2
	JB   p16_key1
	VBROADCASTSS (AX), Z18
	VBROADCASTSS (AX)(R12*1), Z19
	VFMADD231PS (SI), Z18, Z0
	VFMADD231PS 64(SI), Z19, Z1
	LEAQ (AX)(R12*2), AX
	ADDQ $128, SI
	SUBQ $2, R9
	JMP  p16_key2
p16_key1:
	TESTQ R9, R9
	JZ    p16_single_done
	VBROADCASTSS (AX), Z18
	VFMADD231PS (SI), Z18, Z0
p16_single_done:
	VADDPS Z1, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, DI
	ADDQ $4, R11
	DECQ R10
	JMP  p16_single
p16_done:
	VZEROUPPER
	RET

// Offsets in outTArgs.
#define OA_OUT 0
#define OA_OT 8
#define OA_L 16
#define OA_IDX 24
#define OA_NQ 32
#define OA_DH 40
#define OA_OS 48
#define OA_QB 56

// func outT16AVX512(a *outTArgs)
// out[r*os + d] = ot[d*qb + r] / l[r] for r < nq, d < dh: the block's
// transposed running output divided by its sums, written back as rows.
// Register plan: Z1 holds the gather offsets idx[i] = i*qb, Z3 the
// broadcast 1/l[r], Z0 the 16 dims gathered from column r, K1 their mask
// (the gather clears it; K2 keeps the last chunk's), X2 the constant 1.
TEXT ·outT16AVX512(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), R13
	MOVQ OA_OUT(R13), DI
	MOVQ OA_OT(R13), SI
	MOVQ OA_L(R13), BX
	MOVQ OA_IDX(R13), AX
	VMOVDQU32 (AX), Z1
	MOVQ OA_NQ(R13), R9
	MOVQ OA_OS(R13), R10
	SHLQ $2, R10
	MOVQ OA_QB(R13), R12
	SHLQ $6, R12
	MOVQ OA_DH(R13), CX
	ANDQ $15, CX
	MOVL $0xffff, AX
	JZ   ot_fullmask
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
ot_fullmask:
	KMOVW AX, K2
	MOVL $0x3f800000, AX
	VMOVD AX, X2
ot_row:
	VDIVSS (BX), X2, X3
	VBROADCASTSS X3, Z3
	MOVQ SI, AX
	MOVQ DI, DX
	MOVQ OA_DH(R13), R11
ot_chunk:
	CMPQ R11, $16
	JBE  ot_last
	KXNORW K1, K1, K1
	VXORPS Z0, Z0, Z0
	VGATHERDPS (AX)(Z1*4), K1, Z0
	VMULPS Z3, Z0, Z0
	VMOVUPS Z0, (DX)
	ADDQ R12, AX
	ADDQ $64, DX
	SUBQ $16, R11
	JMP  ot_chunk
ot_last:
	KMOVW K2, K1
	VXORPS Z0, Z0, Z0
	VGATHERDPS (AX)(Z1*4), K1, Z0
	VMULPS Z3, Z0, Z0
	VMOVUPS Z0, K2, (DX)
	ADDQ $4, SI
	ADDQ $4, BX
	ADDQ R10, DI
	DECQ R9
	JNZ  ot_row
	VZEROUPPER
	RET
