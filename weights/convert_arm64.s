//go:build !purego

#include "textflag.h"

// F16 and BF16 to F32 converters for arm64 Advanced SIMD. Each takes dst
// []float32 and src []byte and converts len(dst) elements; len(dst) is a
// multiple of 8 and src holds 2*len(dst) bytes. No alignment is required.
//
// Register plan:
//   R0  dst pointer, R1 src pointer (both post-incremented by the loads and
//       stores), R2 elements left
//   V0, V1   16 source halves (one iteration of the 16-element loop), V0
//            alone in the 8-element loop
//   V2-V5    16 results, stored with one four-register VST1
//   V31      zero (BF16 only)
// BF16: interleave zero halves below the source halves (VZIP1/VZIP2 with
// V31 first), so that each 32-bit lane holds the bf16 in its top half.
// F16: FCVTL converts the low four halves of a register, FCVTL2 the high
// four, exactly (subnormals and NaN payloads included). The Go assembler
// has no mnemonic for them, so they are encoded with WORD:
//   FCVTL  Vd.4S, Vn.4H = 0x0E217800 | n<<5 | d
//   FCVTL2 Vd.4S, Vn.8H = 0x4E217800 | n<<5 | d

// func bf16ToF32NEON(dst []float32, src []byte)
TEXT ·bf16ToF32NEON(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), R0
	MOVD dst_len+8(FP), R2
	MOVD src_base+24(FP), R1
	VEOR V31.B16, V31.B16, V31.B16

bf16neon_loop16:
	CMP   $16, R2
	BLT   bf16neon_loop8
	VLD1.P 32(R1), [V0.H8, V1.H8]
	VZIP1 V0.H8, V31.H8, V2.H8
	VZIP2 V0.H8, V31.H8, V3.H8
	VZIP1 V1.H8, V31.H8, V4.H8
	VZIP2 V1.H8, V31.H8, V5.H8
	VST1.P [V2.S4, V3.S4, V4.S4, V5.S4], 64(R0)
	SUB   $16, R2
	B     bf16neon_loop16

bf16neon_loop8:
	CMP   $8, R2
	BLT   bf16neon_done
	VLD1.P 16(R1), [V0.H8]
	VZIP1 V0.H8, V31.H8, V2.H8
	VZIP2 V0.H8, V31.H8, V3.H8
	VST1.P [V2.S4, V3.S4], 32(R0)
	SUB   $8, R2
	B     bf16neon_loop8

bf16neon_done:
	RET

// func f16ToF32NEON(dst []float32, src []byte)
TEXT ·f16ToF32NEON(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), R0
	MOVD dst_len+8(FP), R2
	MOVD src_base+24(FP), R1

f16neon_loop16:
	CMP   $16, R2
	BLT   f16neon_loop8
	VLD1.P 32(R1), [V0.H8, V1.H8]
	WORD  $0x0E217802 // FCVTL  V2.4S, V0.4H
	WORD  $0x4E217803 // FCVTL2 V3.4S, V0.8H
	WORD  $0x0E217824 // FCVTL  V4.4S, V1.4H
	WORD  $0x4E217825 // FCVTL2 V5.4S, V1.8H
	VST1.P [V2.S4, V3.S4, V4.S4, V5.S4], 64(R0)
	SUB   $16, R2
	B     f16neon_loop16

f16neon_loop8:
	CMP   $8, R2
	BLT   f16neon_done
	VLD1.P 16(R1), [V0.H8]
	WORD  $0x0E217802 // FCVTL  V2.4S, V0.4H
	WORD  $0x4E217803 // FCVTL2 V3.4S, V0.8H
	VST1.P [V2.S4, V3.S4], 32(R0)
	SUB   $8, R2
	B     f16neon_loop8

f16neon_done:
	RET
