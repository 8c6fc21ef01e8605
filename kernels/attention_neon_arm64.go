//go:build !purego

package kernels

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
	nk, dh, vs int // keys, values per row, floats between value rows
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
	a := neonAxpyRowsArgs{&o[0], &p[0], &v[0], nk, len(o), vs}
	axpyRowsNEON(&a)
}
