//go:build !purego

#include "textflag.h"
#include "rows_reduce_amd64.h"
#include "rows_gelu_amd64.h"

// Row kernels for AVX2 + FMA. Every kernel walks its row 8 values (one Y
// register) at a time and finishes a tail of r < 8 values with VMASKMOVPS
// under a mask read from ·tailMask at (8-r)*4 (masked lanes load as 0 and
// are not stored).
//
// Register plan of the exp kernels (softmax, sigmoid, SiLU, the gated
// sigmoid; GELU has its own, see GELU2 below): Y15 holds
// -88 and Y14 88.75 (the exp clamps, in registers so that a NaN input passes
// VMAXPS/VMINPS), Y13 1.0; the other constants are memory operands from
// ·vecConsts (offsets = row*32, see rows_consts_amd64.go). Y0-Y3 hold the
// values, Y4-Y11 temporaries (the gated sigmoid keeps its -a and -c in
// Y11 and Y10), Y12 the tail mask.
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
	TAILMASK2(DX)
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
	TAILMASK2(DX)
	VMASKMOVPS (SI), Y12, Y0
	SILU2(Y0, Y7, Y4, Y5, Y6)
	VMASKMOVPS Y0, Y12, (DI)
silu2_done:
	VZEROUPPER
	RET

// GATED2 sets x = x/(1 + exp(-z)), z = x (a + c x^2) = a x + c x^3: the
// gated sigmoid of quick_gelu (c = 0) and gelu_pytorch_tanh, SiLU2 with z
// for x. Y11 holds -a and Y10 -c, so GZ2's e = x fma(-c x, x, -a) is -z
// in three roundings (with c = 0 the FMA gives -a exactly, and z has one
// rounding); GQ2 divides x by 1 + exp(-z). A finite x gives x or -0 where
// z passes the exp's clamps (z = +-Inf, for |x| beyond 1e19, included),
// never NaN; NaN stays NaN.
#define GZ2(x, e) \
	VMULPS Y10, x, e; \
	VFMADD213PS Y11, x, e; \
	VMULPS x, e, e

#define GQ2(x, e) \
	VADDPS Y13, e, e; \
	VDIVPS e, x, x

#define GATED2(x, e, n, q, r2) \
	GZ2(x, e); \
	EXP2(e, n, q, r2); \
	GQ2(x, e)

// GATED2X2 interleaves two vectors, x in Y0 and Y1, stage by stage.
#define GATED2X2 \
	GZ2(Y0, Y7); \
	GZ2(Y1, Y8); \
	EXP2(Y7, Y4, Y5, Y6); \
	EXP2(Y8, Y2, Y3, Y9); \
	GQ2(Y0, Y7); \
	GQ2(Y1, Y8)

