package kernels

import "math"

// The decode step (one query row, or a few, against many cached keys) is
// bound by reading the keys and values. Head by head, the row path reads
// HeadDim values of each cached row, a few lines every Heads*HeadDim
// values; where the level has decode kernels, the heads go 4 at a time
// instead, reading 4*HeadDim consecutive values of each row, and the
// scores of the 4 heads come out of one reduction (a 16-way tree where
// dotRows folds each sum on its own).
//
// That pays while the keys and values are in the second-level cache (the
// decode step's benchmark, one layer's cache read over and over: 1.1x);
// read from the last-level cache, as a decoder of several layers reads
// them, the 4-head path measured 5% slower at 197 keys and 20% slower at
// 577 (3.5 MB), so it is kept to caches of at most decodeMaxBytes.
const decodeMaxBytes = 2 << 20

// decodeGroups returns the number of groups of decodeHeads heads that Run
// takes the decode kernels over, or 0 when it goes head by head: the
// level has decode kernels, the probability is a plain softmax with the
// whole score row held, the queries are too few for the blocked path and
// HeadDim is a multiple of the kernels' step, and the keys and values
// take at most decodeMaxBytes. A last group of fewer than
// decodeHeads heads goes head by head.
func (a *Attention) decodeGroups() int {
	if rowImpl.decodeScores == nil || a.Probability != ProbSoftmax || a.Tiled ||
		rowImpl.queryBlock > 0 && a.Queries >= minBlockQueries ||
		a.HeadDim%rowImpl.decodeDimStep != 0 || a.Heads < decodeHeads ||
		2*4*a.Keys*a.Heads*a.HeadDim > decodeMaxBytes {
		return 0
	}
	return (a.Heads + decodeHeads - 1) / decodeHeads
}

// runDecodeGroup computes heads [g*decodeHeads, (g+1)*decodeHeads) of every
// query row with the decode kernels. The heads of a group read consecutive
// HeadDim slices of the K and V rows (with grouped K/V heads, decodeGroups
// must return 0 unless each query head has its own K/V head, or the group
// must be remapped).
func (a *Attention) runDecodeGroup(g int, out, q, k, v, scratch []float32) {
	h0 := g * decodeHeads
	if h0+decodeHeads > a.Heads {
		for h := h0; h < a.Heads; h++ {
			a.runHead(h, out, q, k, v, scratch)
		}
		return
	}
	qs, ks, vs, os := a.strides()
	dh, scale := a.HeadDim, a.scale()
	for i := 0; i < a.Queries; i++ {
		mask, limit := a.keeps(i)
		s := scratch[:decodeHeads*limit]
		rowImpl.decodeScores(s, q[i*qs+h0*dh:], k[h0*dh:], limit, dh, ks, limit, scale)
		for hh := 0; hh < decodeHeads; hh++ {
			row := s[hh*limit : (hh+1)*limit]
			if mask != nil {
				for j := range row {
					if mask[j] == 0 {
						row[j] = float32(math.Inf(-1))
					}
				}
			}
			rowImpl.softmax(row, row, limit)
		}
		rowImpl.decodePV(out[i*os+h0*dh:], s, v[h0*dh:], limit, dh, vs, limit)
	}
}
