//go:build !purego

package kernels

//go:noescape
func pvT32AVX512(a *pvArgs)

//go:noescape
func pvT16AVX512(a *pvArgs)

// pvOutTAVX512 is pvOutTGeneric for blocks of 32 or 16 queries (qb =
// len(c)): pvT32AVX512 or pvT16AVX512 over the whole tile (other widths,
// which only tests ask for, go to the twin).
func pvOutTAVX512(ot, st, v, c []float32, nk, dh, vs int) {
	if nk == 0 {
		return
	}
	qb := len(c)
	if qb != 32 && qb != 16 {
		pvOutTGeneric(ot, st, v, c, nk, dh, vs)
		return
	}
	_, _, _ = ot[dh*qb-1], st[nk*qb-1], v[(nk-1)*vs+dh-1]
	a := pvArgs{o: &ot[0], st: &st[0], v: &v[0], c: &c[0], nk: nk, dh: dh, vs: vs}
	if qb == 32 {
		pvT32AVX512(&a)
	} else {
		pvT16AVX512(&a)
	}
}

type outTArgs struct {
	out, ot, l *float32
	idx        *int32
	nq, dh, os int
	qb         int
}

//go:noescape
func outT16AVX512(a *outTArgs)

// outTAVX512 is outTGeneric in one call.
func outTAVX512(out, ot, l []float32, nq, dh, os int) {
	if nq == 0 {
		return
	}
	qb := len(l)
	_, _, _ = out[(nq-1)*os+dh-1], ot[dh*qb-1], l[nq-1]
	var idx [16]int32
	for i := range idx {
		idx[i] = int32(i * qb)
	}
	a := outTArgs{&out[0], &ot[0], &l[0], &idx[0], nq, dh, os, qb}
	outT16AVX512(&a)
}
