//go:build !purego

package kernels

import "github.com/klauspost/cpuid/v2"

// neonFeatures are the optional arm64 extensions, read once at start-up,
// that the int8 kernels choose by (qgemmKernelFor: SMMLA with i8mm, SDOT
// with dotProd; the float kernels need only Advanced SIMD, which every
// arm64 CPU has). cpuid reads them from HWCAP/HWCAP2 on Linux (qemu-aarch64
// passes its -cpu model's there) and from sysctl (hw.optional.arm.FEAT_*)
// on macOS. golang.org/x/sys/cpu (v0.41.0) has ARM64.HasI8MM too, but on
// darwin it sets only FP and ASIMD, which would keep Apple M2 and later off
// the SMMLA kernel.
var neonFeatures = struct {
	asimd   bool // Advanced SIMD, always true on a conforming CPU
	dotProd bool // SDOT/UDOT: int8 dot products into int32 lanes
	i8mm    bool // SMMLA/UMMLA/USMMLA: int8 2x8 by 8x2 matrix multiply-accumulate
	bf16    bool // BFDOT/BFMMLA: bfloat16 products into float32
}{
	asimd:   cpuid.CPU.Supports(cpuid.ASIMD),
	dotProd: cpuid.CPU.Supports(cpuid.ASIMDDP),
	i8mm:    cpuid.CPU.Supports(cpuid.I8MM),
	bf16:    cpuid.CPU.Supports(cpuid.BF16),
}
