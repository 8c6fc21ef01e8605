//go:build !purego

#include "textflag.h"

// Row kernels for AVX2 + FMA. Every kernel walks its row 8 values (one Y
// register) at a time and finishes a tail of r < 8 values with VMASKMOVPS
// under a mask read from ·tailMask at (8-r)*4 (masked lanes load as 0 and
// are not stored).
//
// Register plan of the exp kernels (softmax, sigmoid, SiLU, GELU): Y15 holds
// -88 and Y14 88.75 (the exp clamps, in registers so that a NaN input passes
// VMAXPS/VMINPS), Y13 1.0; the other constants are memory operands from
// ·vecConsts (offsets = row*32, see rows_consts_amd64.go). Y0-Y3 hold the
// values, Y4-Y11 temporaries, Y12 the tail mask.
// exp(x) = p(r) * 2^n, with 2^n built in the exponent field: clamping x to
// [-88, 88.75] keeps n in [-127, 128]: n = -127 gives the bit pattern of
// 0, so exp flushes to 0 below about -87.7, and n = 128 that of +Inf, so
// exp overflows from about 88.03 on (where it is within a factor 4 of
// MaxFloat32) instead of 88.72.

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

#define SIGMOID2(x, n, q, r2) \
	VXORPS ·vecConsts+960(SB), x, x; \
	EXP2(x, n, q, r2); \
	VADDPS Y13, x, x; \
	VDIVPS x, Y13, x

#define SILU2(x, e, n, q, r2) \
	VXORPS ·vecConsts+960(SB), x, e; \
	EXP2(e, n, q, r2); \
	VADDPS Y13, e, e; \
	VDIVPS e, x, x

// GELU2: see GELU512 in rows_avx512_amd64.s; the sign of x selects erfc(t)
// or 2 - erfc(t) through VBLENDVPS.
#define ERFC2(off, u, p) VFMADD213PS ·vecConsts+off(SB), u, p

#define GELU2(x, t, u, p, n, q, r2) \
	VANDPS ·vecConsts+928(SB), x, t; \
	VMULPS ·vecConsts+480(SB), t, t; \
	VMINPS ·vecConsts+544(SB), t, t; \
	VMOVAPS Y13, u; \
	VFMADD231PS ·vecConsts+448(SB), t, u; \
	VDIVPS u, Y13, u; \
	VMOVUPS ·vecConsts+576(SB), p; \
	ERFC2(608, u, p); \
	ERFC2(640, u, p); \
	ERFC2(672, u, p); \
	ERFC2(704, u, p); \
	ERFC2(736, u, p); \
	ERFC2(768, u, p); \
	ERFC2(800, u, p); \
	ERFC2(832, u, p); \
	ERFC2(864, u, p); \
	ERFC2(896, u, p); \
	VFNMADD231PS t, t, p; \
	EXP2(p, n, q, r2); \
	VMULPS u, p, p; \
	VMOVUPS ·vecConsts+512(SB), t; \
	VSUBPS p, t, t; \
	VBLENDVPS x, p, t, t; \
	VMULPS ·vecConsts+448(SB), x, x; \
	VMULPS t, x, x

// TAILMASK2 sets Y12 to a mask of the low CX lanes (CX in 1..7); AX, DX
// clobbered.
#define TAILMASK2 \
	LEAQ ·tailMask(SB), AX; \
	MOVQ $8, DX; \
	SUBQ CX, DX; \
	VMOVDQU (AX)(DX*4), Y12

// ELEMWISE2 is the loop of an elementwise kernel whose body maps Y0 to Y0.
#define HSUM2 \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPS X1, X0, X0; \
	VPERMILPS $0x4e, X0, X1; \
	VADDPS X1, X0, X0; \
	VPERMILPS $0xb1, X0, X1; \
	VADDPS X1, X0, X0

#define HMAX2 \
	VEXTRACTF128 $1, Y0, X1; \
	VMAXPS X1, X0, X0; \
	VPERMILPS $0x4e, X0, X1; \
	VMAXPS X1, X0, X0; \
	VPERMILPS $0xb1, X0, X1; \
	VMAXPS X1, X0, X0

// func sigmoidAVX2(dst, x []float32)
TEXT ·sigmoidAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	LOADEXP2
sig2_loop:
	CMPQ CX, $8
	JB   sig2_tail
	VMOVUPS (SI), Y0
	SIGMOID2(Y0, Y4, Y5, Y6)
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  sig2_loop
sig2_tail:
	TESTQ CX, CX
	JZ    sig2_done
	TAILMASK2
	VMASKMOVPS (SI), Y12, Y0
	SIGMOID2(Y0, Y4, Y5, Y6)
	VMASKMOVPS Y0, Y12, (DI)
