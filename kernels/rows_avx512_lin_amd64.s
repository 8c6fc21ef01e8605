//go:build !purego

#include "textflag.h"
#include "rows_reduce_amd64.h"

// Linear row kernels for AVX-512: norms, add, multiply, axpy, dot. Each
// walks 32 values per step with two accumulators (Z0, Z1) to hide the add
// latency, then 16, then a tail of r < 16 values under the mask K1.

// func layerNormRowAVX512(dst, x, gamma, beta []float32, eps float32)
// Pass 1 sums x (Z0, Z1, Z14, Z15: four chains hide the add latency),
// pass 2 sums (x-mean)^2 (Z0, Z1, Z14, Z15) and x-mean (Z8, Z9, Z16, Z17; Z4 = mean),
// pass 3 writes x*inv + (beta - mean*inv), inv = rstd*gamma (Z5 = rstd).
TEXT ·layerNormRowAVX512(SB), NOSPLIT, $0-100
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ gamma_base+48(FP), R8
	MOVQ gamma_len+56(FP), BX
	MOVQ beta_base+72(FP), R9
	// pass 1
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z14, Z14, Z14
	VXORPS Z15, Z15, Z15
	MOVQ SI, R10
	MOVQ BX, CX
ln_sum64:
	CMPQ CX, $64
	JB   ln_sum32
	VADDPS (R10), Z0, Z0
	VADDPS 64(R10), Z1, Z1
	VADDPS 128(R10), Z14, Z14
	VADDPS 192(R10), Z15, Z15
	ADDQ $256, R10
	SUBQ $64, CX
	JMP  ln_sum64
ln_sum32:
	CMPQ CX, $32
	JB   ln_sum16
	VADDPS (R10), Z0, Z0
	VADDPS 64(R10), Z1, Z1
	ADDQ $128, R10
	SUBQ $32, CX
	JMP  ln_sum32
ln_sum16:
	CMPQ CX, $16
	JB   ln_sumtail
	VADDPS (R10), Z0, Z0
	ADDQ $64, R10
	SUBQ $16, CX
ln_sumtail:
	TESTQ CX, CX
	JZ    ln_sumdone
	TAILMASK
	VMOVUPS.Z (R10), K1, Z2
	VADDPS Z2, Z1, Z1
ln_sumdone:
	VADDPS Z14, Z0, Z0
	VADDPS Z15, Z1, Z1
	VADDPS Z1, Z0, Z0
	HSUM512
	VCVTSI2SSQ BX, X3, X3
	VDIVSS X3, X0, X0
	VBROADCASTSS X0, Z4
	// pass 2
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z8, Z8, Z8
	VXORPS Z9, Z9, Z9
	VXORPS Z14, Z14, Z14
	VXORPS Z15, Z15, Z15
	VXORPS Z16, Z16, Z16
	VXORPS Z17, Z17, Z17
	MOVQ SI, R10
	MOVQ BX, CX
ln_var64:
	CMPQ CX, $64
	JB   ln_var32
	VSUBPS (R10), Z4, Z2
	VSUBPS 64(R10), Z4, Z6
	VSUBPS 128(R10), Z4, Z18
	VSUBPS 192(R10), Z4, Z19
	VADDPS Z2, Z8, Z8
	VADDPS Z6, Z9, Z9
	VADDPS Z18, Z16, Z16
	VADDPS Z19, Z17, Z17
	VFMADD231PS Z2, Z2, Z0
	VFMADD231PS Z6, Z6, Z1
	VFMADD231PS Z18, Z18, Z14
	VFMADD231PS Z19, Z19, Z15
	ADDQ $256, R10
	SUBQ $64, CX
	JMP  ln_var64
ln_var32:
	CMPQ CX, $32
	JB   ln_var16
	VSUBPS (R10), Z4, Z2
	VSUBPS 64(R10), Z4, Z6
	VADDPS Z2, Z8, Z8
	VADDPS Z6, Z9, Z9
	VFMADD231PS Z2, Z2, Z0
	VFMADD231PS Z6, Z6, Z1
	ADDQ $128, R10
	SUBQ $32, CX
	JMP  ln_var32
ln_var16:
	CMPQ CX, $16
	JB   ln_vartail
	VSUBPS (R10), Z4, Z2
	VADDPS Z2, Z8, Z8
	VFMADD231PS Z2, Z2, Z0
	ADDQ $64, R10
	SUBQ $16, CX
