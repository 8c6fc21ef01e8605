//go:build !purego

#include "textflag.h"

// Row kernels for AVX-512 (F, DQ). Every kernel walks its row 16 values
// (one Z register) at a time and finishes a tail of r < 16 values with the
// mask K1 = (1<<r)-1, zeroing masked lanes on load and leaving them
// unwritten on store.
//
// Register plan of the exp kernels (softmax, sigmoid, SiLU, GELU): the
// constants live in Z20-Z31 for the whole call, broadcast once from
// ·vecConsts (offsets = row*32, see rows_consts_amd64.go):
//   Z20 log2(e)  Z21 -ln2 hi  Z22 -ln2 lo  Z23-Z27 c6..c2  Z28 1.0
//   Z29 -104 (exp lower clamp: the result is 0)  Z30 89 (upper: +Inf)
//   Z31 scratch constant of the kernel (0.5, 2, ...)
// Z0-Z3 hold the values, Z4-Z11 temporaries. exp(x) = scalef(p(r), n):
// VSCALEFPS handles overflow to +Inf, underflow to 0 and the subnormals.

#define LOADEXP512 \
	VBROADCASTSS ·vecConsts+0(SB), Z20; \
	VBROADCASTSS ·vecConsts+32(SB), Z21; \
	VBROADCASTSS ·vecConsts+64(SB), Z22; \
	VBROADCASTSS ·vecConsts+96(SB), Z23; \
	VBROADCASTSS ·vecConsts+128(SB), Z24; \
	VBROADCASTSS ·vecConsts+160(SB), Z25; \
	VBROADCASTSS ·vecConsts+192(SB), Z26; \
	VBROADCASTSS ·vecConsts+224(SB), Z27; \
	VBROADCASTSS ·vecConsts+256(SB), Z28; \
	VBROADCASTSS ·vecConsts+352(SB), Z29; \
	VBROADCASTSS ·vecConsts+384(SB), Z30

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

// SIGMOID512 sets x = 1/(1+exp(-x)); Z31 holds the sign mask.
#define SIGMOID512(x, n, q, r2) \
	VXORPS Z31, x, x; \
	EXP512(x, n, q, r2); \
	VADDPS Z28, x, x; \
	VDIVPS x, Z28, x

// SILU512 sets x = x/(1+exp(-x)); e is clobbered too.
#define SILU512(x, e, n, q, r2) \
	VXORPS Z31, x, e; \
	EXP512(e, n, q, r2); \
	VADDPS Z28, e, e; \
	VDIVPS e, x, x

// Horizontal sum (max) of Z0 into the low lane of X0; Z1 clobbered.
#define HSUM512 \
	VEXTRACTF64X4 $1, Z0, Y1; \
	VADDPS Y1, Y0, Y0; \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPS X1, X0, X0; \
	VPERMILPS $0x4e, X0, X1; \
	VADDPS X1, X0, X0; \
	VPERMILPS $0xb1, X0, X1; \
	VADDPS X1, X0, X0

#define HMAX512 \
	VEXTRACTF64X4 $1, Z0, Y1; \
	VMAXPS Y1, Y0, Y0; \
	VEXTRACTF128 $1, Y0, X1; \
	VMAXPS X1, X0, X0; \
	VPERMILPS $0x4e, X0, X1; \
	VMAXPS X1, X0, X0; \
	VPERMILPS $0xb1, X0, X1; \
	VMAXPS X1, X0, X0

// TAILMASK sets K1 to the low CX bits (CX in 1..15); AX clobbered.
#define TAILMASK \
	MOVL $1, AX; \
	SHLL CX, AX; \
	DECL AX; \
	KMOVW AX, K1

// func sigmoidAVX512(dst, x []float32)
TEXT ·sigmoidAVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	LOADEXP512
	VBROADCASTSS ·vecConsts+960(SB), Z31
sig_loop:
	CMPQ CX, $16
	JB   sig_tail
	VMOVUPS (SI), Z0
	SIGMOID512(Z0, Z4, Z5, Z6)
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  sig_loop
sig_tail:
	TESTQ CX, CX
	JZ    sig_done
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	SIGMOID512(Z0, Z4, Z5, Z6)
	VMOVUPS Z0, K1, (DI)
sig_done:
	VZEROUPPER
	RET

// func siluAVX512(dst, x []float32)
TEXT ·siluAVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	LOADEXP512
	VBROADCASTSS ·vecConsts+960(SB), Z31
silu_loop:
	CMPQ CX, $16
	JB   silu_tail
	VMOVUPS (SI), Z0
	SILU512(Z0, Z7, Z4, Z5, Z6)
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  silu_loop
silu_tail:
	TESTQ CX, CX
	JZ    silu_done
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	SILU512(Z0, Z7, Z4, Z5, Z6)
	VMOVUPS Z0, K1, (DI)
silu_done:
	VZEROUPPER
	RET

