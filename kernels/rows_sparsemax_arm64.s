//go:build !purego

#include "textflag.h"
#include "neon_arm64.h"

// Sparsemax of one row (SPEC.md 3.3), sparsemaxRow's steps in one call, as
// sparsemaxRowAVX512 (rows_sparsemax_amd64.s) does them on amd64:
// zs = x - max(x); Michelot's iteration tau = (sum of the z above tau - 1)
// / their count, from tau = -Inf, until the count stops falling (or is 0);
// dst = max(z - tau, 0). Each pass over zs is, per vector, a compare
// (FCMGT, ordered: a NaN never counts), an AND of the values with the
// mask, an add, and an integer subtract of the mask (all-ones lanes are
// -1) from a count; the lanes are reduced once at the end of the pass.
//
// func sparsemaxRowNEON(dst, x, zs []float32)
//
// Register plan. R0 dst, R1 x, R2 n, R3 zs; R4 and R5 walk the rows, R6
// the values left, R7 a pass's count, R8 the previous pass's (n+1 at
// first); R9 scratch for -Inf.
//   V0-V3    the 16 values in hand
//   V4-V7    their masks (z > tau)
//   V16-V19  four accumulators: the running maximum, then a pass's sum
//            (folded into F16 before the scalar tail)
//   V20-V23  four int32 counts of a pass (folded into R7)
//   V24      the maximum in every lane
//   V25      tau in every lane (F25 while it is computed)
//   V26      zero; F27 1.0; F1 the count as a float
// Loops take 16 values a turn, then whole vectors of 4, then the last 1-3
// one at a time with scalar instructions (FMAXS and FMAX both give NaN
// when an operand is NaN, as Go's max does; the tail of a pass compares
// with FCMPS and skips with BLE, which an unordered compare also takes).
// No instruction beyond those of neon_arm64.h and the Go assembler is used.

#define ZERO4(a, b, c, d) VEOR a.B16, a.B16, a.B16; VEOR b.B16, b.B16, b.B16; VEOR c.B16, c.B16, c.B16; VEOR d.B16, d.B16, d.B16

// SPM_MASKSUM folds the values of a vector above tau into a sum and their
// number into a count: v, k and s are the register numbers of the values,
// the mask and the sum (for the WORD macros); vv, vk and vc name the
// values, the mask and the count (for the Go assembler's VAND and VSUB).
#define SPM_MASKSUM(v, k, s, vv, vk, vc) \
	FCMGT_4S(k, v, 25); \
	VAND vk.B16, vv.B16, vv.B16; \
	FADD_4S(s, s, v); \
	VSUB vk.S4, vc.S4, vc.S4

TEXT ·sparsemaxRowNEON(SB), NOSPLIT, $0-72
	MOVD dst_base+0(FP), R0
	MOVD x_base+24(FP), R1
	MOVD x_len+32(FP), R2
	MOVD zs_base+48(FP), R3
	CBZ  R2, spmdone

	// Pass 1: the maximum, from -Inf.
	MOVW $0xff800000, R9
	VDUP R9, V16.S4
	VDUP R9, V17.S4
	VDUP R9, V18.S4
	VDUP R9, V19.S4
	MOVD R1, R4
	MOVD R2, R6
	SUBS $16, R6
	BLT  spmmax16done

spmmax16:
	VLD1.P 64(R4), [V0.S4, V1.S4, V2.S4, V3.S4]
	FMAX_4S(16, 16, 0)
	FMAX_4S(17, 17, 1)
	FMAX_4S(18, 18, 2)
	FMAX_4S(19, 19, 3)
	SUBS   $16, R6
	BGE    spmmax16

spmmax16done:
	ADD $16, R6

spmmax4:
	CMP    $4, R6
	BLT    spmmaxfold
	VLD1.P 16(R4), [V0.S4]
	FMAX_4S(16, 16, 0)
	SUB    $4, R6
	B      spmmax4

spmmaxfold:
	FMAX_4S(16, 16, 17)
	FMAX_4S(18, 18, 19)
	FMAX_4S(16, 16, 18)
	FMAXV_4S(16, 16)

spmmax1:
	CBZ     R6, spmshift
	FMOVS.P 4(R4), F0
	FMAXS   F0, F16, F16
	SUB     $1, R6
	B       spmmax1

	// Pass 2: zs = x - max.
spmshift:
	VDUP V16.S[0], V24.S4
	MOVD R1, R4
	MOVD R3, R5
	MOVD R2, R6
	SUBS $16, R6
	BLT  spmshift16done

