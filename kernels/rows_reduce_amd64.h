// Reductions and tail masks shared by the row kernels (rows_avx512_amd64.s,
// rows_avx512_lin_amd64.s, rows_avx2_amd64.s, rows_avx2_lin_amd64.s).

// HSUM512 (HMAX512) leaves the sum (maximum) of Z0's lanes in the low lane
// of X0; Z1 clobbered.
#define HSUM512 \
	VEXTRACTF64X4 $1, Z0, Y1; \
	VADDPS Y1, Y0, Y0; \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPS X1, X0, X0; \
	VPERMILPS $0x4e, X0, X1; \
	VADDPS X1, X0, X0; \
	VPERMILPS $0xb1, X0, X1; \
	VADDPS X1, X0, X0

#define HMAX512 \
	VEXTRACTF64X4 $1, Z0, Y1; \
	VMAXPS Y1, Y0, Y0; \
	VEXTRACTF128 $1, Y0, X1; \
	VMAXPS X1, X0, X0; \
	VPERMILPS $0x4e, X0, X1; \
	VMAXPS X1, X0, X0; \
	VPERMILPS $0xb1, X0, X1; \
	VMAXPS X1, X0, X0

// TAILMASK sets K1 to the low CX bits (CX in 1..15); AX clobbered.
#define TAILMASK \
	MOVL $1, AX; \
	SHLL CX, AX; \
	DECL AX; \
	KMOVW AX, K1

// HSUM2 (HMAX2) leaves the sum (maximum) of Y0's lanes in the low lane of
// X0; Y1 clobbered.
#define HSUM2 \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPS X1, X0, X0; \
	VPERMILPS $0x4e, X0, X1; \
	VADDPS X1, X0, X0; \
	VPERMILPS $0xb1, X0, X1; \
	VADDPS X1, X0, X0

#define HMAX2 \
	VEXTRACTF128 $1, Y0, X1; \
	VMAXPS X1, X0, X0; \
	VPERMILPS $0x4e, X0, X1; \
	VMAXPS X1, X0, X0; \
	VPERMILPS $0xb1, X0, X1; \
	VMAXPS X1, X0, X0

// TAILMASK2 sets Y12 to a mask of the low CX lanes (CX in 1..7) from
// ·tailMask; AX and r clobbered.
#define TAILMASK2(r) \
	LEAQ ·tailMask(SB), AX; \
	MOVQ $8, r; \
	SUBQ CX, r; \
	VMOVDQU (AX)(r*4), Y12
