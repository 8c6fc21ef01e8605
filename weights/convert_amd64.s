//go:build !purego

#include "textflag.h"

// F16 and BF16 to F32 converters. Each takes dst []float32 and src []byte
// and converts len(dst) elements; len(dst) is a multiple of the routine's
// vector width (8 for the YMM routines, 16 for the ZMM ones), and src holds
// 2*len(dst) bytes. No alignment is required.
//
// Register plan (all four routines):
//   DI  dst pointer, advanced by 4 bytes per element
//   SI  src pointer, advanced by 2 bytes per element
//   CX  elements left
//   Y0-Y3 / Z0-Z3  four independent vectors per iteration of the main loop,
//   so that the loads, the widening and the stores of one vector overlap the
//   others'; a one-vector loop finishes the multiple of the width below 4
//   vectors.
// BF16: widen each 16-bit value to 32 bits with zeros (VPMOVZXWD), then
// shift it into the top half (VPSLLD $16): bf16 is the top half of a float32.
// F16: VCVTPH2PS converts exactly, subnormals and NaN payloads included.

// func bf16ToF32AVX2(dst []float32, src []byte)
TEXT ·bf16ToF32AVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI

bf16avx2_loop32:
	CMPQ      CX, $32
	JB        bf16avx2_loop8
	VPMOVZXWD (SI), Y0
	VPMOVZXWD 16(SI), Y1
	VPMOVZXWD 32(SI), Y2
	VPMOVZXWD 48(SI), Y3
	VPSLLD    $16, Y0, Y0
	VPSLLD    $16, Y1, Y1
	VPSLLD    $16, Y2, Y2
	VPSLLD    $16, Y3, Y3
	VMOVDQU   Y0, (DI)
	VMOVDQU   Y1, 32(DI)
	VMOVDQU   Y2, 64(DI)
	VMOVDQU   Y3, 96(DI)
	ADDQ      $64, SI
	ADDQ      $128, DI
	SUBQ      $32, CX
	JMP       bf16avx2_loop32

bf16avx2_loop8:
	CMPQ      CX, $8
	JB        bf16avx2_done
	VPMOVZXWD (SI), Y0
	VPSLLD    $16, Y0, Y0
	VMOVDQU   Y0, (DI)
	ADDQ      $16, SI
	ADDQ      $32, DI
	SUBQ      $8, CX
	JMP       bf16avx2_loop8

bf16avx2_done:
	VZEROUPPER
	RET

// func bf16ToF32AVX512(dst []float32, src []byte)
TEXT ·bf16ToF32AVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI

bf16avx512_loop64:
	CMPQ      CX, $64
	JB        bf16avx512_loop16
	VPMOVZXWD (SI), Z0
	VPMOVZXWD 32(SI), Z1
	VPMOVZXWD 64(SI), Z2
	VPMOVZXWD 96(SI), Z3
	VPSLLD    $16, Z0, Z0
	VPSLLD    $16, Z1, Z1
	VPSLLD    $16, Z2, Z2
	VPSLLD    $16, Z3, Z3
	VMOVDQU32 Z0, (DI)
	VMOVDQU32 Z1, 64(DI)
	VMOVDQU32 Z2, 128(DI)
	VMOVDQU32 Z3, 192(DI)
	ADDQ      $128, SI
	ADDQ      $256, DI
	SUBQ      $64, CX
	JMP       bf16avx512_loop64

bf16avx512_loop16:
	CMPQ      CX, $16
	JB        bf16avx512_done
	VPMOVZXWD (SI), Z0
	VPSLLD    $16, Z0, Z0
	VMOVDQU32 Z0, (DI)
	ADDQ      $32, SI
	ADDQ      $64, DI
	SUBQ      $16, CX
	JMP       bf16avx512_loop16

bf16avx512_done:
	VZEROUPPER
	RET

// func f16ToF32F16C(dst []float32, src []byte)
TEXT ·f16ToF32F16C(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI

f16f16c_loop32:
	CMPQ      CX, $32
	JB        f16f16c_loop8
	VCVTPH2PS (SI), Y0
	VCVTPH2PS 16(SI), Y1
	VCVTPH2PS 32(SI), Y2
	VCVTPH2PS 48(SI), Y3
	VMOVUPS   Y0, (DI)
	VMOVUPS   Y1, 32(DI)
	VMOVUPS   Y2, 64(DI)
	VMOVUPS   Y3, 96(DI)
	ADDQ      $64, SI
	ADDQ      $128, DI
	SUBQ      $32, CX
	JMP       f16f16c_loop32

f16f16c_loop8:
	CMPQ      CX, $8
	JB        f16f16c_done
	VCVTPH2PS (SI), Y0
	VMOVUPS   Y0, (DI)
	ADDQ      $16, SI
	ADDQ      $32, DI
	SUBQ      $8, CX
	JMP       f16f16c_loop8

f16f16c_done:
	VZEROUPPER
	RET

// func f16ToF32AVX512(dst []float32, src []byte)
TEXT ·f16ToF32AVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI

f16avx512_loop64:
	CMPQ      CX, $64
	JB        f16avx512_loop16
	VCVTPH2PS (SI), Z0
	VCVTPH2PS 32(SI), Z1
	VCVTPH2PS 64(SI), Z2
	VCVTPH2PS 96(SI), Z3
	VMOVUPS   Z0, (DI)
	VMOVUPS   Z1, 64(DI)
	VMOVUPS   Z2, 128(DI)
	VMOVUPS   Z3, 192(DI)
	ADDQ      $128, SI
	ADDQ      $256, DI
	SUBQ      $64, CX
	JMP       f16avx512_loop64

f16avx512_loop16:
	CMPQ      CX, $16
	JB        f16avx512_done
	VCVTPH2PS (SI), Z0
	VMOVUPS   Z0, (DI)
	ADDQ      $32, SI
	ADDQ      $64, DI
	SUBQ      $16, CX
	JMP       f16avx512_loop16

f16avx512_done:
	VZEROUPPER
	RET
