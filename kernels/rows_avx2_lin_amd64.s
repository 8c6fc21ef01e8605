//go:build !purego

#include "textflag.h"
#include "rows_reduce_amd64.h"

// Linear row kernels for AVX2 + FMA: norms, add, multiply, axpy, dot. Each
// walks 16 values per step with two accumulators (Y0, Y1), then 8, then a
// tail of r < 8 values under the VMASKMOVPS mask Y12 (see
// rows_avx2_amd64.s). The register plans mirror rows_avx512_lin_amd64.s
// with Y for Z.

// func layerNormRowAVX2(dst, x, gamma, beta []float32, eps float32)
// Pass 1 sums x (Y0, Y1, Y14, Y15: four chains hide the add latency),
// pass 2 sums (x-mean)^2 (Y0, Y1, Y14, Y15) and x-mean (Y8, Y9, Y10, Y11; Y4 = mean),
// pass 3 writes x*inv + (beta - mean*inv), inv = rstd*gamma (Y5 = rstd).
TEXT ·layerNormRowAVX2(SB), NOSPLIT, $0-100
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ gamma_base+48(FP), R8
	MOVQ gamma_len+56(FP), BX
	MOVQ beta_base+72(FP), R9
	// pass 1
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15
	MOVQ SI, R10
	MOVQ BX, CX
ln_sum64:
	CMPQ CX, $32
	JB   ln_sum32
	VADDPS (R10), Y0, Y0
	VADDPS 32(R10), Y1, Y1
	VADDPS 64(R10), Y14, Y14
	VADDPS 96(R10), Y15, Y15
	ADDQ $128, R10
	SUBQ $32, CX
	JMP  ln_sum64
ln_sum32:
	CMPQ CX, $16
	JB   ln_sum16
	VADDPS (R10), Y0, Y0
	VADDPS 32(R10), Y1, Y1
	ADDQ $64, R10
	SUBQ $16, CX
	JMP  ln_sum32
ln_sum16:
	CMPQ CX, $8
	JB   ln_sumtail
	VADDPS (R10), Y0, Y0
	ADDQ $32, R10
	SUBQ $8, CX
ln_sumtail:
	TESTQ CX, CX
	JZ    ln_sumdone
	TAILMASK2(R11)
	VMASKMOVPS (R10), Y12, Y2
	VADDPS Y2, Y1, Y1
ln_sumdone:
	VADDPS Y14, Y0, Y0
	VADDPS Y15, Y1, Y1
	VADDPS Y1, Y0, Y0
	HSUM2
	VCVTSI2SSQ BX, X3, X3
	VDIVSS X3, X0, X0
	VBROADCASTSS X0, Y4
	// pass 2
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	MOVQ SI, R10
	MOVQ BX, CX
ln_var64:
	CMPQ CX, $32
	JB   ln_var32
	VSUBPS (R10), Y4, Y2
	VSUBPS 32(R10), Y4, Y6
	VSUBPS 64(R10), Y4, Y5
	VSUBPS 96(R10), Y4, Y7
	VADDPS Y2, Y8, Y8
	VADDPS Y6, Y9, Y9
	VADDPS Y5, Y10, Y10
	VADDPS Y7, Y11, Y11
	VFMADD231PS Y2, Y2, Y0
	VFMADD231PS Y6, Y6, Y1
	VFMADD231PS Y5, Y5, Y14
	VFMADD231PS Y7, Y7, Y15
	ADDQ $128, R10
	SUBQ $32, CX
	JMP  ln_var64
ln_var32:
	CMPQ CX, $16
	JB   ln_var16
	VSUBPS (R10), Y4, Y2
	VSUBPS 32(R10), Y4, Y6
	VADDPS Y2, Y8, Y8
	VADDPS Y6, Y9, Y9
	VFMADD231PS Y2, Y2, Y0
	VFMADD231PS Y6, Y6, Y1
	ADDQ $64, R10
	SUBQ $16, CX
	JMP  ln_var32
ln_var16:
	CMPQ CX, $8
	JB   ln_vartail
	VSUBPS (R10), Y4, Y2
	VADDPS Y2, Y8, Y8
	VFMADD231PS Y2, Y2, Y0
	ADDQ $32, R10
	SUBQ $8, CX
ln_vartail:
	TESTQ CX, CX
	JZ    ln_vardone
	TAILMASK2(R11)
	VMASKMOVPS (R10), Y12, Y2
	VSUBPS Y2, Y4, Y2
	VANDPS Y12, Y2, Y2
	VADDPS Y2, Y9, Y9
	VFMADD231PS Y2, Y2, Y1
