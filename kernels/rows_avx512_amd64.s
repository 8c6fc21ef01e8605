//go:build !purego

#include "textflag.h"
#include "rows_reduce_amd64.h"
#include "rows_gelu_amd64.h"

// Row kernels for AVX-512 (F, DQ). Every kernel walks its row 16 values
// (one Z register) at a time and finishes a tail of r < 16 values with the
// mask K1 = (1<<r)-1, zeroing masked lanes on load and leaving them
// unwritten on store.
//
// Register plan of the exp kernels (softmax, sigmoid, SiLU, the gated
// sigmoid; GELU has its own, see GELU512 below): the constants live in Z20-Z31 for the whole call, broadcast once from
// ·vecConsts (offsets = row*32, see rows_consts_amd64.go):
//   Z20 log2(e)  Z21 -ln2 hi  Z22 -ln2 lo  Z23-Z27 c6..c2  Z28 1.0
//   Z29 -104 (exp lower clamp: the result is 0)  Z30 89 (upper: +Inf)
//   Z31 scratch constant of the kernel (0.5, 2, -a, ...)
// Z0-Z3 hold the values, Z4-Z11 temporaries (the gated sigmoid also keeps
// -c in Z19 and the sign mask in Z18). exp(x) = scalef(p(r), n):
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

// GATED512 sets x = x/(1 + exp(-z)), z = x (a + c x^2) = a x + c x^3:
// the gated sigmoid of quick_gelu (c = 0) and gelu_pytorch_tanh, SILU512
// with z for x. Z31 holds -a and Z19 -c, so GZ512's e = x fma(-c x, x, -a)
// is -z in three roundings (with c = 0 the FMA gives -a exactly, and z has
// one rounding); GQ512 divides x by 1 + exp(-z). A finite x gives x or -0
// where z passes the exp's clamps, never NaN; NaN stays NaN.
#define GZ512(x, e) \
	VMULPS Z19, x, e; \
	VFMADD213PS Z31, x, e; \
	VMULPS x, e, e

#define GQ512(x, e) \
	VADDPS Z28, e, e; \
	VDIVPS e, x, x

#define GATED512(x, e, n, q, r2) \
	GZ512(x, e); \
	EXP512(e, n, q, r2); \
	GQ512(x, e)

// GATED512X2 interleaves two vectors, x in Z0 and Z1, stage by stage.
#define GATED512X2 \
	GZ512(Z0, Z7); \
	GZ512(Z1, Z8); \
	EXP512(Z7, Z4, Z5, Z6); \
	EXP512(Z8, Z9, Z10, Z11); \
	GQ512(Z0, Z7); \
	GQ512(Z1, Z8)