// func gatedSigmoidAVX2(dst, x []float32, a, c float32)
//
// Register plan: LOADEXP2's Y13-Y15 (1.0 and the exp's clamps), Y11 -a and
// Y10 -c broadcast; two vectors a turn, x in Y0 and Y1 (the results), -z
// and then 1 + exp(-z) in Y7 and Y8, the exps' temporaries Y4-Y6 and
// Y2, Y3, Y9; then one vector (Y0, Y7, Y4-Y6) and a masked tail under
// Y12. Two independent chains a turn measured about 10% faster than one
// at 197x3072 (bench: BenchmarkQuickGELU197x3072): the division's latency
// hides behind the other vector's exp.
TEXT ·gatedSigmoidAVX2(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	LOADEXP2
	VBROADCASTSS a+48(FP), Y11
	VBROADCASTSS c+52(FP), Y10
	VXORPS ·vecConsts+960(SB), Y11, Y11
	VXORPS ·vecConsts+960(SB), Y10, Y10
gate2_loop2:
	CMPQ CX, $16
	JB   gate2_one
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	GATED2X2
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  gate2_loop2
gate2_one:
	CMPQ CX, $8
	JB   gate2_tail
	VMOVUPS (SI), Y0
	GATED2(Y0, Y7, Y4, Y5, Y6)
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
gate2_tail:
	TESTQ CX, CX
	JZ    gate2_done
	TAILMASK2(DX)
	VMASKMOVPS (SI), Y12, Y0
	GATED2(Y0, Y7, Y4, Y5, Y6)
	VMASKMOVPS Y0, Y12, (DI)
gate2_done:
	VZEROUPPER
	RET

// GELU2 is GELU512 (rows_avx512_amd64.s) in 8 lanes: gelu(x) = relu(x) -
// m exp((Q(m) - a^2)/2), a = min(|x|, 14.5), m = a/(1.25 a + c) by VDIVPS,
// the same reduction of the doubled exponent. 2^n is the bits of n +
// 1.5*2^23 + 127 shifted left by 23 (the low 9 bits are n + 127), with n
// clamped to -127 first (the bit pattern of 0), so values under 2^-126
// flush to 0: they stay below |result| = 1e-38. A NaN x gives a = 14.5
// (VMINPS returns its memory operand) and passes through relu(x).
//
// Register plan: constants Y15 0, Y14 log2(e)/2, the others are memory
// operands (offsets in rows_gelu_amd64.h); one vector takes seven
// registers x, a, u, t, m, h, e (Y0-Y6 and Y7-Y13 for two at a time), x
// holding the result; t takes Q(m) and then exp(r/2), h the bits of
// n + 1.5*2^23 + 127 and then 2^n, e n, u the divisor and then r.

// GYA: a = min(|x|, 14.5), m = a/(1.25 a + c).
#define GYA(x, a, u, m) \
	VANDPS  ·vecConsts+G_ABS(SB), x, a; \
	VMINPS  ·vecConsts+G_CLAMP(SB), a, a; \
	VMOVUPS ·vecConsts+G_C(SB), u; \
	VFMADD231PS ·vecConsts+G_S(SB), a, u; \
	VDIVPS  u, a, m

// GYP: t = Q(m).
#define GYP(m, t) \
	VMOVUPS ·vecConsts+G_Q8(SB), t; \
	VFMADD213PS ·vecConsts+G_Q7(SB), m, t; \
	VFMADD213PS ·vecConsts+G_Q6(SB), m, t; \
	VFMADD213PS ·vecConsts+G_Q5(SB), m, t; \
	VFMADD213PS ·vecConsts+G_Q4(SB), m, t; \
	VFMADD213PS ·vecConsts+G_Q3(SB), m, t; \
	VFMADD213PS ·vecConsts+G_Q2(SB), m, t; \
	VFMADD213PS ·vecConsts+G_Q1(SB), m, t; \
	VFMADD213PS ·vecConsts+G_Q0(SB), m, t

// GYR: h = round((Q - a*a) log2(e)/2) + 1.5*2^23 + 127, e = n, u = r =
// (fl(-a*a - 2n ln2hi) + Q) - 2n ln2lo, Q in t.
#define GYR(t, a, u, h, e) \
	VMOVAPS t, h; \
	VFNMADD231PS a, a, h; \
	VFMADD213PS ·vecConsts+G_RND(SB), Y14, h; \
	VSUBPS  ·vecConsts+G_RND(SB), h, e; \
	VMULPS  ·vecConsts+G_LN2HI(SB), e, u; \
	VFNMADD231PS a, a, u; \
	VADDPS  t, u, u; \
	VFMADD231PS ·vecConsts+G_LN2LO(SB), e, u

// GYE: t = exp(r/2) (= exp((Q - a^2)/2) / 2^n), r in u.
#define GYE(u, t) \
	VMOVUPS ·vecConsts+G_E6(SB), t; \
	VFMADD213PS ·vecConsts+G_E5(SB), u, t; \
	VFMADD213PS ·vecConsts+G_E4(SB), u, t; \
	VFMADD213PS ·vecConsts+G_E3(SB), u, t; \
	VFMADD213PS ·vecConsts+G_E2(SB), u, t; \
	VFMADD213PS ·vecConsts+G_HALF(SB), u, t; \
	VFMADD213PS ·vecConsts+G_ONE(SB), u, t

// GYF: x = relu(x) - m t 2^n, 2^n from the bits in h (n >= -127).
#define GYF(x, t, h, m) \
	VPMAXSD ·vecConsts+G_NMIN(SB), h, h; \
	VPSLLD  $23, h, h; \
	VMULPS  h, t, t; \
	VMAXPS  x, Y15, x; \
	VFNMADD231PS t, m, x

#define GELU2(x, a, u, t, m, h, e) \
	GYA(x, a, u, m); \
	GYP(m, t); \
	GYR(t, a, u, h, e); \
	GYE(u, t); \
	GYF(x, t, h, m)

// GELU2X2 interleaves two vectors (Y0, Y7), stage by stage.
#define GELU2X2 \
	GYA(Y0, Y1, Y2, Y4); \
	GYA(Y7, Y8, Y9, Y11); \
	GYP(Y4, Y3); \
	GYP(Y11, Y10); \
	GYR(Y3, Y1, Y2, Y5, Y6); \
	GYR(Y10, Y8, Y9, Y12, Y13); \
	GYE(Y2, Y3); \
	GYE(Y9, Y10); \
	GYF(Y0, Y3, Y5, Y4); \
	GYF(Y7, Y10, Y12, Y11)

// func geluAVX2(dst, x []float32)
TEXT ·geluAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	VXORPS  Y15, Y15, Y15
	VMOVUPS ·vecConsts+G_LOG2E(SB), Y14
gelu2_loop2:
	CMPQ CX, $16
	JB   gelu2_one
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y7
	GELU2X2
	VMOVUPS Y0, (DI)
	VMOVUPS Y7, 32(DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  gelu2_loop2
gelu2_one:
	CMPQ CX, $8
	JB   gelu2_tail
	VMOVUPS (SI), Y0
	GELU2(Y0, Y1, Y2, Y3, Y4, Y5, Y6)
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
gelu2_tail:
	TESTQ CX, CX
	JZ    gelu2_done
	TAILMASK2(DX)
	VMASKMOVPS (SI), Y12, Y0
	GELU2(Y0, Y1, Y2, Y3, Y4, Y5, Y6)
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
	TAILMASK2(DX)
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
	TAILMASK2(DX)
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
	TAILMASK2(DX)
	VMASKMOVPS (R9), Y12, Y0
	VMULPS Y3, Y0, Y0
	VMASKMOVPS Y0, Y12, (R9)
smx2_done:
	VZEROUPPER
	RET

// func expSumAVX2(dst, x []float32, m float32) float32
// dst[i] = exp(x[i] - m), returning the sum. Y3 holds m, Y2 the sum.
TEXT ·expSumAVX2(SB), NOSPLIT, $0-60
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	LOADEXP2
	VBROADCASTSS m+48(FP), Y3
	VXORPS Y2, Y2, Y2
es2_loop:
	CMPQ CX, $8
	JB   es2_tail
	VMOVUPS (SI), Y0
	VSUBPS Y3, Y0, Y0
	EXP2(Y0, Y4, Y5, Y6)
	VADDPS Y0, Y2, Y2
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  es2_loop
es2_tail:
	TESTQ CX, CX
	JZ    es2_done
	TAILMASK2(DX)
	VMASKMOVPS (SI), Y12, Y0
	VSUBPS Y3, Y0, Y0
	EXP2(Y0, Y4, Y5, Y6)
	VANDPS Y12, Y0, Y0
	VADDPS Y0, Y2, Y2
	VMASKMOVPS Y0, Y12, (DI)
es2_done:
	VMOVAPS Y2, Y0
	HSUM2
	VMOVSS X0, ret+56(FP)
	VZEROUPPER
	RET
