//go:build !purego

#include "textflag.h"

// Offsets in transposeArgs.
#define TA_QT 0
#define TA_Q 8
#define TA_DH 16
#define TA_QS 24
#define TA_QTS 32

// func transposeT16AVX512(a *transposeArgs)
// qt[d*qts/4 + r] = q[r*qs/4 + d] for r < 16, d < dh (a multiple of 16):
// gatherT16AVX512 for a full half-block, as 16 x 16 transposes in
// registers instead of one gather per dim (a gather of 16 lanes takes
// about 20 cycles; a 16 x 16 tile here is 16 loads, 64 shuffles and 16
// stores). Register plan, per chunk of 16 dims: Z0-Z15 the 16 rows, then
// Z16-Z31 their 32-bit interleaves (VUNPCKLPS/VUNPCKHPS of row pairs), Z0-Z15
// the 64-bit interleaves of those (u[g][k], rows 4g..4g+3, holding in
// 128-bit lane L the dim 4L+k of the 4 rows), then per k Z16-Z19 and Z20-Z23
// the two VSHUFF32X4 steps that gather lane L of u[0..3][k] into the
// output row 4L+k. SI walks the rows (R9 = qs bytes, R10 = 3*qs), DI the
// output rows (R11 = qts bytes), CX counts the chunks.
TEXT ·transposeT16AVX512(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), R13
	MOVQ TA_QT(R13), DI
	MOVQ TA_Q(R13), SI
	MOVQ TA_DH(R13), CX
	SHRQ $4, CX
	MOVQ TA_QS(R13), R9
	MOVQ TA_QTS(R13), R11
	LEAQ (R9)(R9*2), R10
	TESTQ CX, CX
	JZ    tt_done

tt_chunk:
	MOVQ SI, AX
	VMOVUPS (AX), Z0
	VMOVUPS (AX)(R9*1), Z1
	VMOVUPS (AX)(R9*2), Z2
	VMOVUPS (AX)(R10*1), Z3
	LEAQ (AX)(R9*4), AX
	VMOVUPS (AX), Z4
	VMOVUPS (AX)(R9*1), Z5
	VMOVUPS (AX)(R9*2), Z6
	VMOVUPS (AX)(R10*1), Z7
	LEAQ (AX)(R9*4), AX
	VMOVUPS (AX), Z8
	VMOVUPS (AX)(R9*1), Z9
	VMOVUPS (AX)(R9*2), Z10
	VMOVUPS (AX)(R10*1), Z11
	LEAQ (AX)(R9*4), AX
	VMOVUPS (AX), Z12
	VMOVUPS (AX)(R9*1), Z13
	VMOVUPS (AX)(R9*2), Z14
	VMOVUPS (AX)(R10*1), Z15

	// 32-bit interleaves: t[2i] = lo(r[2i], r[2i+1]), t[2i+1] = hi.
	VUNPCKLPS Z1, Z0, Z16
	VUNPCKHPS Z1, Z0, Z17
	VUNPCKLPS Z3, Z2, Z18
	VUNPCKHPS Z3, Z2, Z19
	VUNPCKLPS Z5, Z4, Z20
	VUNPCKHPS Z5, Z4, Z21
	VUNPCKLPS Z7, Z6, Z22
	VUNPCKHPS Z7, Z6, Z23
	VUNPCKLPS Z9, Z8, Z24
	VUNPCKHPS Z9, Z8, Z25
	VUNPCKLPS Z11, Z10, Z26
	VUNPCKHPS Z11, Z10, Z27
	VUNPCKLPS Z13, Z12, Z28
	VUNPCKHPS Z13, Z12, Z29
	VUNPCKLPS Z15, Z14, Z30
	VUNPCKHPS Z15, Z14, Z31

	// 64-bit interleaves: u[g][k] in Z(4g+k).
	VUNPCKLPD Z18, Z16, Z0
	VUNPCKHPD Z18, Z16, Z1
	VUNPCKLPD Z19, Z17, Z2
	VUNPCKHPD Z19, Z17, Z3
	VUNPCKLPD Z22, Z20, Z4
	VUNPCKHPD Z22, Z20, Z5
	VUNPCKLPD Z23, Z21, Z6
	VUNPCKHPD Z23, Z21, Z7
	VUNPCKLPD Z26, Z24, Z8
	VUNPCKHPD Z26, Z24, Z9
	VUNPCKLPD Z27, Z25, Z10
	VUNPCKHPD Z27, Z25, Z11
	VUNPCKLPD Z30, Z28, Z12
	VUNPCKHPD Z30, Z28, Z13
	VUNPCKLPD Z31, Z29, Z14
	VUNPCKHPD Z31, Z29, Z15

	// Per k: v0 = (u0.L0, u0.L1, u1.L0, u1.L1), v1 = (u0.L2, u0.L3, u1.L2,
	// u1.L3), v2, v3 the same of u2, u3; row 4L+k = (u0.L, u1.L, u2.L,
	// u3.L) from v0/v2 (L = 0, 1) and v1/v3 (L = 2, 3).
#define TT_K(u0, u1, u2, u3) \
	VSHUFF32X4 $0x44, u1, u0, Z16; \
	VSHUFF32X4 $0xEE, u1, u0, Z17; \
	VSHUFF32X4 $0x44, u3, u2, Z18; \
	VSHUFF32X4 $0xEE, u3, u2, Z19; \
	VSHUFF32X4 $0x88, Z18, Z16, Z20; \
	VSHUFF32X4 $0xDD, Z18, Z16, Z21; \
	VSHUFF32X4 $0x88, Z19, Z17, Z22; \
	VSHUFF32X4 $0xDD, Z19, Z17, Z23; \
	VMOVUPS Z20, (DI); \
	VMOVUPS Z21, (DI)(R11*4); \
	VMOVUPS Z22, (DI)(R11*8); \
	VMOVUPS Z23, (DI)(R12*1); \
	ADDQ R11, DI

	// R12 = 12 rows of qt: output row 4L+k is 4L rows on from row k.
	LEAQ (R11)(R11*2), R12
	SHLQ $2, R12
	TT_K(Z0, Z4, Z8, Z12)
	TT_K(Z1, Z5, Z9, Z13)
	TT_K(Z2, Z6, Z10, Z14)
	TT_K(Z3, Z7, Z11, Z15)
	// DI moved 4 rows; the chunk's 16 rows end 12 rows on.
	ADDQ R12, DI
	ADDQ $64, SI
	DECQ CX
	JNZ  tt_chunk

tt_done:
	VZEROUPPER
	RET
