//go:build !purego

// The row quantizer of the int8 product (qmatmul.go): the largest
// magnitude of a row, and the row times 127/amax rounded to int8. The Go
// twins are rowScale and quantizeRow; every routine here gives their
// results bit for bit (an integer maximum of the bit patterns, and
// VCVTPS2DQ rounding half to even, as the default MXCSR has it).

#include "textflag.h"

// Dword order that undoes the lane interleaving of VPACKSSDW + VPACKSSWB.
DATA qpackOrder<>+0(SB)/4, $0
DATA qpackOrder<>+4(SB)/4, $4
DATA qpackOrder<>+8(SB)/4, $1
DATA qpackOrder<>+12(SB)/4, $5
DATA qpackOrder<>+16(SB)/4, $2
DATA qpackOrder<>+20(SB)/4, $6
DATA qpackOrder<>+24(SB)/4, $3
DATA qpackOrder<>+28(SB)/4, $7
GLOBL qpackOrder<>(SB), RODATA|NOPTR, $32

// func qabsMaxAVX512(x *float32, n int) uint32
//
// The largest of the bit patterns of |x[i]| (sign cleared), whose integer
// order is the order of the magnitudes, NaN above +Inf. Z0, Z1 hold the
// running maxima of 32 values a step, Z31 the mask 0x7fffffff; the last
// n%16 values load under K1.
TEXT ·qabsMaxAVX512(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	MOVL $0x7fffffff, AX
	VPBROADCASTD AX, Z31
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	CMPQ CX, $32
	JB   amax512_16

amax512_32:
	VPANDD  (SI), Z31, Z2
	VPANDD  64(SI), Z31, Z3
	VPMAXUD Z2, Z0, Z0
	VPMAXUD Z3, Z1, Z1
	ADDQ    $128, SI
	SUBQ    $32, CX
	CMPQ    CX, $32
	JAE     amax512_32

amax512_16:
	CMPQ    CX, $16
	JB      amax512_tail
	VPANDD  (SI), Z31, Z2
	VPMAXUD Z2, Z0, Z0
	ADDQ    $64, SI
	SUBQ    $16, CX

amax512_tail:
	TESTQ       CX, CX
	JZ          amax512_reduce
	MOVL        $1, AX
	SHLL        CX, AX
	DECL        AX
	KMOVW       AX, K1
	VMOVDQU32.Z (SI), K1, Z2
	VPANDD      Z2, Z31, Z2
	VPMAXUD     Z2, Z0, Z0

amax512_reduce:
	VPMAXUD       Z1, Z0, Z0
	VEXTRACTI64X4 $1, Z0, Y1
	VPMAXUD       Y1, Y0, Y0
	VEXTRACTI128  $1, Y0, X1
	VPMAXUD       X1, X0, X0
	VPSHUFD       $0x4e, X0, X1
	VPMAXUD       X1, X0, X0
	VPSHUFD       $0xb1, X0, X1
	VPMAXUD       X1, X0, X0
	VMOVD         X0, AX
	MOVL          AX, ret+16(FP)
	VZEROUPPER
	RET

// func qquantizeAVX512(dst *int8, x *float32, n int, inv float32, flip uint32)
//
// dst[i] = int8(round(x[i] * inv)) XOR flip (flip is 0 or 0x80808080, the
// zero point of u8 A). Z30 holds inv, X31 flip; Z0..Z3 take 64 values a
// step: VMULPS, VCVTPS2DQ (half to even), VPMOVSDB (no saturation happens:
// |x * inv| <= 127 (1 + 2^-23)), VPXORD. The last n%16 values go under K1.
TEXT ·qquantizeAVX512(SB), NOSPLIT, $0-32
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS inv+24(FP), Z30
	MOVL         flip+28(FP), AX
	VPBROADCASTD AX, X31
	CMPQ         CX, $64
	JB           q512_16

q512_64:
	VMULPS    (SI), Z30, Z0
	VMULPS    64(SI), Z30, Z1
	VMULPS    128(SI), Z30, Z2
	VMULPS    192(SI), Z30, Z3
	VCVTPS2DQ Z0, Z0
	VCVTPS2DQ Z1, Z1
	VCVTPS2DQ Z2, Z2
	VCVTPS2DQ Z3, Z3
	VPMOVSDB  Z0, X0
	VPMOVSDB  Z1, X1
	VPMOVSDB  Z2, X2
	VPMOVSDB  Z3, X3
	VPXORD    X31, X0, X0
	VPXORD    X31, X1, X1
	VPXORD    X31, X2, X2
	VPXORD    X31, X3, X3
	VMOVDQU   X0, (DI)
	VMOVDQU   X1, 16(DI)
	VMOVDQU   X2, 32(DI)
	VMOVDQU   X3, 48(DI)
	ADDQ      $256, SI
	ADDQ      $64, DI
	SUBQ      $64, CX
	CMPQ      CX, $64
	JAE       q512_64

q512_16:
	CMPQ      CX, $16
	JB        q512_tail
	VMULPS    (SI), Z30, Z0
	VCVTPS2DQ Z0, Z0
	VPMOVSDB  Z0, X0
	VPXORD    X31, X0, X0
	VMOVDQU   X0, (DI)
	ADDQ      $64, SI
	ADDQ      $16, DI
	SUBQ      $16, CX
	JMP       q512_16

q512_tail:
	TESTQ     CX, CX
	JZ        q512_done
	MOVL      $1, AX
	SHLL      CX, AX
	DECL      AX
	KMOVW     AX, K1
	VMOVUPS.Z (SI), K1, Z0
	VMULPS    Z0, Z30, Z0
	VCVTPS2DQ Z0, Z0
	VPMOVSDB  Z0, X0
	VPXORD    X31, X0, X0
	VMOVDQU8  X0, K1, (DI)

q512_done:
	VZEROUPPER
	RET

// func qabsMaxAVX2(x *float32, n int) uint32
//
// qabsMaxAVX512 for the first n - n%32 values (the caller takes the rest):
// Y0..Y3 hold running maxima, Y15 the mask.
TEXT ·qabsMaxAVX2(SB), NOSPLIT, $0-20
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	MOVL         $0x7fffffff, AX
	MOVL         AX, X15
	VPBROADCASTD X15, Y15
	VPXOR        Y0, Y0, Y0
	VPXOR        Y1, Y1, Y1
	VPXOR        Y2, Y2, Y2
	VPXOR        Y3, Y3, Y3
	CMPQ         CX, $32
	JB           amax2_reduce

amax2_32:
	VPAND   (SI), Y15, Y4
	VPAND   32(SI), Y15, Y5
	VPAND   64(SI), Y15, Y6
	VPAND   96(SI), Y15, Y7
	VPMAXUD Y4, Y0, Y0
	VPMAXUD Y5, Y1, Y1
	VPMAXUD Y6, Y2, Y2
	VPMAXUD Y7, Y3, Y3
	ADDQ    $128, SI
	SUBQ    $32, CX
	CMPQ    CX, $32
	JAE     amax2_32

amax2_reduce:
	VPMAXUD      Y1, Y0, Y0
	VPMAXUD      Y3, Y2, Y2
	VPMAXUD      Y2, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPMAXUD      X1, X0, X0
	VPSHUFD      $0x4e, X0, X1
	VPMAXUD      X1, X0, X0
	VPSHUFD      $0xb1, X0, X1
	VPMAXUD      X1, X0, X0
	VMOVD        X0, AX
	MOVL         AX, ret+16(FP)
	VZEROUPPER
	RET

// func qquantizeAVX2(dst *int8, x *float32, n int, inv float32, flip uint32)
//
// qquantizeAVX512 for the first n - n%32 values (the caller takes the
// rest). Y15 holds inv, Y14 flip, Y13 the dword order; Y0..Y3 take 32
// values a step: VMULPS, VCVTPS2DQ, two VPACKSSDW and a VPACKSSWB (signed
// saturation, which never happens), VPERMD to undo the packs' lane order,
// VPXOR.
TEXT ·qquantizeAVX2(SB), NOSPLIT, $0-32
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS inv+24(FP), Y15
	MOVL         flip+28(FP), AX
	MOVL         AX, X14
	VPBROADCASTD X14, Y14
	VMOVDQU      qpackOrder<>(SB), Y13
	CMPQ         CX, $32
	JB           q2_done

q2_32:
	VMULPS    (SI), Y15, Y0
	VMULPS    32(SI), Y15, Y1
	VMULPS    64(SI), Y15, Y2
	VMULPS    96(SI), Y15, Y3
	VCVTPS2DQ Y0, Y0
	VCVTPS2DQ Y1, Y1
	VCVTPS2DQ Y2, Y2
	VCVTPS2DQ Y3, Y3
	VPACKSSDW Y1, Y0, Y0
	VPACKSSDW Y3, Y2, Y2
	VPACKSSWB Y2, Y0, Y0
	VPERMD    Y0, Y13, Y0
	VPXOR     Y14, Y0, Y0
	VMOVDQU   Y0, (DI)
	ADDQ      $128, SI
	ADDQ      $32, DI
	SUBQ      $32, CX
	CMPQ      CX, $32
	JAE       q2_32

q2_done:
	VZEROUPPER
	RET

// func qquantize16AVX2(dst *int16, x *float32, n int, inv float32)
//
// qquantizeAVX2 into int16 (for qgemm5x8c4AVX2) for the first n - n%16
// values: VMULPS, VCVTPS2DQ, VPACKSSDW (no saturation happens), VPERMQ to
// undo the pack's lane order.
TEXT ·qquantize16AVX2(SB), NOSPLIT, $0-28
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS inv+24(FP), Y15
	CMPQ         CX, $16
	JB           q16_done

q16_16:
	VMULPS    (SI), Y15, Y0
	VMULPS    32(SI), Y15, Y1
	VCVTPS2DQ Y0, Y0
	VCVTPS2DQ Y1, Y1
	VPACKSSDW Y1, Y0, Y0
	VPERMQ    $0xd8, Y0, Y0
	VMOVDQU   Y0, (DI)
	ADDQ      $64, SI
	ADDQ      $32, DI
	SUBQ      $16, CX
	CMPQ      CX, $16
	JAE       q16_16

q16_done:
	VZEROUPPER
	RET
