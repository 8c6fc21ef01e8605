package kernels

import (
	"fmt"

	"github.com/vlmrt/vlmrt/parallel"
)

// PackedWeights is a weight matrix W (K x N) and its bias, packed once into
// the panel layout that the active level's micro-kernels read: ceil(N/nr)
// panels, each K rows of nr consecutive columns, the last one zero-padded.
// A PackedWeights keeps the level it was packed at.
type PackedWeights struct {
	k, n   int
	nr     int       // panel width in columns
	level  Level     // level whose micro-kernels read the panels
	panels []float32 // ceil(n/nr) * k * nr values
	bias   []float32 // ceil(n/nr) * nr values, zero when there is no bias
}

// PackKN packs W given row-major as K x N, the layout of a Keras Dense
// kernel [in, out]. bias is nil or has N values.
func PackKN(w []float32, k, n int, bias []float32) (*PackedWeights, error) {
	if err := checkPack(len(w), k, n, bias); err != nil {
		return nil, err
	}
	return pack(k, n, bias, func(row, col int) float32 { return w[row*n+col] }), nil
}

// PackNK packs W given row-major as N x K, the layout of a PyTorch Linear
// weight [out, in]. bias is nil or has N values.
func PackNK(w []float32, n, k int, bias []float32) (*PackedWeights, error) {
	if err := checkPack(len(w), k, n, bias); err != nil {
		return nil, err
	}
	return pack(k, n, bias, func(row, col int) float32 { return w[col*k+row] }), nil
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

func pack(k, n int, bias []float32, at func(row, col int) float32) *PackedWeights {
	nr := panelWidth(active)
	np := (n + nr - 1) / nr
	p := &PackedWeights{k: k, n: n, nr: nr, level: active,
		panels: make([]float32, np*k*nr), bias: make([]float32, np*nr)}
	for j := 0; j < n; j++ {
		panel, c := j/nr, j%nr
		base := panel * k * nr
		for i := 0; i < k; i++ {
			p.panels[base+i*nr+c] = at(i, j)
		}
	}
	copy(p.bias, bias)
	return p
}

// K returns the number of rows of W (the input width).
func (p *PackedWeights) K() int { return p.k }

// N returns the number of columns of W (the output width).
func (p *PackedWeights) N() int { return p.n }

// Level returns the kernel level the weights were packed for.
func (p *PackedWeights) Level() Level { return p.level }

// Bytes returns the memory the packed panels and bias hold.
func (p *PackedWeights) Bytes() int { return 4 * (len(p.panels) + len(p.bias)) }

// MatMul computes C = act(A W + bias) for A with m rows of K values and C
// with m rows of N values, on the calling goroutine.
func (p *PackedWeights) MatMul(c, a []float32, m int, act Activation) {
	p.MatMulParallel(nil, c, a, m, act)
}

// MatMulParallel is MatMul with the work split over pool's workers. The
// split never changes a result: every element of C is summed in the same
// order whatever the number of threads.
func (p *PackedWeights) MatMulParallel(pool *parallel.Pool, c, a []float32, m int, act Activation) {
	if m < 0 || len(a) < m*p.k || len(c) < m*p.n {
		panic(fmt.Sprintf("kernels: MatMul: m=%d K=%d N=%d with len(A)=%d, len(C)=%d",
			m, p.k, p.n, len(a), len(c)))
	}
	if m == 0 || p.n == 0 {
		return
	}
	matmulPanels(p, c, a, m, 0, len(p.bias)/p.nr, act)
	_ = pool
}

// matmulPanels computes the columns of panels [p0, p1) for all m rows.
func matmulPanels(p *PackedWeights, c, a []float32, m, p0, p1 int, act Activation) {
	k, n, nr := p.k, p.n, p.nr
	for panel := p0; panel < p1; panel++ {
		w := p.panels[panel*k*nr : (panel+1)*k*nr]
		b := p.bias[panel*nr : (panel+1)*nr]
		cols := min(nr, n-panel*nr)
		for i := 0; i < m; i++ {
			row := a[i*k : (i+1)*k]
			out := c[i*n+panel*nr : i*n+panel*nr+cols]
			for j := range out {
				out[j] = b[j]
			}
			for kk, x := range row {
				wr := w[kk*nr : kk*nr+cols]
				for j, wv := range wr {
					out[j] += x * wv
				}
			}
			if act != ActNone {
				act.Apply(out, out)
			}
		}
	}
}

// panelWidth returns the panel width the level's micro-kernels want.
func panelWidth(l Level) int {
	switch l {
	case AVX512:
		return 32
	default:
		return 16
	}
}
