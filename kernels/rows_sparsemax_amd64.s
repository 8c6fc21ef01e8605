//go:build !purego

#include "textflag.h"
#include "rows_reduce_amd64.h"

// Sparsemax of one row (SPEC.md 3.3), sparsemaxRow's steps in one call:
// zs = x - max(x); Michelot's iteration tau = (sum of the z above tau - 1)
// / their count, from tau = -Inf, until the count stops falling (or is 0);
// dst = max(z - tau, 0). Each pass over zs is a compare, a masked add and a
// population count per vector, so a row of 197 takes a few hundred cycles
// per pass where the Go twin takes a few thousand.

// func sparsemaxRowAVX512(dst, x, zs []float32)
// Register plan: Z0 the running maximum, then a pass's sum; Z1 the values
// in hand; Z2 the maximum's tail lanes; Z3 the broadcast maximum, then tau;
// Z4 zero; X5 1.0, X6 the count as a float. BX n, CX the values left, R8
// and R9 walk the rows, R10 a pass's count, R11 the previous pass's (n+1
// at first); K1 the tail mask, K2 the lanes above tau.
TEXT ·sparsemaxRowAVX512(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), BX
	MOVQ zs_base+48(FP), DX
	TESTQ BX, BX
	JZ    spm_done
	MOVL $0xff800000, AX
	VPBROADCASTD AX, Z0
	VMOVAPS Z0, Z2
	MOVQ SI, R8
	MOVQ BX, CX

spm_max:
	CMPQ CX, $16
	JB   spm_maxtail
	VMAXPS (R8), Z0, Z0
	ADDQ $64, R8
	SUBQ $16, CX
	JMP  spm_max

spm_maxtail:
	TESTQ CX, CX
	JZ    spm_maxdone
	TAILMASK
	VMOVUPS (R8), K1, Z2

spm_maxdone:
	VMAXPS Z2, Z0, Z0
	HMAX512
	VBROADCASTSS X0, Z3
	MOVQ SI, R8
	MOVQ DX, R9
	MOVQ BX, CX

spm_shift:
	CMPQ CX, $16
	JB   spm_shifttail
	VMOVUPS (R8), Z1
	VSUBPS Z3, Z1, Z1
	VMOVUPS Z1, (R9)
	ADDQ $64, R8
	ADDQ $64, R9
	SUBQ $16, CX
	JMP  spm_shift

spm_shifttail:
	TESTQ CX, CX
	JZ    spm_iterate
	TAILMASK
	VMOVUPS.Z (R8), K1, Z1
	VSUBPS Z3, Z1, Z1
	VMOVUPS Z1, K1, (R9)

spm_iterate:
	MOVL $0xff800000, AX
	VPBROADCASTD AX, Z3
	MOVL $0x3f800000, AX
	VMOVD AX, X5
	LEAQ 1(BX), R11

spm_pass:
	VXORPS Z0, Z0, Z0
	XORQ R10, R10
	MOVQ DX, R9
	MOVQ BX, CX

spm_sum:
	CMPQ CX, $16
	JB   spm_sumtail
	VMOVUPS (R9), Z1
	VCMPPS $0x1e, Z3, Z1, K2 // z > tau, ordered
	VADDPS Z1, Z0, K2, Z0
	KMOVW K2, AX
	POPCNTL AX, AX
	ADDQ AX, R10
	ADDQ $64, R9
	SUBQ $16, CX
	JMP  spm_sum

spm_sumtail:
	TESTQ CX, CX
	JZ    spm_sumdone
	TAILMASK
	VMOVUPS.Z (R9), K1, Z1
	VCMPPS $0x1e, Z3, Z1, K1, K2
	VADDPS Z1, Z0, K2, Z0
	KMOVW K2, AX
	POPCNTL AX, AX
	ADDQ AX, R10

spm_sumdone:
	TESTQ R10, R10
	JZ    spm_out
	CMPQ R10, R11
	JAE   spm_out
	MOVQ R10, R11
	HSUM512
	VSUBSS X5, X0, X0
	VCVTSI2SSQ R10, X6, X6
	VDIVSS X6, X0, X0
	VBROADCASTSS X0, Z3
	JMP  spm_pass

spm_out:
	VXORPS Z4, Z4, Z4
	MOVQ DX, R9
	MOVQ DI, R8
	MOVQ BX, CX

spm_write:
	CMPQ CX, $16
	JB   spm_writetail
	VMOVUPS (R9), Z1
	VSUBPS Z3, Z1, Z1
	VMAXPS Z1, Z4, Z1 // max(0, z - tau), a NaN passing through
	VMOVUPS Z1, (R8)
	ADDQ $64, R8
	ADDQ $64, R9
	SUBQ $16, CX
	JMP  spm_write

spm_writetail:
	TESTQ CX, CX
	JZ    spm_done
	TAILMASK
	VMOVUPS.Z (R9), K1, Z1
	VSUBPS Z3, Z1, Z1
	VMAXPS Z1, Z4, Z1
	VMOVUPS Z1, K1, (R8)

