//go:build !purego

// Probes of the WORD-encoded instructions of neon_arm64.h, one per
// instruction; neon_encoding_arm64_test.go checks each against Go.

#include "textflag.h"
#include "neon_arm64.h"

// Each probe loads a into V3 and b into V17, runs one instruction with
// V29 as destination (register numbers 3, 17 and 29 set bits in every
// register field) and stores V29 to dst.
#define PROBE_IN MOVD dst+0(FP), R0; MOVD a+8(FP), R1; MOVD b+16(FP), R2; VLD1 (R1), [V3.S4]; VLD1 (R2), [V17.S4]; VEOR V29.B16, V29.B16, V29.B16
#define PROBE_OUT VST1 [V29.S4], (R0); RET

// func neonProbeFADD(dst, a, b *[4]float32)
TEXT ·neonProbeFADD(SB), NOSPLIT, $0-24
	PROBE_IN
	FADD_4S(29, 3, 17)
	PROBE_OUT

// func neonProbeFSUB(dst, a, b *[4]float32)
TEXT ·neonProbeFSUB(SB), NOSPLIT, $0-24
	PROBE_IN
	FSUB_4S(29, 3, 17)
	PROBE_OUT

// func neonProbeFMUL(dst, a, b *[4]float32)
TEXT ·neonProbeFMUL(SB), NOSPLIT, $0-24
	PROBE_IN
	FMUL_4S(29, 3, 17)
	PROBE_OUT

// func neonProbeFDIV(dst, a, b *[4]float32)
TEXT ·neonProbeFDIV(SB), NOSPLIT, $0-24
	PROBE_IN
	FDIV_4S(29, 3, 17)
	PROBE_OUT

// func neonProbeFMAX(dst, a, b *[4]float32)
TEXT ·neonProbeFMAX(SB), NOSPLIT, $0-24
	PROBE_IN
	FMAX_4S(29, 3, 17)
	PROBE_OUT

// func neonProbeFMIN(dst, a, b *[4]float32)
TEXT ·neonProbeFMIN(SB), NOSPLIT, $0-24
	PROBE_IN
	FMIN_4S(29, 3, 17)
	PROBE_OUT

// func neonProbeFCMGE(dst, a, b *[4]float32)
TEXT ·neonProbeFCMGE(SB), NOSPLIT, $0-24
	PROBE_IN
	FCMGE_4S(29, 3, 17)
	PROBE_OUT

// func neonProbeFCMGT(dst, a, b *[4]float32)
TEXT ·neonProbeFCMGT(SB), NOSPLIT, $0-24
	PROBE_IN
	FCMGT_4S(29, 3, 17)
	PROBE_OUT

// func neonProbeFADDP4(dst, a, b *[4]float32)
TEXT ·neonProbeFADDP4(SB), NOSPLIT, $0-24
	PROBE_IN
	FADDP_4S(29, 3, 17)
	PROBE_OUT

// func neonProbeFABS(dst, a, b *[4]float32)
TEXT ·neonProbeFABS(SB), NOSPLIT, $0-24
	PROBE_IN
	FABS_4S(29, 17)
	PROBE_OUT

// func neonProbeFNEG(dst, a, b *[4]float32)
TEXT ·neonProbeFNEG(SB), NOSPLIT, $0-24
	PROBE_IN
	FNEG_4S(29, 17)
	PROBE_OUT

// func neonProbeFRINTN(dst, a, b *[4]float32)
TEXT ·neonProbeFRINTN(SB), NOSPLIT, $0-24
	PROBE_IN
	FRINTN_4S(29, 17)
	PROBE_OUT

// func neonProbeFCVTZS(dst, a, b *[4]float32)
TEXT ·neonProbeFCVTZS(SB), NOSPLIT, $0-24
	PROBE_IN
	FCVTZS_4S(29, 17)
	PROBE_OUT

// func neonProbeFADDP2(dst, a, b *[4]float32)
TEXT ·neonProbeFADDP2(SB), NOSPLIT, $0-24
	PROBE_IN
	FADDP_S2(29, 17)
	PROBE_OUT

// func neonProbeFMAXV(dst, a, b *[4]float32)
TEXT ·neonProbeFMAXV(SB), NOSPLIT, $0-24
	PROBE_IN
	FMAXV_4S(29, 17)
	PROBE_OUT

// func neonProbeFMLAELEM0(dst, a, b *[4]float32)
TEXT ·neonProbeFMLAELEM0(SB), NOSPLIT, $0-24
	PROBE_IN
	VORR V3.B16, V3.B16, V29.B16; FMLA_ELEM_4S(29, 3, 17, 0)
	PROBE_OUT

// func neonProbeFMLAELEM1(dst, a, b *[4]float32)
TEXT ·neonProbeFMLAELEM1(SB), NOSPLIT, $0-24
	PROBE_IN
	VORR V3.B16, V3.B16, V29.B16; FMLA_ELEM_4S(29, 3, 17, 1)
	PROBE_OUT

// func neonProbeFMLAELEM2(dst, a, b *[4]float32)
TEXT ·neonProbeFMLAELEM2(SB), NOSPLIT, $0-24
	PROBE_IN
	VORR V3.B16, V3.B16, V29.B16; FMLA_ELEM_4S(29, 3, 17, 2)
	PROBE_OUT

// func neonProbeFMLAELEM3(dst, a, b *[4]float32)
TEXT ·neonProbeFMLAELEM3(SB), NOSPLIT, $0-24
	PROBE_IN
	VORR V3.B16, V3.B16, V29.B16; FMLA_ELEM_4S(29, 3, 17, 3)
	PROBE_OUT

// func neonProbeSSHR(dst, a, b *[4]float32)
TEXT ·neonProbeSSHR(SB), NOSPLIT, $0-24
	PROBE_IN
	SSHR_4S(29, 17, 1)
	PROBE_OUT

// The SMMLA of the I8MM int8 kernel (qmatmul_i8mm_arm64.s), whose WORDs
// _qgemmgen writes: dst holds the 2x2 int32 accumulator, a the 2x8 s8 left
// operand, b the 8x2 right one (its two columns of 8). Two register
// triples, (29, 3, 17) and their complements (2, 28, 14), set and clear
// every bit of each register field.

// func neonProbeSMMLA(dst *[4]int32, a, b *[16]int8)
TEXT ·neonProbeSMMLA(SB), NOSPLIT, $0-24
	MOVD dst+0(FP), R0
	MOVD a+8(FP), R1
	MOVD b+16(FP), R2
	VLD1 (R0), [V29.S4]
	VLD1 (R1), [V3.B16]
	VLD1 (R2), [V17.B16]
	WORD $0x4E91A47D // SMMLA V29.4S, V3.16B, V17.16B
	VST1 [V29.S4], (R0)
	RET

// func neonProbeSMMLAComplement(dst *[4]int32, a, b *[16]int8)
TEXT ·neonProbeSMMLAComplement(SB), NOSPLIT, $0-24
	MOVD dst+0(FP), R0
	MOVD a+8(FP), R1
	MOVD b+16(FP), R2
	VLD1 (R0), [V2.S4]
	VLD1 (R1), [V28.B16]
	VLD1 (R2), [V14.B16]
	WORD $0x4E8EA782 // SMMLA V2.4S, V28.16B, V14.16B
	VST1 [V2.S4], (R0)
	RET
