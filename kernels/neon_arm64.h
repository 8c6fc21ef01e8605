// Encodings of the Advanced SIMD float instructions that the Go assembler
// does not know. Each macro takes register numbers in the ARM operand order
// (destination first) and emits the instruction as a WORD; the comment
// gives the real mnemonic. neon_encoding_arm64.s runs every one of them
// under test (neon_encoding_arm64_test.go) against a Go computation, with
// register numbers that set every bit of each register field. Bases were
// checked against llvm-mc -triple=aarch64 -show-encoding.
//
// Instructions the Go assembler does know (VFMLA, VFMLS, VLD1, VLD1R, VST1,
// VDUP, VADD, VSHL, VAND, VORR, VEOR, VBSL) are written in Go syntax, where
// the destination comes last.

// fadd vD.4s, vN.4s, vM.4s
#define FADD_4S(d, n, m) WORD $(0x4E20D400 | ((m)<<16) | ((n)<<5) | (d))
// fsub vD.4s, vN.4s, vM.4s
#define FSUB_4S(d, n, m) WORD $(0x4EA0D400 | ((m)<<16) | ((n)<<5) | (d))
// fmul vD.4s, vN.4s, vM.4s
#define FMUL_4S(d, n, m) WORD $(0x6E20DC00 | ((m)<<16) | ((n)<<5) | (d))
// fdiv vD.4s, vN.4s, vM.4s
#define FDIV_4S(d, n, m) WORD $(0x6E20FC00 | ((m)<<16) | ((n)<<5) | (d))
// fmax vD.4s, vN.4s, vM.4s (NaN in either operand gives NaN)
#define FMAX_4S(d, n, m) WORD $(0x4E20F400 | ((m)<<16) | ((n)<<5) | (d))
// fmin vD.4s, vN.4s, vM.4s
#define FMIN_4S(d, n, m) WORD $(0x4EA0F400 | ((m)<<16) | ((n)<<5) | (d))
// fcmge vD.4s, vN.4s, vM.4s (all ones where n >= m)
#define FCMGE_4S(d, n, m) WORD $(0x6E20E400 | ((m)<<16) | ((n)<<5) | (d))
// fcmgt vD.4s, vN.4s, vM.4s (all ones where n > m)
#define FCMGT_4S(d, n, m) WORD $(0x6EA0E400 | ((m)<<16) | ((n)<<5) | (d))
// faddp vD.4s, vN.4s, vM.4s (pairwise: n0+n1, n2+n3, m0+m1, m2+m3)
#define FADDP_4S(d, n, m) WORD $(0x6E20D400 | ((m)<<16) | ((n)<<5) | (d))
// fabs vD.4s, vN.4s
#define FABS_4S(d, n) WORD $(0x4EA0F800 | ((n)<<5) | (d))
// fneg vD.4s, vN.4s
#define FNEG_4S(d, n) WORD $(0x6EA0F800 | ((n)<<5) | (d))
// frintn vD.4s, vN.4s (round to nearest, ties to even)
#define FRINTN_4S(d, n) WORD $(0x4E218800 | ((n)<<5) | (d))
// fcvtzs vD.4s, vN.4s (float to int32, toward zero)
#define FCVTZS_4S(d, n) WORD $(0x4EA1B800 | ((n)<<5) | (d))
// faddp sD, vN.2s (n0 + n1 into a scalar; the upper lanes of vD become 0)
#define FADDP_S2(d, n) WORD $(0x7E30D800 | ((n)<<5) | (d))
// fmaxv sD, vN.4s (maximum of the four lanes into a scalar)
#define FMAXV_4S(d, n) WORD $(0x6E30F800 | ((n)<<5) | (d))
// fmla vD.4s, vN.4s, vM.s[i] (by element; m is V0-V31, i is 0-3)
#define FMLA_ELEM_4S(d, n, m, i) WORD $(0x4F801000 | (((i)&1)<<21) | (((i)>>1)<<11) | ((m)<<16) | ((n)<<5) | (d))
// sshr vD.4s, vN.4s, #sh (arithmetic shift right of int32 lanes, sh 1-32)
#define SSHR_4S(d, n, sh) WORD $(0x4F000400 | ((64-(sh))<<16) | ((n)<<5) | (d))