ln_vardone:
	// Y4 held mean - the differences were taken from it negated, so the
	// sums in Y8, Y9 are of (mean - x): correct the mean and the variance
	// (the corrected two-pass algorithm), which makes a constant row exact.
	VADDPS Y14, Y0, Y0
	VADDPS Y15, Y1, Y1
	VADDPS Y10, Y8, Y8
	VADDPS Y11, Y9, Y9
	VADDPS Y1, Y0, Y0
	HSUM2
	VMOVAPS X0, X10
	VADDPS Y9, Y8, Y0
	HSUM2
	VDIVSS X3, X0, X11
	VSUBSS X11, X4, X12
	VMULSS X0, X11, X13
	VSUBSS X13, X10, X0
	VDIVSS X3, X0, X0
	VBROADCASTSS X12, Y4
	VADDSS eps+96(FP), X0, X0
	VSQRTSS X0, X0, X0
	MOVL $0x3f800000, AX
	VMOVD AX, X1
	VDIVSS X0, X1, X0
	VBROADCASTSS X0, Y5
	// pass 3
	MOVQ BX, CX
ln_out16:
	CMPQ CX, $8
	JB   ln_outtail
	VMULPS (R8), Y5, Y6
	VMOVUPS (R9), Y7
	VFNMADD231PS Y4, Y6, Y7
	VFMADD231PS (SI), Y6, Y7
	VMOVUPS Y7, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R8
	ADDQ $32, R9
	SUBQ $8, CX
	JMP  ln_out16
ln_outtail:
	TESTQ CX, CX
	JZ    ln_done
	TAILMASK2(R11)
	VMASKMOVPS (R8), Y12, Y6
	VMULPS Y5, Y6, Y6
	VMASKMOVPS (R9), Y12, Y7
	VMASKMOVPS (SI), Y12, Y8
	VFNMADD231PS Y4, Y6, Y7
	VFMADD231PS Y8, Y6, Y7
	VMASKMOVPS Y7, Y12, (DI)
ln_done:
	VZEROUPPER
	RET

// func rmsNormRowAVX2(dst, x, scale []float32, eps float32)
// Pass 1 sums x^2 (Y0, Y1); pass 2 writes x * r * scale (Y5 = r).
TEXT ·rmsNormRowAVX2(SB), NOSPLIT, $0-76
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ scale_base+48(FP), R8
	MOVQ scale_len+56(FP), BX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	MOVQ SI, R10
	MOVQ BX, CX
rms_ss32:
	CMPQ CX, $16
	JB   rms_ss16
	VMOVUPS (R10), Y2
	VMOVUPS 32(R10), Y6
	VFMADD231PS Y2, Y2, Y0
	VFMADD231PS Y6, Y6, Y1
	ADDQ $64, R10
	SUBQ $16, CX
	JMP  rms_ss32
rms_ss16:
	CMPQ CX, $8
	JB   rms_sstail
	VMOVUPS (R10), Y2
	VFMADD231PS Y2, Y2, Y0
	ADDQ $32, R10
	SUBQ $8, CX
rms_sstail:
	TESTQ CX, CX
	JZ    rms_ssdone
	TAILMASK2(R11)
	VMASKMOVPS (R10), Y12, Y2
	VFMADD231PS Y2, Y2, Y1
rms_ssdone:
	VADDPS Y1, Y0, Y0
	HSUM2
	VCVTSI2SSQ BX, X3, X3
	VDIVSS X3, X0, X0
	VADDSS eps+72(FP), X0, X0
	VSQRTSS X0, X0, X0
	MOVL $0x3f800000, AX
	VMOVD AX, X1
	VDIVSS X0, X1, X0
	VBROADCASTSS X0, Y5
	MOVQ BX, CX
rms_out16:
	CMPQ CX, $8
	JB   rms_outtail
	VMULPS (SI), Y5, Y6
	VMULPS (R8), Y6, Y6
	VMOVUPS Y6, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R8
	SUBQ $8, CX
	JMP  rms_out16
rms_outtail:
	TESTQ CX, CX
	JZ    rms_done
	TAILMASK2(R11)
	VMASKMOVPS (SI), Y12, Y6
	VMASKMOVPS (R8), Y12, Y7
	VMULPS Y5, Y6, Y6
	VMULPS Y7, Y6, Y6
	VMASKMOVPS Y6, Y12, (DI)
rms_done:
	VZEROUPPER
	RET

