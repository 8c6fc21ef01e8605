package kernels

import "unsafe"

// This file is the contract between the int8 matrix product's algorithm
// (qmatmul.go: quantizing A, blocking, threading, the activation) and the
// int8 micro-kernels, as matmul_kernel.go is for the float product.
//
// Packed weights. W = q * scale[col] (q int8, one float32 scale per
// column) is cut into ceil(N/nr) panels of nr columns, and K is padded with
// zero rows to kp, a multiple of the family's kalign (itself a multiple of
// its group, c below). Panel p holds kp/c groups of c consecutive k, c the
// family's kgroup (4 or 8, the "c4" or "c8" of its name); group g holds,
// for each of the nr columns j, the c bytes q[c*g+t][p*nr+j], t < c:
//
//	panel[g*c*nr + c*j + t] = q[c*g+t][p*nr+j]    (0 past K or N)
//
// With c = 4 that is what VPDPBUSD and SDOT read: one 32-bit lane per
// column, the four products of a group summed into it. With c = 8 a
// 16-byte register holds a column pair j, j+1 (j even) by 8 k, the 8x2
// right operand of SMMLA. Scales and bias are padded to nr per panel, zero
// in the padding. Families whose A is unsigned (u8 with a zero point of
// 128, for VPDPBUSD's u8 x s8) also keep, per column, corr[j] = -128 * sum
// over k of q[k][j], the start of each accumulator, which removes the zero
// point: sum (a+128) q - 128 sum q = sum a q.
//
// Quantized A. Row i of A is a_s8[i][k] = round(a[i][k] / sa[i]) in
// [-127, 127] (qmatmul.go says how), kp bytes a row, zero past K. A
// zero-point family reads it as u8: a_u8 = a_s8 + 128 = a_s8 XOR 0x80; an
// a16 family as int16 (2 kp bytes a row). A rowPairs family (SMMLA) reads
// the rows in pairs 2p, 2p+1, interleaved by 8 k, 2 kp bytes a pair: 16
// bytes for each 8 k, the 8 of row 2p then the 8 of row 2p+1, the 2x8 left
// operand of SMMLA:
//
//	A[i][k] at (i &^ 1)*kp + 16*(k/8) + 8*(i&1) + k%8
//
// When m is odd the last pair's second row is there, all zero (it is read,
// never stored).
//
// The call. callQgemm(kern, args) computes, for every panel q in
// [0, args.panels), every row i in [0, args.m) and every column j of the
// panel that exists (all nr but in the last panel, which has args.cols):
//
//	acc     = corr[j] (zero-point families) or 0
//	          + sum over k in [0, kp) of A[i][k] * P_q[k][j]     (int32)
//	C[i][j] = float32(float32(acc) * (rowScale[i] * colScale[j])) + bias[j]
//
// with exact integer arithmetic: |acc| <= K * 127 * 128 < 2^31 for K up to
// MaxInt8K, so the order of the sum does not matter and every family gives
// the same acc, bit for bit, as the Go twin (the zero-point families wrap
// modulo 2^32 in between, which the correction undoes exactly). The three
// float operations are rounded one by one (no fused multiply-add), so C is
// bit-identical at every level too. A[i][k] is the byte at args.a + i*lda +
// k, P_q[k][j] the byte at args.b + q*ldb + the offset above, C[i][c] the
// float32 at args.c + i*ldc + 4c (A[i][k] is the int16 at args.a + i*lda +
// 2k for an a16 family, the byte at args.a plus the pair offset above for
// a rowPairs one); bias, colScale and corr hold nr values a panel from
// their pointers, rowScale one float32 a row.
//
// Rows are taken in blocks of args.mr (1 <= mr <= mrMax) as in the float
// product; a rowPairs family takes an even mr (and args.a at an even row
// of the scratch), and a block of odd rows reads the zero row after its
// last one. The kernel must not read A outside rows [0, m) (rounded up to
// even for rowPairs) and bytes [0, kp), nor read rowScale or touch C
// outside rows [0, m) and the existing columns (the last panel's columns
// past args.cols are neither loaded nor stored; maskLo, maskHi and mask
// hold their masks). It may read whole padded panels, scales, bias and
// corr, and prefetch past them. m, panels >= 1; groups (kp/4) may be 0.
//
// The families, per level (qgemmKernelFor in the arch files):
//
//	generic  qgemm-16c4-go            the Go twin, s8 A
//	avx2     qgemm-6x16c4-avxvnni     VPDPBUSD ymm (VEX) on CPUs with AVX-VNNI, u8 A
//	         qgemm-5x8c4-avx2         otherwise: VPMADDWD on int16 A
//	avx512   qgemm-12x32c4-avx512vnni VPDPBUSD zmm on CPUs with AVX512-VNNI, u8 A
//	         (the avx2 choice on AVX-512 CPUs without it)
//	neon     qgemm-8x8c8-neoni8mm     SMMLA on CPUs with I8MM, s8 A in row pairs
//	         qgemm-4x16c4-neondot     otherwise SDOT by element on CPUs with DotProd, s8 A
//	         (the Go twin without either)
//
// qgemm-8x8c8-go, the Go twin of the SMMLA kernel (qmatmul_pairs.go), is
// no level's choice: the tests run it on every machine, so that its
// layouts (c8 panels, A in row pairs) are checked where no I8MM runs.
//
// A new kernel adds a family: a qgemmID, a routine honouring the contract,
// a case in callQgemm and qgemmKernelFor, and an entry in qgemmKernels so
// that TestQgemmKernels checks it at every row block, tail and K.

