package kernels

import "math"

// This file holds the attention inner kernels' pure-Go twins. Two shapes:
//
// The row path (one query row of one head, the decode step and the
// sparsemax path): dotRows scores the row against every key, axpyRows sums
// the value rows weighted by the probabilities.
//
// The blocked path (rowKernels.queryBlock queries of one head at a time):
// the block's query rows are transposed into qt (dh rows of qb lanes) and
// the score tile st is kept transposed, st[key*qb + query]; scoresT fills
// a tile, softmaxCols takes one online-softmax step over it and pvT adds
// the tile's P*V into the block's running output.

// dotRowsGeneric sets s[j] = scale * dot(q, k[j*ks : j*ks+len(q)]).
func dotRowsGeneric(s, q, k []float32, ks int, scale float32) {
	for j := range s {
		s[j] = dotGeneric(q, k[j*ks:j*ks+len(q)]) * scale
	}
}

// axpyRowsGeneric sets o = sum_j p[j] * v[j*vs : j*vs+len(o)].
func axpyRowsGeneric(o, p, v []float32, vs int) {
	clear(o)
	for j, pj := range p {
		axpyGeneric(o, pj, v[j*vs:j*vs+len(o)])
	}
}

// gatherTGeneric transposes the block's nq query rows (qs apart, dh values
// each) into qt: qt[d*qb + r] = q[r*qs + d], with qb = len(qt)/dh lanes, the
// lanes from nq on set to zero.
func gatherTGeneric(qt, q []float32, nq, dh, qs int) {
	qb := len(qt) / dh
	clear(qt)
	for r := 0; r < nq; r++ {
		for d, x := range q[r*qs : r*qs+dh] {
			qt[d*qb+r] = x
		}
	}
}

// scoresTGeneric sets st[j*qb + r] = scale * sum_d k[j*ks+d] * qt[d*qb+r]
// for j < nk, where qb = len(qt)/dh.
func scoresTGeneric(st, qt, k []float32, nk, dh, ks int, scale float32) {
	qb := len(qt) / dh
	for j := 0; j < nk; j++ {
		row := st[j*qb : (j+1)*qb]
		clear(row)
		for d, kv := range k[j*ks : j*ks+dh] {
			for r, qv := range qt[d*qb : (d+1)*qb] {
				row[r] += kv * qv
			}
		}
		for r := range row {
			row[r] *= scale
		}
	}
}

// softmaxColsGeneric takes one online-softmax step over the tile st of nk
// rows of qb = len(mlc)/3 lanes. mlc holds the running maximum m, the
// running sum l and, on return, the factor c = exp(m - m') by which the
// output so far must be rescaled; the tile becomes exp(st - m'). The new
// maximum is floored at -MaxFloat32 so that a lane with no kept key so far
// gets c = 0 and zeros instead of NaNs.
func softmaxColsGeneric(st []float32, nk int, mlc []float32) {
	qb := len(mlc) / 3
	m, l, c := mlc[:qb], mlc[qb:2*qb], mlc[2*qb:]
	for r := 0; r < qb; r++ {
		mn := max(m[r], -math.MaxFloat32)
		for j := 0; j < nk; j++ {
			mn = max(mn, st[j*qb+r])
		}
		c[r] = float32(math.Exp(float64(m[r] - mn)))
		var sum float32
		for j := 0; j < nk; j++ {
			e := float32(math.Exp(float64(st[j*qb+r] - mn)))
			st[j*qb+r] = e
			sum += e
		}
		l[r] = l[r]*c[r] + sum
		m[r] = mn
	}
}

// pvTGeneric sets o[r*dh + d] = o[r*dh+d]*c[r] + sum_j st[j*qb+r] *
// v[j*vs+d] for the qb = len(c) queries of a block.
func pvTGeneric(o, st, v, c []float32, nk, dh, vs int) {
	qb := len(c)
	for r := 0; r < qb; r++ {
		or := o[r*dh : (r+1)*dh]
		for d := range or {
			or[d] *= c[r]
		}
		for j := 0; j < nk; j++ {
			axpyGeneric(or, st[j*qb+r], v[j*vs:j*vs+dh])
		}
	}
}

// pvOutTGeneric is pvTGeneric with the block's running output kept
// transposed, like the score tile: ot[d*qb + r] = ot[d*qb+r]*c[r] + sum_j
// st[j*qb+r] * v[j*vs+d], qb = len(c).
func pvOutTGeneric(ot, st, v, c []float32, nk, dh, vs int) {
	qb := len(c)
	for d := 0; d < dh; d++ {
		row := ot[d*qb : (d+1)*qb]
		for r := range row {
			row[r] *= c[r]
		}
		for j := 0; j < nk; j++ {
			x := v[j*vs+d]
			for r, p := range st[j*qb : (j+1)*qb] {
				row[r] += p * x
			}
		}
	}
}

// outTGeneric writes the block's transposed running output ot (dh rows of
// qb = len(l) lanes) divided by the running sums l as nq rows os apart:
// out[r*os + d] = ot[d*qb + r] / l[r].
func outTGeneric(out, ot, l []float32, nq, dh, os int) {
	qb := len(l)
	for r := 0; r < nq; r++ {
		inv := 1 / l[r]
		oi := out[r*os : r*os+dh]
		for d := range oi {
			oi[d] = ot[d*qb+r] * inv
		}
	}
}

// decodeHeads is the number of heads the decode kernels take at once.
const decodeHeads = 4

// decodeScoresGeneric scores one query row against nk keys for 4 heads at
// once: s[hh*ss + j] = scale * dot(q[hh*dh : (hh+1)*dh], k[j*ks+hh*dh :
// j*ks+(hh+1)*dh]) for hh < 4, j < nk.
func decodeScoresGeneric(s, q, k []float32, nk, dh, ks, ss int, scale float32) {
	for hh := 0; hh < decodeHeads; hh++ {
		dotRowsGeneric(s[hh*ss:hh*ss+nk], q[hh*dh:(hh+1)*dh], k[hh*dh:], ks, scale)
	}
}

// decodePVGeneric sets, for the 4 heads hh, o[hh*dh : (hh+1)*dh] = sum_j
// p[hh*ps + j] * v[j*vs+hh*dh : j*vs+(hh+1)*dh], j < nk.
func decodePVGeneric(o, p, v []float32, nk, dh, vs, ps int) {
	for hh := 0; hh < decodeHeads; hh++ {
		axpyRowsGeneric(o[hh*dh:(hh+1)*dh], p[hh*ps:hh*ps+nk], v[hh*dh:], vs)
	}
}