// func addAVX2(dst, a, b []float32)
TEXT ·addAVX2(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ a_base+24(FP), SI
	MOVQ a_len+32(FP), CX
	MOVQ b_base+48(FP), DX
add_loop:
	CMPQ CX, $8
	JB   add_tail
	VMOVUPS (SI), Y0
	VADDPS (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  add_loop
add_tail:
	TESTQ CX, CX
	JZ    add_done
	TAILMASK2(R11)
	VMASKMOVPS (SI), Y12, Y0
	VMASKMOVPS (DX), Y12, Y1
	VADDPS Y1, Y0, Y0
	VMASKMOVPS Y0, Y12, (DI)
add_done:
	VZEROUPPER
	RET

// func mulAVX2(dst, a, b []float32)
TEXT ·mulAVX2(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ a_base+24(FP), SI
	MOVQ a_len+32(FP), CX
	MOVQ b_base+48(FP), DX
mul_loop:
	CMPQ CX, $8
	JB   mul_tail
	VMOVUPS (SI), Y0
	VMULPS (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  mul_loop
mul_tail:
	TESTQ CX, CX
	JZ    mul_done
	TAILMASK2(R11)
	VMASKMOVPS (SI), Y12, Y0
	VMASKMOVPS (DX), Y12, Y1
	VMULPS Y1, Y0, Y0
	VMASKMOVPS Y0, Y12, (DI)
mul_done:
	VZEROUPPER
	RET

// func maxAVX2(dst, a, b []float32)
TEXT ·maxAVX2(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ a_base+24(FP), SI
	MOVQ a_len+32(FP), CX
	MOVQ b_base+48(FP), DX
max_loop:
	CMPQ CX, $8
	JB   max_tail
	VMOVUPS (SI), Y0
	VMAXPS (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  max_loop
max_tail:
	TESTQ CX, CX
	JZ    max_done
	TAILMASK2(R11)
	VMASKMOVPS (SI), Y12, Y0
	VMASKMOVPS (DX), Y12, Y1
	VMAXPS Y1, Y0, Y0
	VMASKMOVPS Y0, Y12, (DI)
max_done:
	VZEROUPPER
	RET

// func scaleAVX2(dst, x []float32, s float32)
TEXT ·scaleAVX2(SB), NOSPLIT, $0-52
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	VBROADCASTSS s+48(FP), Y3
scale_loop:
	CMPQ CX, $8
	JB   scale_tail
	VMULPS (SI), Y3, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  scale_loop
scale_tail:
	TESTQ CX, CX
	JZ    scale_done
	TAILMASK2(R11)
	VMASKMOVPS (SI), Y12, Y0
	VMULPS Y3, Y0, Y0
	VMASKMOVPS Y0, Y12, (DI)
scale_done:
	VZEROUPPER
	RET

// func axpyAVX2(dst []float32, alpha float32, x []float32)
TEXT ·axpyAVX2(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	VBROADCASTSS alpha+24(FP), Y3
	MOVQ x_base+32(FP), SI
	MOVQ x_len+40(FP), CX
axpy_loop:
	CMPQ CX, $8
	JB   axpy_tail
	VMOVUPS (DI), Y0
	VFMADD231PS (SI), Y3, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  axpy_loop
axpy_tail:
	TESTQ CX, CX
	JZ    axpy_done
	TAILMASK2(R11)
	VMASKMOVPS (SI), Y12, Y1
	VMASKMOVPS (DI), Y12, Y0
	VFMADD231PS Y1, Y3, Y0
	VMASKMOVPS Y0, Y12, (DI)
axpy_done:
	VZEROUPPER
	RET

// func dotAVX2(a, b []float32) float32
TEXT ·dotAVX2(SB), NOSPLIT, $0-52
	MOVQ a_base+0(FP), SI
	MOVQ a_len+8(FP), CX
	MOVQ b_base+24(FP), DX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
dot_loop32:
	CMPQ CX, $16
	JB   dot_loop16
	VMOVUPS (SI), Y2
	VMOVUPS 32(SI), Y3
	VFMADD231PS (DX), Y2, Y0
	VFMADD231PS 32(DX), Y3, Y1
	ADDQ $64, SI
	ADDQ $64, DX
	SUBQ $16, CX
	JMP  dot_loop32
dot_loop16:
	CMPQ CX, $8
	JB   dot_tail
	VMOVUPS (SI), Y2
	VFMADD231PS (DX), Y2, Y0
	ADDQ $32, SI
	ADDQ $32, DX
	SUBQ $8, CX
dot_tail:
	TESTQ CX, CX
	JZ    dot_done
	TAILMASK2(R11)
	VMASKMOVPS (SI), Y12, Y2
	VMASKMOVPS (DX), Y12, Y3
	VFMADD231PS Y3, Y2, Y1
dot_done:
	VADDPS Y1, Y0, Y0
	HSUM2
	VMOVSS X0, ret+48(FP)
	VZEROUPPER
	RET