spmshift16:
	VLD1.P 64(R4), [V0.S4, V1.S4, V2.S4, V3.S4]
	FSUB_4S(0, 0, 24)
	FSUB_4S(1, 1, 24)
	FSUB_4S(2, 2, 24)
	FSUB_4S(3, 3, 24)
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R5)
	SUBS   $16, R6
	BGE    spmshift16

spmshift16done:
	ADD $16, R6

spmshift4:
	CMP    $4, R6
	BLT    spmshift1
	VLD1.P 16(R4), [V0.S4]
	FSUB_4S(0, 0, 24)
	VST1.P [V0.S4], 16(R5)
	SUB    $4, R6
	B      spmshift4

spmshift1:
	CBZ     R6, spmiterate
	FMOVS.P 4(R4), F0
	FSUBS   F24, F0, F0
	FMOVS.P F0, 4(R5)
	SUB     $1, R6
	B       spmshift1

	// Pass 3, repeated: the sum and count of the z above tau.
spmiterate:
	VDUP  R9, V25.S4
	FMOVS $1.0, F27
	ADD   $1, R2, R8

spmpass:
	ZERO4(V16, V17, V18, V19)
	ZERO4(V20, V21, V22, V23)
	MOVD R3, R4
	MOVD R2, R6
	SUBS $16, R6
	BLT  spmsum16done

spmsum16:
	VLD1.P 64(R4), [V0.S4, V1.S4, V2.S4, V3.S4]
	SPM_MASKSUM(0, 4, 16, V0, V4, V20)
	SPM_MASKSUM(1, 5, 17, V1, V5, V21)
	SPM_MASKSUM(2, 6, 18, V2, V6, V22)
	SPM_MASKSUM(3, 7, 19, V3, V7, V23)
	SUBS   $16, R6
	BGE    spmsum16

spmsum16done:
	ADD $16, R6

spmsum4:
	CMP    $4, R6
	BLT    spmsumfold
	VLD1.P 16(R4), [V0.S4]
	SPM_MASKSUM(0, 4, 16, V0, V4, V20)
	SUB    $4, R6
	B      spmsum4

spmsumfold:
	FADD_4S(16, 16, 17)
	FADD_4S(18, 18, 19)
	FADD_4S(16, 16, 18)
	FADDP_4S(16, 16, 16)
	FADDP_S2(16, 16)
	VADD  V21.S4, V20.S4, V20.S4
	VADD  V23.S4, V22.S4, V22.S4
	VADD  V22.S4, V20.S4, V20.S4
	VADDV V20.S4, V20
	VMOV  V20.S[0], R7

spmsum1:
	CBZ     R6, spmsumdone
	FMOVS.P 4(R4), F0
	SUB     $1, R6
	FCMPS   F25, F0
	BLE     spmsum1 // z <= tau, or unordered
	FADDS   F0, F16, F16
	ADD     $1, R7
	B       spmsum1

spmsumdone:
	CBZ   R7, spmout
	CMP   R8, R7
	BHS   spmout
	MOVD  R7, R8
	FSUBS F27, F16, F16
	SCVTFS R7, F1
	FDIVS F1, F16, F25
	VDUP  V25.S[0], V25.S4
	B     spmpass

	// Pass 4: dst = max(z - tau, 0), a NaN passing through.
spmout:
	VEOR V26.B16, V26.B16, V26.B16
	MOVD R3, R4
	MOVD R0, R5
	MOVD R2, R6
	SUBS $16, R6
	BLT  spmout16done

spmout16:
	VLD1.P 64(R4), [V0.S4, V1.S4, V2.S4, V3.S4]
	FSUB_4S(0, 0, 25)
	FSUB_4S(1, 1, 25)
	FSUB_4S(2, 2, 25)
	FSUB_4S(3, 3, 25)
	FMAX_4S(0, 0, 26)
	FMAX_4S(1, 1, 26)
	FMAX_4S(2, 2, 26)
	FMAX_4S(3, 3, 26)
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R5)
	SUBS   $16, R6
	BGE    spmout16

spmout16done:
	ADD $16, R6

spmout4:
	CMP    $4, R6
	BLT    spmout1
	VLD1.P 16(R4), [V0.S4]
	FSUB_4S(0, 0, 25)
	FMAX_4S(0, 0, 26)
	VST1.P [V0.S4], 16(R5)
	SUB    $4, R6
	B      spmout4

spmout1:
	CBZ     R6, spmdone
	FMOVS.P 4(R4), F0
	FSUBS   F25, F0, F0
	FMAXS   F26, F0, F0
	FMOVS.P F0, 4(R5)
	SUB     $1, R6
	B       spmout1

spmdone:
	RET
