package kernels

import "unsafe"

// This file is the contract between the matrix product's algorithm
// (matmul.go: packing, blocking, threading, epilogue) and the per-level
// micro-kernels. A new ISA adds a micro-kernel, not a second matmul: write
// one routine that honours the contract below, return its shape from
// gemmKernelFor and call it from callGemm in the arch file (matmul_arm64.go
// + matmul_arm64.s).
//
// Packed weights. W (K x N) is cut into ceil(N/nr) panels of nr columns.
// Panel p holds K rows of nr float32 values, row k at offset k*nr:
// panel[k*nr+j] = W[k][p*nr+j], zero for columns past N. Panels follow each
// other (panel p starts at p*K*nr), so a K chunk [k0, k0+kc) of a panel is
// the contiguous range [p*K*nr+k0*nr, p*K*nr+(k0+kc)*nr). The bias is padded
// the same way: nr values per panel, zero where there is no bias.
//
// The call. callGemm(level, args) runs the level's routine, which computes,
// for every panel q in [0, args.panels) and every row i in [0, args.m), the
// columns j in [0, nr) of that panel that exist (all nr except in the last
// panel, which has args.cols):
//
//	start = bias[q*nr+j]             when args.accumulate == 0
//	start = C[i][q*nr+j]             when args.accumulate != 0
//	C[i][q*nr+j] = start + sum over k in [0, kc) of A[i][k] * P_q[k][j]
//
// where A[i][k] is the float32 at args.a + i*lda + 4k (bytes), P_q[k][j] the
// one at args.b + q*ldb + 4(k*nr+j), C[i][c] the one at args.c + i*ldc + 4c,
// and bias[c] the one at args.bias + 4c. The sum runs in increasing k, one
// fused or unfused multiply-add per term into a float32 accumulator that
// starts at start; this order, the same for every row block and every column,
// is what makes results independent of blocking and thread count.
//
// Rows are taken in blocks of args.mr (1 <= mr <= the kernel's own maximum
// row count, mrMax), the last block holding what is left. The kernel must not
// read A outside rows [0, m) and columns [0, kc), nor read or write C outside
// rows [0, m) and the existing columns: the columns of the last panel past
// args.cols are neither loaded nor stored (AVX-512 masks them with K1/K2,
// AVX2 with VMASKMOVPS; maskLo, maskHi and mask hold those masks ready-made).
// It may read the whole padded panel and padded bias, and may prefetch past
// the panels (prefetches do not fault). m, kc and panels are at least 1.
//
// Freedom. How the kernel walks the work is its own: the amd64 kernels take
// a small m (1..3 rows) several full panels at once, so that enough
// accumulators hide the FMA latency (args.partial says whether the last
// panel is partial, and so must go alone); they keep the loop state in args
// (rowsLeft, panelsLeft, and the b, c, bias cursors), so the caller fills a
// fresh args for every call. Only the arithmetic above is fixed.
//
// Registering an arm64 micro-kernel: in matmul_arm64.go, return
// gemmKernel{level: NEON, nr: ..., mrMax: ...} from gemmKernelFor(NEON) and
// call the routine from callGemm for NEON; TestGemmRowBlocks and TestMatMul
// then check it at every row block size, tail and layout.

// gemmArgs is what a micro-kernel reads. The assembly knows its field
// offsets; TestGemmArgsLayout checks them.
type gemmArgs struct {
	a          unsafe.Pointer // A at row 0, column k0
	lda        uintptr        // bytes between rows of A
	b          unsafe.Pointer // first panel at row k0
	ldb        uintptr        // bytes between panels (K*nr*4)
	c          unsafe.Pointer // C at row 0, first column of the first panel
	ldc        uintptr        // bytes between rows of C
	bias       unsafe.Pointer // bias of the first panel (nr values per panel)
	m          int            // rows of A and C
	mr         int            // rows per block, 1..mrMax
	kc         int            // length of the K chunk
	panels     int            // number of panels
	accumulate int            // 0: start from the bias; else add to C
	maskLo     uint64         // AVX-512: columns 0..15 of the last panel that exist
	maskHi     uint64         // AVX-512: columns 16..31
	rowsLeft   int            // kernel scratch
	panelsLeft int            // kernel scratch
	mask       [16]int32      // AVX2/generic: -1 where a column of the last panel exists
	cols       int            // columns that exist in the last panel, 1..nr
	partial    int            // 1 when cols < nr, else 0
}

// gemmKernel is one level's micro-kernel family: its panel width nr and its
// largest row block mrMax. callGemm (one per arch file) runs the level's
// routine: a static call through a switch, not a func value, so that the
// compiler sees the args do not escape and a product allocates nothing.
type gemmKernel struct {
	level     Level
	nr, mrMax int
}

// genericGemm is the pure-Go micro-kernel, 16-column panels.
var genericGemm = gemmKernel{level: Generic, nr: 16, mrMax: 4}

// gemmGeneric is the Go twin of the micro-kernels: the same contract, with
// the row block walked one row at a time and each row's 16 sums kept in
// locals so that the compiler keeps them in registers.
func gemmGeneric(g *gemmArgs) {
	const nr = 16
	kc := g.kc
	for q := 0; q < g.panels; q++ {
		cols := nr
		if q == g.panels-1 {
			cols = g.cols
		}
		panel := unsafe.Slice((*float32)(unsafe.Add(g.b, uintptr(q)*g.ldb)), kc*nr)
		for i := 0; i < g.m; i++ {
			a := unsafe.Slice((*float32)(unsafe.Add(g.a, uintptr(i)*g.lda)), kc)
			c := unsafe.Slice((*float32)(unsafe.Add(g.c, uintptr(i)*g.ldc+uintptr(q*nr*4))), cols)
			var s [nr]float32
			if g.accumulate != 0 {
				copy(s[:], c)
			} else {
				copy(s[:], unsafe.Slice((*float32)(unsafe.Add(g.bias, q*nr*4)), nr))
			}
			s0, s1, s2, s3, s4, s5, s6, s7 := s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]
			s8, s9, s10, s11, s12, s13, s14, s15 := s[8], s[9], s[10], s[11], s[12], s[13], s[14], s[15]
			for k, x := range a {
				w := (*[nr]float32)(panel[k*nr : k*nr+nr])
				s0 += x * w[0]
				s1 += x * w[1]
				s2 += x * w[2]
				s3 += x * w[3]
				s4 += x * w[4]
				s5 += x * w[5]
				s6 += x * w[6]
				s7 += x * w[7]
				s8 += x * w[8]
				s9 += x * w[9]
				s10 += x * w[10]
				s11 += x * w[11]
				s12 += x * w[12]
				s13 += x * w[13]
				s14 += x * w[14]
				s15 += x * w[15]
			}
			s = [nr]float32{s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15}
			copy(c, s[:cols])
		}
	}
}
