// Mask macros of the AVX-512 attention kernels (attention_rows_avx512_amd64.s,
// attention_baseline_avx512_amd64.s).

// TAILMASK sets K1 to the low CX bits (CX in 1..15); AX clobbered.
#define TAILMASK \
	MOVL $1, AX; \
	SHLL CX, AX; \
	DECL AX; \
	KMOVW AX, K1

// MKMASK sets K to the lanes of chunk off/16 of the R8 dims left: min(max(
// R8-off, 0), 16) low bits. AX, CX clobbered.
#define MKMASK(off, K) \
	MOVQ R8, CX; \
	SUBQ $off, CX; \
	MOVQ $0, AX; \
	CMPQ CX, $0; \
	CMOVQLT AX, CX; \
	MOVQ $16, AX; \
	CMPQ CX, AX; \
	CMOVQGT AX, CX; \
	MOVL $1, AX; \
	SHLL CX, AX; \
	DECL AX; \
	KMOVW AX, K