// qgemmArgs is what an int8 micro-kernel reads. The assembly knows its
// field offsets; TestQgemmArgsLayout checks them.
type qgemmArgs struct {
	a          unsafe.Pointer // quantized A at row 0
	lda        uintptr        // bytes between rows of quantized A (kp; 2 kp for a16)
	b          unsafe.Pointer // first panel
	ldb        uintptr        // bytes between panels (kp*nr)
	c          unsafe.Pointer // C at row 0, first column of the first panel
	ldc        uintptr        // bytes between rows of C
	bias       unsafe.Pointer // float32 bias of the first panel (nr a panel)
	colScale   unsafe.Pointer // float32 column scales of the first panel
	corr       unsafe.Pointer // int32 accumulator starts (zero-point families)
	rowScale   unsafe.Pointer // float32 scale of each row of A
	m          int            // rows of A and C
	mr         int            // rows per block, 1..mrMax
	groups     int            // kp/4: groups of 4 k
	panels     int            // number of panels
	maskLo     uint64         // AVX-512: columns 0..15 of the last panel that exist
	maskHi     uint64         // AVX-512: columns 16..31
	rowsLeft   int            // kernel scratch
	panelsLeft int            // kernel scratch
	rowAt      uintptr        // kernel scratch: rowScale at the current row block
	mask       [16]int32      // AVX2: -1 where a column of the last panel exists
	cols       int            // columns that exist in the last panel, 1..nr
	partial    int            // 1 when cols < nr, else 0
}

// setCols fills the column masks for a last panel of cols columns.
func (g *qgemmArgs) setCols(cols, nr int) {
	g.cols = cols
	if cols < nr {
		g.partial = 1
	}
	g.maskLo = 1<<min(cols, 16) - 1
	g.maskHi = 1<<max(cols-16, 0) - 1
	for j := range g.mask {
		if j < cols {
			g.mask[j] = -1
		}
	}
}

// qgemmKernel is one int8 micro-kernel family: the routine callQgemm runs
// (id), its panel width nr and largest row block mrMax, the multiple kalign
// that K is padded to, the k a group of its panels holds (kgroup), and
// whether it reads A as u8 with a zero point of 128 (VPDPBUSD), as s8, or
// as int16 (a16), in rows or in row pairs (rowPairs).
type qgemmKernel struct {
	id        qgemmID
	level     Level
	nr, mrMax int
	kalign    int
	kgroup    int // k per group of the panels: 4 (c4) or 8 (c8)
	zeroPoint bool
	a16       bool   // A as int16 rather than bytes
	rowPairs  bool   // A in row pairs interleaved by 8 k (SMMLA)
	name      string // XNNPACK-style: operation, tile, ISA
}

// qgemmID names an int8 micro-kernel routine for callQgemm.
type qgemmID uint8

const (
	qgemmGo      qgemmID = iota // qgemmGeneric, the Go twin
	qgemmVNNI512                // qgemm12x32c4VNNI512: VPDPBUSD zmm
	qgemmAVXVNNI                // qgemm6x16c4AVXVNNI: VPDPBUSD ymm, VEX (AVX-VNNI)
	qgemmVNNI256                // qgemm6x16c4VNNI256: the same kernel, EVEX (AVX512-VNNI + VL)
	qgemmAVX2                   // qgemm5x8c4AVX2: VPMADDWD on int16 A
	qgemmSDOT                   // qgemm4x16c4SDOT: NEON SDOT by element
	qgemmSMMLA                  // qgemm8x8c8SMMLA: NEON SMMLA (I8MM), A in row pairs
	qgemmGoPairs                // qgemm8x8c8Generic, the Go twin of qgemm8x8c8SMMLA
	numQgemm
)