sig2_done:
	VZEROUPPER
	RET

// func siluAVX2(dst, x []float32)
TEXT ·siluAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	LOADEXP2
silu2_loop:
	CMPQ CX, $8
	JB   silu2_tail
	VMOVUPS (SI), Y0
	SILU2(Y0, Y7, Y4, Y5, Y6)
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  silu2_loop
silu2_tail:
	TESTQ CX, CX
	JZ    silu2_done
	TAILMASK2
	VMASKMOVPS (SI), Y12, Y0
	SILU2(Y0, Y7, Y4, Y5, Y6)
	VMASKMOVPS Y0, Y12, (DI)
silu2_done:
	VZEROUPPER
	RET

// func geluAVX2(dst, x []float32)
TEXT ·geluAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	LOADEXP2
gelu2_loop:
	CMPQ CX, $8
	JB   gelu2_tail
	VMOVUPS (SI), Y0
	GELU2(Y0, Y4, Y5, Y6, Y7, Y8, Y9)
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  gelu2_loop
gelu2_tail:
	TESTQ CX, CX
	JZ    gelu2_done
	TAILMASK2
	VMASKMOVPS (SI), Y12, Y0
	GELU2(Y0, Y4, Y5, Y6, Y7, Y8, Y9)
	VMASKMOVPS Y0, Y12, (DI)
gelu2_done:
	VZEROUPPER
	RET

// func softmaxRowAVX2(dst, x []float32)
// Three passes as softmaxRowAVX512; Y3 holds the maximum, then the
// reciprocal of the sum; Y2 accumulates the sum.
TEXT ·softmaxRowAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), BX
	LOADEXP2
	VMOVUPS ·vecConsts+992(SB), Y0
	MOVQ SI, R8
	MOVQ BX, CX
smx2_max:
	CMPQ CX, $8
	JB   smx2_maxtail
	VMAXPS (R8), Y0, Y0
	ADDQ $32, R8
	SUBQ $8, CX
	JMP  smx2_max
smx2_maxtail:
	TESTQ CX, CX
	JZ    smx2_maxdone
	TAILMASK2
	VMASKMOVPS (R8), Y12, Y2
	VBLENDVPS Y12, Y2, Y0, Y2
	VMAXPS Y2, Y0, Y0
smx2_maxdone:
	HMAX2
	VBROADCASTSS X0, Y3
	VXORPS Y2, Y2, Y2
	MOVQ SI, R8
	MOVQ DI, R9
	MOVQ BX, CX
smx2_exp:
	CMPQ CX, $8
	JB   smx2_exptail
	VMOVUPS (R8), Y0
	VSUBPS Y3, Y0, Y0
	EXP2(Y0, Y4, Y5, Y6)
	VADDPS Y0, Y2, Y2
	VMOVUPS Y0, (R9)
	ADDQ $32, R8
	ADDQ $32, R9
	SUBQ $8, CX
	JMP  smx2_exp
smx2_exptail:
	TESTQ CX, CX
	JZ    smx2_expdone
	TAILMASK2
	VMASKMOVPS (R8), Y12, Y0
	VSUBPS Y3, Y0, Y0
	EXP2(Y0, Y4, Y5, Y6)
	VANDPS Y12, Y0, Y0
	VADDPS Y0, Y2, Y2
	VMASKMOVPS Y0, Y12, (R9)
smx2_expdone:
	VMOVAPS Y2, Y0
	HSUM2
	VDIVSS X0, X13, X0
	VBROADCASTSS X0, Y3
	MOVQ DI, R9
	MOVQ BX, CX
smx2_scale:
	CMPQ CX, $8
	JB   smx2_scaletail
	VMULPS (R9), Y3, Y0
	VMOVUPS Y0, (R9)
	ADDQ $32, R9
	SUBQ $8, CX
	JMP  smx2_scale
smx2_scaletail:
	TESTQ CX, CX
	JZ    smx2_done
	TAILMASK2
	VMASKMOVPS (R9), Y12, Y0
	VMULPS Y3, Y0, Y0
	VMASKMOVPS Y0, Y12, (R9)
smx2_done:
	VZEROUPPER
	RET
