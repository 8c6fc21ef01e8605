//go:build !purego

package kernels

// The attention kernels take a pointer to a small struct of pointers and
// sizes; the field offsets are #defined at the top of each kernel in
// attention_avx512_amd64.s. The wrappers below check the slices' extents
// (the assembly trusts them) and build the struct on the stack.

type scoresArgs struct {
	st, qt, k  *float32
	nk, dh, ks int
	scale      float32
}

type colsArgs struct {
	st  *float32
	nk  int
	mlc *float32
}

type pvArgs struct {
	o, st, v, c *float32
	nk, dh, vs  int
}

type dotRowsArgs struct {
	s, q, k    *float32
	nk, dh, ks int
	scale      float32
}

type axpyRowsArgs struct {
	o, p, v    *float32
	nk, dh, vs int
}

//go:noescape
func scoresT16AVX512(a *scoresArgs)

//go:noescape
func softmaxCols16AVX512(a *colsArgs)

//go:noescape
func pv4AVX512(a *pvArgs)

//go:noescape
func dotRowsAVX512(a *dotRowsArgs)

//go:noescape
func axpyRowsAVX512(a *axpyRowsArgs)

func scoresTAVX512(st, qt, k []float32, nk, dh, ks int, scale float32) {
	if nk == 0 {
		return
	}
	_, _, _ = st[nk*16-1], qt[dh*16-1], k[(nk-1)*ks+dh-1]
	a := scoresArgs{&st[0], &qt[0], &k[0], nk, dh, ks, scale}
	scoresT16AVX512(&a)
}

func softmaxColsAVX512(st []float32, nk int, mlc []float32) {
	if nk == 0 {
		return
	}
	_, _ = st[nk*16-1], mlc[47]
	a := colsArgs{&st[0], nk, &mlc[0]}
	softmaxCols16AVX512(&a)
}

func pvTAVX512(o, st, v, c []float32, nk, dh, vs int) {
	if nk == 0 {
		return
	}
	_, _, _, _ = o[16*dh-1], st[nk*16-1], v[(nk-1)*vs+dh-1], c[15]
	for q := 0; q < 16; q += 4 {
		a := pvArgs{&o[q*dh], &st[q], &v[0], &c[q], nk, dh, vs}
		pv4AVX512(&a)
	}
}

func dotRowsAVX512Go(s, q, k []float32, ks int, scale float32) {
	nk := len(s)
	if nk == 0 || len(q) == 0 {
		clear(s)
		return
	}
	_ = k[(nk-1)*ks+len(q)-1]
	a := dotRowsArgs{&s[0], &q[0], &k[0], nk, len(q), ks, scale}
	dotRowsAVX512(&a)
}

func axpyRowsAVX512Go(o, p, v []float32, vs int) {
	nk := len(p)
	if nk == 0 || len(o) == 0 {
		clear(o)
		return
	}
	_ = v[(nk-1)*vs+len(o)-1]
	a := axpyRowsArgs{&o[0], &p[0], &v[0], nk, len(o), vs}
	axpyRowsAVX512(&a)
}
