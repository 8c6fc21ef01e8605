//go:build !purego

package kernels

import "math"

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
	st     *float32
	nk     int
	mlc    *float32
	stride int // bytes between st rows (AVX-512 only)
	lanes  int // the block's lanes: l is at mlc[lanes], c at mlc[2*lanes] (AVX-512 only)
}

type pvArgs struct {
	o, st, v, c *float32
	nk, dh, vs  int
	stStride    int // bytes between st rows (AVX-512 only)
}

type dotRowsArgs struct {
	s, q, k    *float32
	nk, dh, ks int
	scale      float32
}

type gatherArgs struct {
	qt, q    *float32
	idx      *int32
	nq, dh   int
	qtStride int // bytes between qt rows (AVX-512 only)
}

type axpyRowsArgs struct {
	o, p, v    *float32
	nk, dh, vs int
}

//go:noescape
func scoresT16AVX512(a *scoresArgs)

//go:noescape
func scoresT32AVX512(a *scoresArgs)

//go:noescape
func softmaxCols16AVX512(a *colsArgs)

//go:noescape
func softmaxColsRef16AVX512(a *colsArgs)

//go:noescape
func pv4AVX512(a *pvArgs)

//go:noescape
func dotRowsAVX512(a *dotRowsArgs)

//go:noescape
func axpyRowsAVX512(a *axpyRowsArgs)

// The AVX-512 wrappers take blocks of 16 or 32 queries (qb, from the
// slices' lengths): 32 lanes are two vectors, which the score kernel uses
// to halve its loads per FMA, and the other kernels take as two halves.

func scoresTAVX512(st, qt, k []float32, nk, dh, ks int, scale float32) {
	if nk == 0 {
		return
	}
	qb := len(qt) / dh
	_, _, _ = st[nk*qb-1], qt[dh*qb-1], k[(nk-1)*ks+dh-1]
	a := scoresArgs{&st[0], &qt[0], &k[0], nk, dh, ks, scale}
	if qb == 32 {
		scoresT32AVX512(&a)
	} else {
		scoresT16AVX512(&a)
	}
}

func softmaxColsAVX512(st []float32, nk int, mlc []float32) {
	if nk == 0 {
		return
	}
	qb := len(mlc) / 3
	_ = st[nk*qb-1]
	for half := 0; half < qb; half += 16 {
		a := colsArgs{&st[half], nk, &mlc[half], qb * 4, qb}
		softmaxCols16AVX512(&a)
	}
}

// softmaxColsRefAVX512 is softmaxColsAVX512 with the former exp
// (softmaxColsRef16AVX512), the baseline of BenchmarkAttentionPathsAB.
func softmaxColsRefAVX512(st []float32, nk int, mlc []float32) {
	if nk == 0 {
		return
	}
	qb := len(mlc) / 3
	_ = st[nk*qb-1]
	for half := 0; half < qb; half += 16 {
		a := colsArgs{&st[half], nk, &mlc[half], qb * 4, qb}
		softmaxColsRef16AVX512(&a)
	}
}

func pvTAVX512(o, st, v, c []float32, nk, dh, vs int) {
	if nk == 0 {
		return
	}
	qb := len(c)
	_, _, _ = o[qb*dh-1], st[nk*qb-1], v[(nk-1)*vs+dh-1]
	for q := 0; q < qb; q += 4 {
		a := pvArgs{&o[q*dh], &st[q], &v[0], &c[q], nk, dh, vs, qb * 4}
		pv4AVX512(&a)
	}
}

func dotRowsAVX512Go(s, q, k []float32, ks int, scale float32) { dotRowsAsm(true, s, q, k, ks, scale) }
func dotRowsAVX2Go(s, q, k []float32, ks int, scale float32)   { dotRowsAsm(false, s, q, k, ks, scale) }

// dotRowsAsm checks the slices and runs dotRowsAVX512 or dotRowsAVX2: a
// static call through a branch, not a func value, so that the args do not
// escape.
func dotRowsAsm(avx512 bool, s, q, k []float32, ks int, scale float32) {
	nk := len(s)
	if nk == 0 || len(q) == 0 {
		clear(s)
		return
	}
	_ = k[(nk-1)*ks+len(q)-1]
	a := dotRowsArgs{&s[0], &q[0], &k[0], nk, len(q), ks, scale}
	if avx512 {
		dotRowsAVX512(&a)
	} else {
		dotRowsAVX2(&a)
	}
}

func axpyRowsAVX512Go(o, p, v []float32, vs int) { axpyRowsAsm(true, o, p, v, vs) }
func axpyRowsAVX2Go(o, p, v []float32, vs int)   { axpyRowsAsm(false, o, p, v, vs) }

