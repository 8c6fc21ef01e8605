// Offsets in ·vecConsts (row * 32, rows_consts_amd64.go) of the GELU
// constants, shared by rows_avx2_amd64.s and rows_avx512_amd64.s.

#define G_ONE 256 // 1.0
#define G_HALF 448 // 0.5
#define G_C 480 // c of m = a/(1.25 a + c)
#define G_S 512 // 1.25
#define G_LOG2E 544 // log2(e)/2
#define G_Q8 576 // Q's coefficients in powers of m, highest first
#define G_Q7 608
#define G_Q6 640
#define G_Q5 672
#define G_Q4 704
#define G_Q3 736
#define G_Q2 768
#define G_Q1 800
#define G_Q0 832
#define G_RND 864 // 1.5 * 2^23 + 127
#define G_LN2HI 896 // -2 ln2, high part
#define G_ABS 928 // |x| mask
#define G_CLAMP 1024 // 14.5
#define G_LN2LO 1056 // -2 ln2, low part
#define G_E6 1088 // exp(r/2): c6/64 ... c2/4, then G_HALF, G_ONE
#define G_E5 1120
#define G_E4 1152
#define G_E3 1184
#define G_E2 1216
#define G_NMIN 1248 // bits(1.5 * 2^23 + 127) - 127
