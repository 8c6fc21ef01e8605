package kernels

import "fmt"

// This file packs weight matrices into the panel layout of
// matmul_kernel.go: once at load time for weights (PackKN, PackNK), or at
// every run into caller-owned storage for operands that change from run to
// run, such as an attention memory (PackKNInto, PackNKInto).

// PackKN packs W given row-major as K x N, the layout of a Keras Dense
// kernel [in, out], for the active level. bias is nil or has N values.
// It returns an error for negative sizes or lengths that do not match.
func PackKN(w []float32, k, n int, bias []float32) (*PackedWeights, error) {
	if err := checkPack(len(w), k, n, bias); err != nil {
		return nil, err
	}
	p := newPacked(k, n, bias)
	p.fillKN(w, n)
	return p, nil
}

// PackNK packs W given row-major as N x K, the layout of a PyTorch Linear
// weight [out, in], for the active level. bias is nil or has N values.
// It returns an error for negative sizes or lengths that do not match.
func PackNK(w []float32, n, k int, bias []float32) (*PackedWeights, error) {
	if err := checkPack(len(w), k, n, bias); err != nil {
		return nil, err
	}
	p := newPacked(k, n, bias)
	p.fillNK(w, k)
	return p, nil
}

func checkPack(lw, k, n int, bias []float32) error {
	switch {
	case k < 0 || n < 0:
		return fmt.Errorf("kernels: pack: negative dimensions %d x %d", k, n)
	case lw != k*n:
		return fmt.Errorf("kernels: pack: %d weights for %d x %d", lw, k, n)
	case bias != nil && len(bias) != n:
		return fmt.Errorf("kernels: pack: %d bias values for %d columns", len(bias), n)
	}
	return nil
}

func newPacked(k, n int, bias []float32) *PackedWeights {
	kern := gemmActive
	np := (n + kern.nr - 1) / kern.nr
	p := &PackedWeights{k: k, n: n, level: active, kern: kern,
		panels: make([]float32, np*k*kern.nr), bias: make([]float32, np*kern.nr)}
	copy(p.bias, bias)
	return p
}

// maxNR is the widest panel of any level's micro-kernel: PackedLen sizes
// storage with it, so that a buffer fits whatever level is active.
const maxNR = 32

// PackedLen returns the number of float32 values that PackKNInto and
// PackNKInto use for a K x N matrix, at any level.
func PackedLen(k, n int) int {
	np := (n + maxNR - 1) / maxNR
	return np * maxNR * (k + 1)
}

// PackKNInto packs W, K rows of N values with row i at w[i*ldw:], into p
// for the active level, with a zero bias. The panels and the bias live in
// buf, which needs PackedLen(k, n) values and must not change while p is
// used; p's previous contents are dropped. It allocates nothing: it is for
// operands that change at every run (an attention memory), packed into a
// plan's arena. It panics if a size is negative or a slice too short.
func PackKNInto(p *PackedWeights, buf, w []float32, ldw, k, n int) {
	p.bind(buf, k, n)
	if k > 0 && n > 0 && (ldw < n || len(w) < (k-1)*ldw+n) {
		panic(fmt.Sprintf("kernels: PackKNInto: %d x %d with row stride %d from %d values", k, n, ldw, len(w)))
	}
	p.fillKN(w, ldw)
}

// fillKN writes W, K rows of N values with row i at w[i*ldw:], into p's
// panels.
func (p *PackedWeights) fillKN(w []float32, ldw int) {
	k, n, nr := p.k, p.n, p.kern.nr
	for row := 0; row < k; row++ {
		src := w[row*ldw : row*ldw+n]
		for q := 0; q*nr < n; q++ {
			copy(p.panels[q*k*nr+row*nr:], src[q*nr:min(q*nr+nr, n)])
		}
	}
}

// PackNKInto is PackKNInto for W given as N rows of K values (W
// transposed), row j at w[j*ldw:].
func PackNKInto(p *PackedWeights, buf, w []float32, ldw, n, k int) {
	p.bind(buf, k, n)
	if k > 0 && n > 0 && (ldw < k || len(w) < (n-1)*ldw+k) {
		panic(fmt.Sprintf("kernels: PackNKInto: %d x %d with row stride %d from %d values", n, k, ldw, len(w)))
	}
	p.fillNK(w, ldw)
}