// axpyRowsAsm checks the slices and runs axpyRowsAVX512 or axpyRowsAVX2.
func axpyRowsAsm(avx512 bool, o, p, v []float32, vs int) {
	nk := len(p)
	if nk == 0 || len(o) == 0 {
		clear(o)
		return
	}
	_ = v[(nk-1)*vs+len(o)-1]
	a := axpyRowsArgs{&o[0], &p[0], &v[0], nk, len(o), vs}
	if avx512 {
		axpyRowsAVX512(&a)
	} else {
		axpyRowsAVX2(&a)
	}
}

//go:noescape
func scoresT8AVX2(a *scoresArgs)

//go:noescape
func softmaxCols8AVX2(a *colsArgs)

//go:noescape
func pv4AVX2(a *pvArgs)

//go:noescape
func dotRowsAVX2(a *dotRowsArgs)

//go:noescape
func axpyRowsAVX2(a *axpyRowsArgs)

func scoresTAVX2(st, qt, k []float32, nk, dh, ks int, scale float32) {
	if nk == 0 {
		return
	}
	_, _, _ = st[nk*8-1], qt[dh*8-1], k[(nk-1)*ks+dh-1]
	a := scoresArgs{&st[0], &qt[0], &k[0], nk, dh, ks, scale}
	scoresT8AVX2(&a)
}

func softmaxColsAVX2(st []float32, nk int, mlc []float32) {
	if nk == 0 {
		return
	}
	_, _ = st[nk*8-1], mlc[23]
	a := colsArgs{st: &st[0], nk: nk, mlc: &mlc[0]}
	softmaxCols8AVX2(&a)
}

// pvTAVX2 runs pv4AVX2 on the two quads of the block for the dims below dh
// rounded down to 16, and the Go twin's loop on the rest.
func pvTAVX2(o, st, v, c []float32, nk, dh, vs int) {
	if nk == 0 {
		return
	}
	_, _, _, _ = o[8*dh-1], st[nk*8-1], v[(nk-1)*vs+dh-1], c[7]
	if dh >= 16 {
		for q := 0; q < 8; q += 4 {
			a := pvArgs{&o[q*dh], &st[q], &v[0], &c[q], nk, dh, vs, 32}
			pv4AVX2(&a)
		}
	}
	for r := 0; r < 8; r++ {
		for d := dh &^ 15; d < dh; d++ {
			acc := o[r*dh+d] * c[r]
			for j := 0; j < nk; j++ {
				acc += st[j*8+r] * v[j*vs+d]
			}
			o[r*dh+d] = acc
		}
	}
}

//go:noescape
func gatherT16AVX512(a *gatherArgs)

//go:noescape
func gatherT8AVX2(a *gatherArgs)

type transposeArgs struct {
	qt, q        *float32
	dh, qs, qtsB int // qs and qtsB in bytes
}

//go:noescape
func transposeT16AVX512(a *transposeArgs)

func gatherTAVX512(qt, q []float32, nq, dh, qs int) { gatherTAVX512With(qt, q, nq, dh, qs, true) }

// gatherTAVX512With is gatherTAVX512; without transpose it gathers every
// half-block (the baseline of BenchmarkAttentionPathsAB).
func gatherTAVX512With(qt, q []float32, nq, dh, qs int, transpose bool) {
	qb := len(qt) / dh
	if (nq-1)*qs+dh > math.MaxInt32 {
		gatherTGeneric(qt, q, nq, dh, qs)
		return
	}
	_ = qt[dh*qb-1]
	for half := 0; half < qb; half += 16 {
		n := min(max(nq-half, 0), 16)
		src := q[:1]
		if n > 0 {
			src = q[half*qs : (half+n-1)*qs+dh]
		}
		if transpose && n == 16 && dh%16 == 0 {
			_ = qt[half+(dh-1)*qb+15]
			a := transposeArgs{&qt[half], &src[0], dh, qs * 4, qb * 4}
			transposeT16AVX512(&a)
			continue
		}
		gatherTAsm(qt[half:], src, n, dh, qs, qb*4, 16)
	}
}

func gatherTAVX2(qt, q []float32, nq, dh, qs int) {
	if (nq-1)*qs+dh > math.MaxInt32 {
		gatherTGeneric(qt, q, nq, dh, qs)
		return
	}
	_, _ = qt[dh*8-1], q[(nq-1)*qs+dh-1]
	gatherTAsm(qt, q, nq, dh, qs, 32, 8)
}

// gatherTAsm builds the row offsets (which fit int32, as the gathers'
// indices must: the callers check) and calls the transposing kernel of
// lanes 16 or 8 directly, so that the offsets stay on the stack. nq may be
// 0: the lanes are then zeroed.
func gatherTAsm(qt, q []float32, nq, dh, qs, qtStride, lanes int) {
	var idx [16]int32
	for r := 0; r < nq; r++ {
		idx[r] = int32(r * qs)
	}
	a := gatherArgs{&qt[0], &q[0], &idx[0], nq, dh, qtStride}
	if lanes == 16 {
		gatherT16AVX512(&a)
	} else {
		gatherT8AVX2(&a)
	}
}