// GELU512 sets x = 0.5 x (1 + erf(x/sqrt2)) computed as 0.5 x phi where
// phi = erfc(t) for x < 0 and 2 - erfc(t) otherwise, t = |x|/sqrt2; so
// the negative side keeps its relative accuracy. Z12-Z19 hold 0.5, 1/sqrt2,
// 2, 10 and the |x| mask; the erfc coefficients are broadcast from memory.
#define ERFCOEF(off, u, p) VFMADD213PS.BCST ·vecConsts+off(SB), u, p

#define GELU512(x, t, u, p, n, q, r2) \
	VANDPS Z16, x, t; \
	VMULPS Z13, t, t; \
	VMINPS t, Z15, t; \
	VMOVAPS Z28, u; \
	VFMADD231PS Z12, t, u; \
	VDIVPS u, Z28, u; \
	VBROADCASTSS ·vecConsts+576(SB), p; \
	ERFCOEF(608, u, p); \
	ERFCOEF(640, u, p); \
	ERFCOEF(672, u, p); \
	ERFCOEF(704, u, p); \
	ERFCOEF(736, u, p); \
	ERFCOEF(768, u, p); \
	ERFCOEF(800, u, p); \
	ERFCOEF(832, u, p); \
	ERFCOEF(864, u, p); \
	ERFCOEF(896, u, p); \
	VFNMADD231PS t, t, p; \
	EXP512(p, n, q, r2); \
	VMULPS u, p, p; \
	VPMOVD2M x, K2; \
	VSUBPS p, Z14, t; \
	VMOVAPS p, K2, t; \
	VMULPS Z12, x, x; \
	VMULPS t, x, x

// func geluAVX512(dst, x []float32)
TEXT ·geluAVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	LOADEXP512
	VBROADCASTSS ·vecConsts+448(SB), Z12
	VBROADCASTSS ·vecConsts+480(SB), Z13
	VBROADCASTSS ·vecConsts+512(SB), Z14
	VBROADCASTSS ·vecConsts+544(SB), Z15
	VBROADCASTSS ·vecConsts+928(SB), Z16
gelu_loop:
	CMPQ CX, $16
	JB   gelu_tail
	VMOVUPS (SI), Z0
	GELU512(Z0, Z4, Z5, Z6, Z7, Z8, Z9)
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  gelu_loop
gelu_tail:
	TESTQ CX, CX
	JZ    gelu_done
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	GELU512(Z0, Z4, Z5, Z6, Z7, Z8, Z9)
	VMOVUPS Z0, K1, (DI)
gelu_done:
	VZEROUPPER
	RET

// func softmaxRowAVX512(dst, x []float32)
// Three passes: the maximum (Z0, Z2 running), e = exp(x - max) stored to
// dst with its sum (Z2), then dst *= 1/sum. len(x) >= 1.
TEXT ·softmaxRowAVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), BX
	LOADEXP512
	// pass 1: maximum
	VBROADCASTSS ·vecConsts+992(SB), Z0
	VMOVAPS Z0, Z2
	MOVQ SI, R8
	MOVQ BX, CX
smx_max:
	CMPQ CX, $16
	JB   smx_maxtail
	VMAXPS (R8), Z0, Z0
	ADDQ $64, R8
	SUBQ $16, CX
	JMP  smx_max
smx_maxtail:
	TESTQ CX, CX
	JZ    smx_maxdone
	TAILMASK
	VMOVUPS (R8), K1, Z2
smx_maxdone:
	VMAXPS Z2, Z0, Z0
	HMAX512
	VBROADCASTSS X0, Z3
	// pass 2: exp and sum
	VXORPS Z2, Z2, Z2
	MOVQ SI, R8
	MOVQ DI, R9
	MOVQ BX, CX
smx_exp:
	CMPQ CX, $16
	JB   smx_exptail
	VMOVUPS (R8), Z0
	VSUBPS Z3, Z0, Z0
	EXP512(Z0, Z4, Z5, Z6)
	VADDPS Z0, Z2, Z2
	VMOVUPS Z0, (R9)
	ADDQ $64, R8
	ADDQ $64, R9
	SUBQ $16, CX
	JMP  smx_exp
smx_exptail:
	TESTQ CX, CX
	JZ    smx_expdone
	TAILMASK
	VMOVUPS.Z (R8), K1, Z0
	VSUBPS Z3, Z0, Z0
	EXP512(Z0, Z4, Z5, Z6)
	VADDPS Z0, Z2, K1, Z2
	VMOVUPS Z0, K1, (R9)
smx_expdone:
	VMOVAPS Z2, Z0
	HSUM512
	VDIVSS X0, X28, X0
	VBROADCASTSS X0, Z3
	// pass 3: scale by the reciprocal of the sum
	MOVQ DI, R9
	MOVQ BX, CX
smx_scale:
	CMPQ CX, $16
	JB   smx_scaletail
	VMULPS (R9), Z3, Z0
	VMOVUPS Z0, (R9)
	ADDQ $64, R9
	SUBQ $16, CX
	JMP  smx_scale
smx_scaletail:
	TESTQ CX, CX
	JZ    smx_done
	TAILMASK
	VMOVUPS.Z (R9), K1, Z0
	VMULPS Z3, Z0, Z0
	VMOVUPS Z0, K1, (R9)
smx_done:
	VZEROUPPER
	RET