// fillNK writes W, given as N rows of K values with row j at w[j*ldw:],
// into p's panels.
func (p *PackedWeights) fillNK(w []float32, ldw int) {
	k, n := p.k, p.n
	// Tiles of 16 panel rows (one cache line of each source row) by a
	// panel's nr columns, four columns (source rows) at a time: the source
	// lines and the tile's 2 KiB of panel stay in the first-level cache,
	// and each store writes four neighbouring values.
	const tile = 16
	nr := p.kern.nr
	for c0 := 0; c0 < n && k > 0; c0 += nr {
		cols := min(nr, n-c0)
		panel := p.panels[(c0/nr)*k*nr : (c0/nr+1)*k*nr]
		for r0 := 0; r0 < k; r0 += tile {
			rows := min(tile, k-r0)
			c := 0
			for ; c+4 <= cols; c += 4 {
				base := (c0+c)*ldw + r0
				s0, s1 := w[base:base+rows], w[base+ldw:base+ldw+rows]
				s2, s3 := w[base+2*ldw:base+2*ldw+rows], w[base+3*ldw:base+3*ldw+rows]
				for r := range s0 {
					d := panel[(r0+r)*nr+c : (r0+r)*nr+c+4]
					d[0], d[1], d[2], d[3] = s0[r], s1[r], s2[r], s3[r]
				}
			}
			for ; c < cols; c++ {
				src := w[(c0+c)*ldw+r0 : (c0+c)*ldw+r0+rows]
				for r, v := range src {
					panel[(r0+r)*nr+c] = v
				}
			}
		}
	}
}

// PackedView sets p to the K x N matrix that PackKNInto or PackNKInto
// packed into buf, at the same level, without copying it: an operand packed
// once can be read by several products. It allocates nothing.
func PackedView(p *PackedWeights, buf []float32, k, n int) {
	if k < 0 || n < 0 || len(buf) < PackedLen(k, n) {
		panic(fmt.Sprintf("kernels: packed %d x %d in %d values: needs %d", k, n, len(buf), PackedLen(max(k, 0), max(n, 0))))
	}
	kern := gemmActive
	nr := kern.nr
	np := (n + nr - 1) / nr
	*p = PackedWeights{k: k, n: n, level: active, kern: kern,
		panels: buf[: np*k*nr : np*k*nr], bias: buf[np*k*nr : np*k*nr+np*nr : np*k*nr+np*nr]}
}

// bind points p at buf for a K x N matrix at the active level, zeroing the
// bias and the padding columns of the last panel, which the packers do not
// write.
func (p *PackedWeights) bind(buf []float32, k, n int) {
	PackedView(p, buf, k, n)
	clear(p.bias)
	nr := p.kern.nr
	np := (n + nr - 1) / nr
	if pad := np*nr - n; pad > 0 {
		last := p.panels[(np-1)*k*nr:]
		for row := 0; row < k; row++ {
			clear(last[row*nr+nr-pad : row*nr+nr])
		}
	}
}

// Unpack writes W back out of p, row-major K x N, into w (K*N values), and
// the bias into bias (N values; nil skips it). Int8 weights are written
// dequantized, q * scale as float32.
func (p *PackedWeights) Unpack(w, bias []float32) { p.UnpackCols(w, bias, 0, p.n) }

// UnpackCols writes the columns [c0, c0+width) of W, row-major K x width,
// into w (K*width values), and their biases into bias (width values; nil
// skips it). Int8 weights are written dequantized, q * scale as float32.
func (p *PackedWeights) UnpackCols(w, bias []float32, c0, width int) {
	if c0 < 0 || width < 0 || c0+width > p.n || len(w) != p.k*width || bias != nil && len(bias) != width {
		panic(fmt.Sprintf("kernels: UnpackCols [%d, %d+%d) of %d x %d into %d weights and %d bias values",
			c0, c0, width, p.k, p.n, len(w), len(bias)))
	}
	if p.q != nil {
		p.q.unpackCols(w, p.k, c0, width)
		copy(bias, p.bias[c0:c0+width])
		return
	}
	nr := p.kern.nr
	for row := 0; row < p.k; row++ {
		dst := w[row*width : row*width+width]
		for j := 0; j < width; {
			c := c0 + j
			n := min(nr-c%nr, width-j) // the rest of c's panel row
			copy(dst[j:j+n], p.panels[(c/nr)*p.k*nr+row*nr+c%nr:])
			j += n
		}
	}
	copy(bias, p.bias[c0:c0+width])
}