// func gatedSigmoidAVX512(dst, x []float32, a, c float32)
//
// Register plan: LOADEXP512's Z20-Z30, Z31 -a and Z19 -c broadcast (Z18
// the sign mask that negates them); two vectors a turn, x in Z0 and Z1
// (the results), -z and then 1 + exp(-z) in Z7 and Z8, the exps'
// temporaries Z4-Z6 and Z9-Z11; then one vector (Z0, Z7, Z4-Z6) and a
// tail under the mask K1. Two chains a turn measured a few percent faster
// than one (the exp and the division fill the FMA ports either way).
TEXT ·gatedSigmoidAVX512(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	LOADEXP512
	VBROADCASTSS ·vecConsts+960(SB), Z18
	VBROADCASTSS a+48(FP), Z31
	VBROADCASTSS c+52(FP), Z19
	VXORPS Z18, Z31, Z31
	VXORPS Z18, Z19, Z19
gate_loop2:
	CMPQ CX, $32
	JB   gate_one
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	GATED512X2
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  gate_loop2
gate_one:
	CMPQ CX, $16
	JB   gate_tail
	VMOVUPS (SI), Z0
	GATED512(Z0, Z7, Z4, Z5, Z6)
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
gate_tail:
	TESTQ CX, CX
	JZ    gate_done
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	GATED512(Z0, Z7, Z4, Z5, Z6)
	VMOVUPS Z0, K1, (DI)
gate_done:
	VZEROUPPER
	RET

// GELU writes gelu(x) = x Phi(x) as relu(x) - a Phi(-a), a = min(|x|,
// 14.5) (the tail costs one VFNMADD, no select on the sign of x), with
// a Phi(-a) = a erfc(a/sqrt2)/2 = m exp((Q(m) - a^2)/2): m = a/(1.25 a + c)
// in [0, 0.8) (one VDIVPS, correctly rounded; its latency overlaps the
// other vectors and its throughput is below the loop's), Q of degree 8 in
// powers of m (see rows_consts_amd64.go). The doubled exponent Q - a^2 is
// reduced as r = (fl(-a*a - 2n ln2hi) + Q) - 2n ln2lo with n = round((Q -
// a*a) log2(e)/2), both a*a inside an FMA: a^2 (up to 210) is never
// rounded on its own, only the difference (|.| < 2.1) is, so the negative
// side keeps its relative accuracy. exp(r/2) is a degree-6 Horner
// polynomial in r, and VSCALEFPS applies 2^n (0 for n far below -149).
// relu(x) carries NaN through; +-Inf give +Inf and 0. 27 operations per
// 16 values.
//
// Register plan: constants Z29 0, Z30 c, Z31 log2(e)/2 (the others are
// broadcast from ·vecConsts, offsets in rows_gelu_amd64.h); one vector
// takes seven registers x, a, u, t, m, h, e (Z0-Z6, Z7-Z13, Z14-Z20,
// Z21-Z27 for four at a time), x holding the result; u takes the divisor
// and then exp(r/2), t Q(m), h n, e r.

// GZA: a = min(|x|, 14.5), m = a/(1.25 a + c).
#define GZA(x, a, u, m) \
	VRANGEPS.BCST $10, ·vecConsts+G_CLAMP(SB), x, a; \
	VMOVAPS Z30, u; \
	VFMADD231PS.BCST ·vecConsts+G_S(SB), a, u; \
	VDIVPS u, a, m

// GZP: t = Q(m).
#define GZP(m, t) \
	VBROADCASTSS ·vecConsts+G_Q8(SB), t; \
	VFMADD213PS.BCST ·vecConsts+G_Q7(SB), m, t; \
	VFMADD213PS.BCST ·vecConsts+G_Q6(SB), m, t; \
	VFMADD213PS.BCST ·vecConsts+G_Q5(SB), m, t; \
	VFMADD213PS.BCST ·vecConsts+G_Q4(SB), m, t; \
	VFMADD213PS.BCST ·vecConsts+G_Q3(SB), m, t; \
	VFMADD213PS.BCST ·vecConsts+G_Q2(SB), m, t; \
	VFMADD213PS.BCST ·vecConsts+G_Q1(SB), m, t; \
	VFMADD213PS.BCST ·vecConsts+G_Q0(SB), m, t

// GZR: h = n = round((Q - a*a) log2(e)/2), e = r = (fl(-a*a - 2n ln2hi) +
// Q) - 2n ln2lo, Q in t.
#define GZR(t, a, h, e) \
	VMOVAPS t, h; \
	VFNMADD231PS a, a, h; \
	VFMADD213PS.BCST ·vecConsts+G_RND(SB), Z31, h; \
	VSUBPS.BCST ·vecConsts+G_RND(SB), h, h; \
	VMULPS.BCST ·vecConsts+G_LN2HI(SB), h, e; \
	VFNMADD231PS a, a, e; \
	VADDPS t, e, e; \
	VFMADD231PS.BCST ·vecConsts+G_LN2LO(SB), h, e

// GZE: u = exp(r/2) (= exp((Q - a^2)/2) / 2^n), r in e.
#define GZE(e, u) \
	VBROADCASTSS ·vecConsts+G_E6(SB), u; \
	VFMADD213PS.BCST ·vecConsts+G_E5(SB), e, u; \
	VFMADD213PS.BCST ·vecConsts+G_E4(SB), e, u; \
	VFMADD213PS.BCST ·vecConsts+G_E3(SB), e, u; \
	VFMADD213PS.BCST ·vecConsts+G_E2(SB), e, u; \
	VFMADD213PS.BCST ·vecConsts+G_HALF(SB), e, u; \
	VFMADD213PS.BCST ·vecConsts+G_ONE(SB), e, u

// GZF: x = relu(x) - m u 2^n, n in h.
#define GZF(x, u, h, m) \
	VSCALEFPS h, u, u; \
	VMAXPS x, Z29, x; \
	VFNMADD231PS u, m, x

#define GELU512(x, a, u, t, m, h, e) \
	GZA(x, a, u, m); \
	GZP(m, t); \
	GZR(t, a, h, e); \
	GZE(e, u); \
	GZF(x, u, h, m)

// GELU512X4 interleaves four vectors (Z0, Z7, Z14, Z21), stage by stage,
// so that their dependency chains overlap.
#define GELU512X4 \
	GZA(Z0, Z1, Z2, Z4); \
	GZA(Z7, Z8, Z9, Z11); \
	GZA(Z14, Z15, Z16, Z18); \
	GZA(Z21, Z22, Z23, Z25); \
	GZP(Z4, Z3); \
	GZP(Z11, Z10); \
	GZP(Z18, Z17); \
	GZP(Z25, Z24); \
	GZR(Z3, Z1, Z5, Z6); \
	GZR(Z10, Z8, Z12, Z13); \
	GZR(Z17, Z15, Z19, Z20); \
	GZR(Z24, Z22, Z26, Z27); \
	GZE(Z6, Z2); \
	GZE(Z13, Z9); \
	GZE(Z20, Z16); \
	GZE(Z27, Z23); \
	GZF(Z0, Z2, Z5, Z4); \
	GZF(Z7, Z9, Z12, Z11); \
	GZF(Z14, Z16, Z19, Z18); \
	GZF(Z21, Z23, Z26, Z25)

// func geluAVX512(dst, x []float32)
TEXT ·geluAVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	VXORPS       Z29, Z29, Z29
	VBROADCASTSS ·vecConsts+G_C(SB), Z30
	VBROADCASTSS ·vecConsts+G_LOG2E(SB), Z31
gelu_loop4:
	CMPQ CX, $64
	JB   gelu_one
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z7
	VMOVUPS 128(SI), Z14
	VMOVUPS 192(SI), Z21
	GELU512X4
	VMOVUPS Z0, (DI)
	VMOVUPS Z7, 64(DI)
	VMOVUPS Z14, 128(DI)
	VMOVUPS Z21, 192(DI)
	ADDQ $256, SI
	ADDQ $256, DI
	SUBQ $64, CX
	JMP  gelu_loop4
gelu_one:
	CMPQ CX, $16
	JB   gelu_tail
	VMOVUPS (SI), Z0
	GELU512(Z0, Z1, Z2, Z3, Z4, Z5, Z6)
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  gelu_one
gelu_tail:
	TESTQ CX, CX
	JZ    gelu_done
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	GELU512(Z0, Z1, Z2, Z3, Z4, Z5, Z6)
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

// func expSumAVX512(dst, x []float32, m float32) float32
// dst[i] = exp(x[i] - m), returning the sum: a tile of the online softmax.
// Z3 holds m, Z2 the sum.
TEXT ·expSumAVX512(SB), NOSPLIT, $0-60
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	LOADEXP512
	VBROADCASTSS m+48(FP), Z3
	VXORPS Z2, Z2, Z2
es_loop:
	CMPQ CX, $16
	JB   es_tail
	VMOVUPS (SI), Z0
	VSUBPS Z3, Z0, Z0
	EXP512(Z0, Z4, Z5, Z6)
	VADDPS Z0, Z2, Z2
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  es_loop
es_tail:
	TESTQ CX, CX
	JZ    es_done
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	VSUBPS Z3, Z0, Z0
	EXP512(Z0, Z4, Z5, Z6)
	VADDPS Z0, Z2, K1, Z2
	VMOVUPS Z0, K1, (DI)
es_done:
	VMOVAPS Z2, Z0
	HSUM512
	VMOVSS X0, ret+56(FP)
	VZEROUPPER
	RET
