package kernels

import "unsafe"

// This file is the row-pair side of the int8 product, the layout of
// SMMLA (Armv8.6 I8MM; qmatmul_i8mm_arm64.s): the Go twin of that kernel
// and the Go twin of the quantizer that writes A in row pairs.
//
// SMMLA Vd.4S, Vn.16B, Vm.16B multiplies a 2x8 s8 matrix (Vn: two rows of
// 8 k) by an 8x2 one (Vm: two columns of 8 k, stored as rows) and adds the
// 2x2 int32 product into Vd, row-major. Quantized A holds rows 2p, 2p+1
// interleaved by 8 k, so that each 16 bytes are a Vn; the c8 panels hold
// columns j, j+1 by 8 k, so that each 16 bytes are a Vm
// (qmatmul_kernel.go gives both layouts).

// pairsGoQgemm is the Go twin of the SMMLA family: the same layouts and
// tile (8 columns a panel, K padded to 16), run by the tests only.
var pairsGoQgemm = qgemmKernel{id: qgemmGoPairs, level: Generic, nr: 8, mrMax: 8, kalign: 16, kgroup: 8, rowPairs: true, name: "qgemm-8x8c8-go"}

// smmla is SMMLA Vd.4S, Vn.16B, Vm.16B in Go: d[2i+j] += sum over t < 8 of
// n[8i+t] * m[8j+t], i, j in {0, 1}.
func smmla(d *[4]int32, n, m *[16]int8) {
	for i := 0; i < 2; i++ {
		for j := 0; j < 2; j++ {
			var s int32
			for t := 0; t < 8; t++ {
				s += int32(n[8*i+t]) * int32(m[8*j+t])
			}
			d[2*i+j] += s
		}
	}
}

// qgemm8x8c8Generic is the Go twin of qgemm8x8c8SMMLA: the contract of
// qmatmul_kernel.go for A in row pairs and c8 panels of 8 columns, one
// row pair and one panel at a time, one smmla per column pair and 8 k.
func qgemm8x8c8Generic(g *qgemmArgs) {
	const nr = 8
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
		for i := 0; i < g.m; i += 2 {
			pair := unsafe.Slice((*int8)(unsafe.Add(g.a, uintptr(i)*g.lda)), 2*kp)
			var acc [nr / 2][4]int32 // column pair j/2: C[i][j], C[i][j+1], C[i+1][j], C[i+1][j+1]
			for grp := 0; grp < kp/8; grp++ {
				x := (*[16]int8)(pair[16*grp:])
				for jp := range acc {
					smmla(&acc[jp], x, (*[16]int8)(panel[grp*8*nr+16*jp:]))
				}
			}
			for r := 0; r < 2 && i+r < g.m; r++ {
				c := unsafe.Slice((*float32)(unsafe.Add(g.c, uintptr(i+r)*g.ldc+off)), cols)
				sa := rowScale[i+r]
				for j := range c {
					s := sa * colScale[j]
					c[j] = float32(float32(acc[j/2][2*r+j%2])*s) + bias[j]
				}
			}
		}
	}
}

// pairRow returns row i of quantized A in row pairs (kp bytes a row): the
// pair's bytes from the row's first one on, where k is at 16*(k/8) + k%8.
func pairRow(qa []int8, i, kp int) []int8 {
	base := (i &^ 1) * kp
	return qa[base+8*(i&1) : base+2*kp]
}

// quantizeRowPairs is quantizeRow into a row of a pair layout (pairRow):
// dst[16*(j/8) + j%8] = round(row[j] * inv) XOR flip; the other row's bytes
// in between are not touched.
func quantizeRowPairs(dst []int8, row []float32, inv float32, flip int8) {
	const magic = 0x1.8p23
	for j, v := range row {
		r := float32(float32(v*inv)+magic) - magic
		dst[16*(j/8)+j%8] = int8(int32(r)) ^ flip
	}
}

// fillRowPairs sets k in [from, to) of a row of a pair layout (pairRow) to
// v.
func fillRowPairs(dst []int8, from, to int, v int8) {
	for j := from; j < to; j++ {
		dst[16*(j/8)+j%8] = v
	}
}