ln_vartail:
	TESTQ CX, CX
	JZ    ln_vardone
	TAILMASK
	VMOVUPS.Z (R10), K1, Z2
	VSUBPS.Z Z2, Z4, K1, Z2
	VADDPS Z2, Z9, Z9
	VFMADD231PS Z2, Z2, Z1
ln_vardone:
	// Z4 held mean - the differences were taken from it negated, so the
	// sums in Z8, Z9 are of (mean - x): correct the mean and the variance
	// (the corrected two-pass algorithm), which makes a constant row exact.
	VADDPS Z14, Z0, Z0
	VADDPS Z15, Z1, Z1
	VADDPS Z16, Z8, Z8
	VADDPS Z17, Z9, Z9
	VADDPS Z1, Z0, Z0
	HSUM512
	VMOVAPS X0, X10
	VADDPS Z9, Z8, Z0
	HSUM512
	VDIVSS X3, X0, X11
	VSUBSS X11, X4, X12
	VMULSS X0, X11, X13
	VSUBSS X13, X10, X0
	VDIVSS X3, X0, X0
	VBROADCASTSS X12, Z4
	VADDSS eps+96(FP), X0, X0
	VSQRTSS X0, X0, X0
	MOVL $0x3f800000, AX
	VMOVD AX, X1
	VDIVSS X0, X1, X0
	VBROADCASTSS X0, Z5
	// pass 3
	MOVQ BX, CX
ln_out16:
	CMPQ CX, $16
	JB   ln_outtail
	VMULPS (R8), Z5, Z6
	VMOVUPS (R9), Z7
	VFNMADD231PS Z4, Z6, Z7
	VFMADD231PS (SI), Z6, Z7
	VMOVUPS Z7, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, R8
	ADDQ $64, R9
	SUBQ $16, CX
	JMP  ln_out16
ln_outtail:
	TESTQ CX, CX
	JZ    ln_done
	TAILMASK
	VMOVUPS.Z (R8), K1, Z6
	VMULPS Z5, Z6, Z6
	VMOVUPS.Z (R9), K1, Z7
	VMOVUPS.Z (SI), K1, Z8
	VFNMADD231PS Z4, Z6, Z7
	VFMADD231PS Z8, Z6, Z7
	VMOVUPS Z7, K1, (DI)
ln_done:
	VZEROUPPER
	RET

// func rmsNormRowAVX512(dst, x, scale []float32, eps float32)
// Pass 1 sums x^2 (Z0, Z1); pass 2 writes x * r * scale (Z5 = r).
TEXT ·rmsNormRowAVX512(SB), NOSPLIT, $0-76
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ scale_base+48(FP), R8
	MOVQ scale_len+56(FP), BX
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	MOVQ SI, R10
	MOVQ BX, CX
rms_ss32:
	CMPQ CX, $32
	JB   rms_ss16
	VMOVUPS (R10), Z2
	VMOVUPS 64(R10), Z6
	VFMADD231PS Z2, Z2, Z0
	VFMADD231PS Z6, Z6, Z1
	ADDQ $128, R10
	SUBQ $32, CX
	JMP  rms_ss32
rms_ss16:
	CMPQ CX, $16
	JB   rms_sstail
	VMOVUPS (R10), Z2
	VFMADD231PS Z2, Z2, Z0
	ADDQ $64, R10
	SUBQ $16, CX
rms_sstail:
	TESTQ CX, CX
	JZ    rms_ssdone
	TAILMASK
	VMOVUPS.Z (R10), K1, Z2
	VFMADD231PS Z2, Z2, Z1
rms_ssdone:
	VADDPS Z1, Z0, Z0
	HSUM512
	VCVTSI2SSQ BX, X3, X3
	VDIVSS X3, X0, X0
	VADDSS eps+72(FP), X0, X0
	VSQRTSS X0, X0, X0
	MOVL $0x3f800000, AX
	VMOVD AX, X1
	VDIVSS X0, X1, X0
	VBROADCASTSS X0, Z5
	MOVQ BX, CX
rms_out16:
	CMPQ CX, $16
	JB   rms_outtail
	VMULPS (SI), Z5, Z6
	VMULPS (R8), Z6, Z6
	VMOVUPS Z6, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, R8
	SUBQ $16, CX
	JMP  rms_out16
rms_outtail:
	TESTQ CX, CX
	JZ    rms_done
	TAILMASK
	VMOVUPS.Z (SI), K1, Z6
	VMOVUPS.Z (R8), K1, Z7
	VMULPS Z5, Z6, Z6
	VMULPS Z7, Z6, Z6
	VMOVUPS Z6, K1, (DI)