spm_done:
	VZEROUPPER
	RET

// func sparsemaxRowAVX2(dst, x, zs []float32)
// sparsemaxRowAVX512 with 8 lanes. Register plan: Y0 the running maximum,
// then a pass's sum; Y1 the values in hand; Y2 the lanes above tau (a
// mask), then those values; Y3 the broadcast maximum, then tau; Y4 zero;
// X5 1.0, X6 the count as a float; Y12 the tail mask. BX n, CX the values
// left, R8 and R9 walk the rows, R10 a pass's count, R11 the previous
// pass's, R12 zs; DX is TAILMASK2's scratch.
TEXT ·sparsemaxRowAVX2(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), BX
	MOVQ zs_base+48(FP), R12
	TESTQ BX, BX
	JZ    spm2_done
	MOVL $0xff800000, AX
	VMOVD AX, X0
	VBROADCASTSS X0, Y0
	MOVQ SI, R8
	MOVQ BX, CX

spm2_max:
	CMPQ CX, $8
	JB   spm2_maxtail
	VMAXPS (R8), Y0, Y0
	ADDQ $32, R8
	SUBQ $8, CX
	JMP  spm2_max

spm2_maxtail:
	TESTQ CX, CX
	JZ    spm2_maxdone
	TAILMASK2(DX)
	VMASKMOVPS (R8), Y12, Y2
	VBLENDVPS Y12, Y2, Y0, Y2
	VMAXPS Y2, Y0, Y0

spm2_maxdone:
	HMAX2
	VBROADCASTSS X0, Y3
	MOVQ SI, R8
	MOVQ R12, R9
	MOVQ BX, CX

spm2_shift:
	CMPQ CX, $8
	JB   spm2_shifttail
	VMOVUPS (R8), Y1
	VSUBPS Y3, Y1, Y1
	VMOVUPS Y1, (R9)
	ADDQ $32, R8
	ADDQ $32, R9
	SUBQ $8, CX
	JMP  spm2_shift

spm2_shifttail:
	TESTQ CX, CX
	JZ    spm2_iterate
	TAILMASK2(DX)
	VMASKMOVPS (R8), Y12, Y1
	VSUBPS Y3, Y1, Y1
	VMASKMOVPS Y1, Y12, (R9)

spm2_iterate:
	MOVL $0xff800000, AX
	VMOVD AX, X3
	VBROADCASTSS X3, Y3
	MOVL $0x3f800000, AX
	VMOVD AX, X5
	LEAQ 1(BX), R11

spm2_pass:
	VXORPS Y0, Y0, Y0
	XORQ R10, R10
	MOVQ R12, R9
	MOVQ BX, CX

spm2_sum:
	CMPQ CX, $8
	JB   spm2_sumtail
	VMOVUPS (R9), Y1
	VCMPPS $0x1e, Y3, Y1, Y2 // z > tau, ordered
	VANDPS Y1, Y2, Y1
	VADDPS Y1, Y0, Y0
	VMOVMSKPS Y2, AX
	POPCNTL AX, AX
	ADDQ AX, R10
	ADDQ $32, R9
	SUBQ $8, CX
	JMP  spm2_sum

spm2_sumtail:
	TESTQ CX, CX
	JZ    spm2_sumdone
	TAILMASK2(DX)
	VMASKMOVPS (R9), Y12, Y1
	VCMPPS $0x1e, Y3, Y1, Y2
	VANDPS Y12, Y2, Y2
	VANDPS Y1, Y2, Y1
	VADDPS Y1, Y0, Y0
	VMOVMSKPS Y2, AX
	POPCNTL AX, AX
	ADDQ AX, R10

spm2_sumdone:
	TESTQ R10, R10
	JZ    spm2_out
	CMPQ R10, R11
	JAE   spm2_out
	MOVQ R10, R11
	HSUM2
	VSUBSS X5, X0, X0
	VCVTSI2SSQ R10, X6, X6
	VDIVSS X6, X0, X0
	VBROADCASTSS X0, Y3
	JMP  spm2_pass

spm2_out:
	VXORPS Y4, Y4, Y4
	MOVQ R12, R9
	MOVQ DI, R8
	MOVQ BX, CX

spm2_write:
	CMPQ CX, $8
	JB   spm2_writetail
	VMOVUPS (R9), Y1
	VSUBPS Y3, Y1, Y1
	VMAXPS Y1, Y4, Y1 // max(0, z - tau), a NaN passing through
	VMOVUPS Y1, (R8)
	ADDQ $32, R8
	ADDQ $32, R9
	SUBQ $8, CX
	JMP  spm2_write

spm2_writetail:
	TESTQ CX, CX
	JZ    spm2_done
	TAILMASK2(DX)
	VMASKMOVPS (R9), Y12, Y1
	VSUBPS Y3, Y1, Y1
	VMAXPS Y1, Y4, Y1
	VMASKMOVPS Y1, Y12, (R8)

spm2_done:
	VZEROUPPER
	RET