// genericQgemm is the Go twin's family: s8 A, 16-column panels.
var genericQgemm = qgemmKernel{id: qgemmGo, level: Generic, nr: 16, mrMax: 4, kalign: 4, kgroup: 4, name: "qgemm-16c4-go"}

// qgemmGeneric is the Go twin of the int8 micro-kernels: the contract
// above for an s8 A and 16-column panels, one row and one panel at a time,
// the 16 sums of a row in locals that the compiler keeps in registers
// where the architecture has enough (arm64).
func qgemmGeneric(g *qgemmArgs) {
	const nr = 16
	kp := 4 * g.groups
	rowScale := unsafe.Slice((*float32)(g.rowScale), g.m)
	for q := 0; q < g.panels; q++ {
		cols := nr
		if q == g.panels-1 {
			cols = g.cols
		}
		off := uintptr(q * nr * 4)
		panel := unsafe.Slice((*int8)(unsafe.Add(g.b, uintptr(q)*g.ldb)), kp*nr)
		colScale := unsafe.Slice((*float32)(unsafe.Add(g.colScale, off)), nr)
		bias := unsafe.Slice((*float32)(unsafe.Add(g.bias, off)), nr)
		for i := 0; i < g.m; i++ {
			a := unsafe.Slice((*int8)(unsafe.Add(g.a, uintptr(i)*g.lda)), kp)
			var s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15 int32
			for grp := 0; grp < kp/4; grp++ {
				x := (*[4]int8)(a[4*grp : 4*grp+4])
				a0, a1, a2, a3 := int32(x[0]), int32(x[1]), int32(x[2]), int32(x[3])
				w := (*[4 * nr]int8)(panel[grp*4*nr : grp*4*nr+4*nr])
				s0 += a0*int32(w[0]) + a1*int32(w[1]) + a2*int32(w[2]) + a3*int32(w[3])
				s1 += a0*int32(w[4]) + a1*int32(w[5]) + a2*int32(w[6]) + a3*int32(w[7])
				s2 += a0*int32(w[8]) + a1*int32(w[9]) + a2*int32(w[10]) + a3*int32(w[11])
				s3 += a0*int32(w[12]) + a1*int32(w[13]) + a2*int32(w[14]) + a3*int32(w[15])
				s4 += a0*int32(w[16]) + a1*int32(w[17]) + a2*int32(w[18]) + a3*int32(w[19])
				s5 += a0*int32(w[20]) + a1*int32(w[21]) + a2*int32(w[22]) + a3*int32(w[23])
				s6 += a0*int32(w[24]) + a1*int32(w[25]) + a2*int32(w[26]) + a3*int32(w[27])
				s7 += a0*int32(w[28]) + a1*int32(w[29]) + a2*int32(w[30]) + a3*int32(w[31])
				s8 += a0*int32(w[32]) + a1*int32(w[33]) + a2*int32(w[34]) + a3*int32(w[35])
				s9 += a0*int32(w[36]) + a1*int32(w[37]) + a2*int32(w[38]) + a3*int32(w[39])
				s10 += a0*int32(w[40]) + a1*int32(w[41]) + a2*int32(w[42]) + a3*int32(w[43])
				s11 += a0*int32(w[44]) + a1*int32(w[45]) + a2*int32(w[46]) + a3*int32(w[47])
				s12 += a0*int32(w[48]) + a1*int32(w[49]) + a2*int32(w[50]) + a3*int32(w[51])
				s13 += a0*int32(w[52]) + a1*int32(w[53]) + a2*int32(w[54]) + a3*int32(w[55])
				s14 += a0*int32(w[56]) + a1*int32(w[57]) + a2*int32(w[58]) + a3*int32(w[59])
				s15 += a0*int32(w[60]) + a1*int32(w[61]) + a2*int32(w[62]) + a3*int32(w[63])
			}
			acc := [nr]int32{s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15}
			c := unsafe.Slice((*float32)(unsafe.Add(g.c, uintptr(i)*g.ldc+off)), cols)
			sa := rowScale[i]
			for j := range c {
				s := sa * colScale[j]
				c[j] = float32(float32(acc[j])*s) + bias[j]
			}
		}
	}
}
