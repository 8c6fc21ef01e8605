// Offsets in ·vecConsts (row * 32, rows_consts_amd64.go) of the GELU
// constants, shared by rows_avx2_amd64.s and rows_avx512_amd64.s.

#define G_ONE 256 // 1.0
#define G_HALF 448 // 0.5
#define G_ABS 928 // |x| mask
#define G_CLAMP 1024 // 14.5
#define G_C 1088 // c of m = a/(1.25 a + c)
#define G_M0 1120 // m0, the centre of Q
#define G_Q8 1152 // Q's coefficients, highest first
#define G_Q7 1184
#define G_Q6 1216
#define G_Q5 1248
#define G_Q4 1280
#define G_Q3 1312
#define G_Q2 1344
#define G_Q1 1376
#define G_Q0 1408
#define G_LOG2E 1440 // log2(e)/2
#define G_RND 1472 // 1.5 * 2^23 + 127
#define G_LN2HI 1504 // -2 ln2, high part
#define G_LN2LO 1536 // -2 ln2, low part
#define G_E6 1568 // exp(r/2): c6/64 ... c2/4, then G_HALF, G_ONE
#define G_E5 1600
#define G_E4 1632
#define G_E3 1664
#define G_E2 1696
#define G_S 1728 // 1.25
#define G_NMIN 1760 // bits(1.5 * 2^23 + 127) - 127
