package runtime

import (
	"fmt"

	"github.com/vlmrt/vlmrt/kernels"
)

// AddNormalize computes sum = x + y and normed = n(sum) in one pass over
// the rows, split over the session's pool: the residual step of a pre-norm
// transformer layer, whose sum is the next residual and whose normalised
// rows feed the next sublayer. x and y have one shape; so have the results.
func (b *Builder) AddNormalize(n Norm, x, y Tensor) (sum, normed Tensor) {
	shape := b.Shape(x)
	rows, d := rowsOf(shape)
	if b.Size(x) != b.Size(y) || d != len(n.Gamma) || (n.Beta != nil && len(n.Beta) != d) {
		b.fail(fmt.Errorf("runtime: add and norm: inputs %v and %v, weights [%d]", shape, b.Shape(y), len(n.Gamma)))
		return x, x
	}
	sum, normed = b.Temp(shape...), b.Temp(shape...)
	b.Add(&addNormStep{n: n, x: x, y: y, sum: sum, normed: normed, rows: rows, d: d},
		[]Tensor{x, y}, []Tensor{sum, normed})
	return sum, normed
}

type addNormStep struct {
	n                 Norm
	x, y, sum, normed Tensor
	rows, d           int
}

// addNormRows is how many rows one part of a pooled AddNormalize covers.
const addNormRows = 16

// addNormTask is one session's view of an addNormStep while it runs.
type addNormTask struct {
	s                 *addNormStep
	x, y, sum, normed []float32
}

func (s *addNormStep) NewState() any { return new(addNormTask) }

func (s *addNormStep) Run(x *Exec) {
	t := x.State().(*addNormTask)
	*t = addNormTask{s, x.F(s.x), x.F(s.y), x.F(s.sum), x.F(s.normed)}
	parts := (s.rows + addNormRows - 1) / addNormRows
	if x.Pool == nil || x.Pool.Threads() == 1 || parts == 1 {
		t.rowsFrom(0, s.rows)
		return
	}
	x.Pool.Run(parts, t)
}

// Do runs part i: rows [16 i, 16 i + 16).
func (t *addNormTask) Do(i int) {
	t.rowsFrom(i*addNormRows, min((i+1)*addNormRows, t.s.rows))
}

func (t *addNormTask) rowsFrom(r0, r1 int) {
	d := t.s.d
	lo, hi := r0*d, r1*d
	kernels.Add(t.sum[lo:hi], t.x[lo:hi], t.y[lo:hi])
	n := t.s.n
	if n.Beta != nil {
		kernels.LayerNorm(t.normed[lo:hi], t.sum[lo:hi], n.Gamma, n.Beta, n.Eps)
	} else {
		kernels.RMSNorm(t.normed[lo:hi], t.sum[lo:hi], n.Gamma, n.Eps)
	}
}
