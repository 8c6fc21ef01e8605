//go:build !purego

package kernels

import "unsafe"

// The NEON attention kernels of the row path (the decode step, sparsemax
// and the tiled path): attention_neon_arm64.s. The assembly reads its
// arguments from these structs; TestNEONAttentionArgsLayout checks the
// offsets it hard-codes.

type neonDotRowsArgs struct {
	s, q, k    *float32
	nk, dh, ks int // keys, values per key, floats between keys
	scale      float32
}

type neonAxpyRowsArgs struct {
	o, p, v    *float32
	nk, dh, vs int      // keys, values per row, floats between value rows
	ps         int      // floats between consecutive p values
	c          *float32 // nil: o = sum; else o = o*c + sum
}

//go:noescape
func dotRowsNEON(args *neonDotRowsArgs)

//go:noescape
func axpyRowsNEON(args *neonAxpyRowsArgs)

// dotRowsNEONGo sets s[j] = scale * dot(q, k[j*ks : j*ks+len(q)]), the
// contract of dotRowsGeneric.
func dotRowsNEONGo(s, q, k []float32, ks int, scale float32) {
	nk := len(s)
	if nk == 0 {
		return
	}
	if len(q) == 0 {
		clear(s)
		return
	}
	_ = k[(nk-1)*ks+len(q)-1]
	a := neonDotRowsArgs{&s[0], &q[0], &k[0], nk, len(q), ks, scale}
	dotRowsNEON(&a)
}

// axpyRowsNEONGo sets o = sum_j p[j] * v[j*vs : j*vs+len(o)], the contract
// of axpyRowsGeneric.
func axpyRowsNEONGo(o, p, v []float32, vs int) {
	nk := len(p)
	if len(o) == 0 {
		return
	}
	if nk == 0 {
		clear(o)
		return
	}
	_ = v[(nk-1)*vs+len(o)-1]
	a := neonAxpyRowsArgs{&o[0], &p[0], &v[0], nk, len(o), vs, 1, nil}
	axpyRowsNEON(&a)
}

// The blocked path (16 queries a block, attention_kernels.go): scoresT is a
// 6x16 gemm of the keys by the transposed queries followed by the scale,
// softmaxCols one assembly pass over the tile, and pvT one
// register-resident axpyRowsNEON per query row with the score column as p
// (stride 16) and the rescale factor as c.

// neonQueryBlock is the NEON level's rowKernels.queryBlock: the 16 columns
// of a gemm6x16NEON panel, four vectors of lanes in softmaxColsNEON.
const neonQueryBlock = 16

// neonZeroBias is the zero bias row of scoresT's gemm.
var neonZeroBias [neonQueryBlock]float32

// scoresTNEON sets st[j*16 + r] = scale * sum_d k[j*ks+d] * qt[d*16+r], the
// contract of scoresTGeneric with qb = 16, summing over d in order.
func scoresTNEON(st, qt, k []float32, nk, dh, ks int, scale float32) {
	const qb = neonQueryBlock
	if nk <= 0 {
		return
	}
	if len(qt) != dh*qb || len(st) < nk*qb {
		panic("kernels: scoresTNEON: tile sizes do not match a block of 16 queries")
	}
	_ = k[(nk-1)*ks+dh-1]
	g := gemmArgs{
		a: unsafe.Pointer(&k[0]), lda: uintptr(4 * ks),
		b: unsafe.Pointer(&qt[0]), ldb: uintptr(4 * dh * qb),
		c: unsafe.Pointer(&st[0]), ldc: 4 * qb,
		bias: unsafe.Pointer(&neonZeroBias[0]),
		m:    nk, mr: neonGemm.mrMax, kc: dh, panels: 1, cols: qb,
	}
	gemm6x16NEON(&g)
	scaleNEON(st[:nk*qb], scale)
}

// softmaxColsNEONGo is softmaxColsGeneric for 16 lanes.
func softmaxColsNEONGo(st []float32, nk int, mlc []float32) {
	if len(mlc) != 3*neonQueryBlock || len(st) < nk*neonQueryBlock {
		panic("kernels: softmaxColsNEON: tile sizes do not match a block of 16 queries")
	}
	softmaxColsNEON(&st[0], nk, &mlc[0])
}

// pvTNEON sets o[r*dh+d] = o[r*dh+d]*c[r] + sum_j st[j*16+r] * v[j*vs+d],
// the contract of pvTGeneric with qb = 16.
func pvTNEON(o, st, v, c []float32, nk, dh, vs int) {
	const qb = neonQueryBlock
	if len(c) != qb || len(o) < qb*dh || len(st) < nk*qb {
		panic("kernels: pvTNEON: tile sizes do not match a block of 16 queries")
	}
	if nk > 0 {
		_ = v[(nk-1)*vs+dh-1]
	}
	for r := range qb {
		if nk == 0 {
			scaleNEON(o[r*dh:(r+1)*dh], c[r])
			continue
		}
		a := neonAxpyRowsArgs{&o[r*dh], &st[r], &v[0], nk, dh, vs, qb, &c[r]}
		axpyRowsNEON(&a)
	}
}
