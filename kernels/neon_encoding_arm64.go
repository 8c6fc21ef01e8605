//go:build !purego

package kernels

// Probes of the WORD-encoded instructions in neon_arm64.h, one per
// instruction: each loads a into V3 and b into V17, runs the instruction
// into V29 and stores V29 to dst. Only the tests call them.

//go:noescape
func neonProbeFADD(dst, a, b *[4]float32)

//go:noescape
func neonProbeFSUB(dst, a, b *[4]float32)

//go:noescape
func neonProbeFMUL(dst, a, b *[4]float32)

//go:noescape
func neonProbeFDIV(dst, a, b *[4]float32)

//go:noescape
func neonProbeFMAX(dst, a, b *[4]float32)

//go:noescape
func neonProbeFMIN(dst, a, b *[4]float32)

//go:noescape
func neonProbeFCMGE(dst, a, b *[4]float32)

//go:noescape
func neonProbeFCMGT(dst, a, b *[4]float32)

//go:noescape
func neonProbeFADDP4(dst, a, b *[4]float32)

//go:noescape
func neonProbeFABS(dst, a, b *[4]float32)

//go:noescape
func neonProbeFNEG(dst, a, b *[4]float32)

//go:noescape
func neonProbeFRINTN(dst, a, b *[4]float32)

//go:noescape
func neonProbeFCVTZS(dst, a, b *[4]float32)

//go:noescape
func neonProbeFADDP2(dst, a, b *[4]float32)

//go:noescape
func neonProbeFMAXV(dst, a, b *[4]float32)

//go:noescape
func neonProbeFMLAELEM0(dst, a, b *[4]float32)

//go:noescape
func neonProbeFMLAELEM1(dst, a, b *[4]float32)

//go:noescape
func neonProbeFMLAELEM2(dst, a, b *[4]float32)

//go:noescape
func neonProbeFMLAELEM3(dst, a, b *[4]float32)

//go:noescape
func neonProbeSSHR(dst, a, b *[4]float32)

// Probes of SMMLA (I8MM): dst += a (2x8) times b (8x2, as two columns of
// 8), as qgemm8x8c8SMMLA runs it. They fault on a CPU without I8MM.

//go:noescape
func neonProbeSMMLA(dst *[4]int32, a, b *[16]int8)

//go:noescape
func neonProbeSMMLAComplement(dst *[4]int32, a, b *[16]int8)