rms_done:
	VZEROUPPER
	RET

// func addAVX512(dst, a, b []float32)
TEXT ·addAVX512(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ a_base+24(FP), SI
	MOVQ a_len+32(FP), CX
	MOVQ b_base+48(FP), DX
add_loop:
	CMPQ CX, $16
	JB   add_tail
	VMOVUPS (SI), Z0
	VADDPS (DX), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  add_loop
add_tail:
	TESTQ CX, CX
	JZ    add_done
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (DX), K1, Z1
	VADDPS Z1, Z0, Z0
	VMOVUPS Z0, K1, (DI)
add_done:
	VZEROUPPER
	RET

// func mulAVX512(dst, a, b []float32)
TEXT ·mulAVX512(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ a_base+24(FP), SI
	MOVQ a_len+32(FP), CX
	MOVQ b_base+48(FP), DX
mul_loop:
	CMPQ CX, $16
	JB   mul_tail
	VMOVUPS (SI), Z0
	VMULPS (DX), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  mul_loop
mul_tail:
	TESTQ CX, CX
	JZ    mul_done
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (DX), K1, Z1
	VMULPS Z1, Z0, Z0
	VMOVUPS Z0, K1, (DI)
mul_done:
	VZEROUPPER
	RET

// func maxAVX512(dst, a, b []float32)
TEXT ·maxAVX512(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ a_base+24(FP), SI
	MOVQ a_len+32(FP), CX
	MOVQ b_base+48(FP), DX
max_loop:
	CMPQ CX, $16
	JB   max_tail
	VMOVUPS (SI), Z0
	VMAXPS (DX), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  max_loop
max_tail:
	TESTQ CX, CX
	JZ    max_done
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (DX), K1, Z1
	VMAXPS Z1, Z0, Z0
	VMOVUPS Z0, K1, (DI)
max_done:
	VZEROUPPER
	RET

// func scaleAVX512(dst, x []float32, s float32)
TEXT ·scaleAVX512(SB), NOSPLIT, $0-52
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	VBROADCASTSS s+48(FP), Z3
scale_loop:
	CMPQ CX, $16
	JB   scale_tail
	VMULPS (SI), Z3, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  scale_loop
scale_tail:
	TESTQ CX, CX
	JZ    scale_done
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	VMULPS Z3, Z0, Z0
	VMOVUPS Z0, K1, (DI)
scale_done:
	VZEROUPPER
	RET

// func axpyAVX512(dst []float32, alpha float32, x []float32)
TEXT ·axpyAVX512(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	VBROADCASTSS alpha+24(FP), Z3
	MOVQ x_base+32(FP), SI
	MOVQ x_len+40(FP), CX
axpy_loop:
	CMPQ CX, $16
	JB   axpy_tail
	VMOVUPS (DI), Z0
	VFMADD231PS (SI), Z3, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  axpy_loop
axpy_tail:
	TESTQ CX, CX
	JZ    axpy_done
	TAILMASK
	VMOVUPS.Z (SI), K1, Z1
	VMOVUPS.Z (DI), K1, Z0
	VFMADD231PS Z1, Z3, Z0
	VMOVUPS Z0, K1, (DI)
axpy_done:
	VZEROUPPER
	RET

// func dotAVX512(a, b []float32) float32
TEXT ·dotAVX512(SB), NOSPLIT, $0-52
	MOVQ a_base+0(FP), SI
	MOVQ a_len+8(FP), CX
	MOVQ b_base+24(FP), DX
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
dot_loop32:
	CMPQ CX, $32
	JB   dot_loop16
	VMOVUPS (SI), Z2
	VMOVUPS 64(SI), Z3
	VFMADD231PS (DX), Z2, Z0
	VFMADD231PS 64(DX), Z3, Z1
	ADDQ $128, SI
	ADDQ $128, DX
	SUBQ $32, CX
	JMP  dot_loop32
dot_loop16:
	CMPQ CX, $16
	JB   dot_tail
	VMOVUPS (SI), Z2
	VFMADD231PS (DX), Z2, Z0
	ADDQ $64, SI
	ADDQ $64, DX
	SUBQ $16, CX
dot_tail:
	TESTQ CX, CX
	JZ    dot_done
	TAILMASK
	VMOVUPS.Z (SI), K1, Z2
	VMOVUPS.Z (DX), K1, Z3
	VFMADD231PS Z3, Z2, Z1
dot_done:
	VADDPS Z1, Z0, Z0
	HSUM512
	VMOVSS X0, ret+48(FP)
	VZEROUPPER
	RET
