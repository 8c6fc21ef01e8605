package kernels

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/vlmrt/vlmrt/parallel"
)

// This file holds the matrix product's algorithm: packing, cache blocking,
// the split over threads and the epilogue. The micro-kernels it calls, and
// the layout they read, are described in matmul_kernel.go.

// PackedWeights is a weight matrix W (K x N) and its bias, packed once into
// the panel layout that a level's micro-kernels read (matmul_kernel.go):
// ceil(N/nr) panels, each K rows of nr consecutive columns, the last one
// zero-padded, and the bias padded to the same width. Int8 weights
// (QuantizeKN, PackInt8KN: Quantized reports them) keep their panels in q
// instead, and the same methods run the int8 product (qmatmul.go). A
// PackedWeights keeps the level it was packed at and is safe for concurrent
// MatMul calls.
type PackedWeights struct {
	k, n   int
	level  Level        // level whose micro-kernels read the panels
	kern   gemmKernel   // that level's micro-kernel family
	panels []float32    // ceil(n/nr) * k * nr values; nil for int8 weights
	bias   []float32    // ceil(n/nr) * nr values, zero when there is no bias
	q      *int8Weights // int8 weights, or nil
}

// gemmActive is the active level's micro-kernel family; PackKN and PackNK
// pack for it.
var gemmActive gemmKernel

func init() { onLevel(func(l Level) { gemmActive = gemmKernelFor(l) }) }

// K returns the number of rows of W (the input width).
func (p *PackedWeights) K() int { return p.k }

// N returns the number of columns of W (the output width).
func (p *PackedWeights) N() int { return p.n }

// Level returns the kernel level the weights were packed for.
func (p *PackedWeights) Level() Level { return p.level }

// Bytes returns the memory the packed panels and bias hold: for int8
// weights, one byte a weight plus the scales (and, for some levels, one
// int32 correction a column).
func (p *PackedWeights) Bytes() int {
	n := 4 * (len(p.panels) + len(p.bias))
	if p.q != nil {
		n += p.q.bytes()
	}
	return n
}

// MatMul computes C = act(A W + bias) for A with m rows of K values and C
// with m rows of N values (both row-major, rows packed without gaps), on the
// calling goroutine. It panics if m < 0 or a slice is too short.
//
// For int8 weights (Quantized) every row of A is first quantized to int8
// with its own scale into scratch that the call keeps out of sight (see
// qmatmul.go); C is then the int32 product of the two, scaled back, plus
// the bias, through the activation.
func (p *PackedWeights) MatMul(c, a []float32, m int, act Activation) {
	p.MatMulParallel(nil, c, a, m, act)
}

// MatMulParallel is MatMul with the work split over pool's workers (a nil
// pool runs it on the caller). The split never changes a result: every
// element of C is summed in the same order whatever the number of threads,
// so the output is bit-identical for 1 and N threads. A product too small to
// gain from threads runs on the calling goroutine. It allocates nothing.
func (p *PackedWeights) MatMulParallel(pool *parallel.Pool, c, a []float32, m int, act Activation) {
	p.MatMulStrided(pool, c, p.n, a, p.k, m, act)
}

// MatMulStrided is MatMulParallel for matrices whose rows are not packed
// without gaps: row i of A starts at a[i*lda] (lda >= K) and row i of C at
// c[i*ldc] (ldc >= N). The values between rows are neither read (A) nor
// written (C), so C may be a column range of a wider matrix. It panics if
// m < 0, a stride is too small or a slice too short.
func (p *PackedWeights) MatMulStrided(pool *parallel.Pool, c []float32, ldc int, a []float32, lda int, m int, act Activation) {
	if p.q == nil && !p.splits(pool, m) {
		p.MatMulWith(nil, pool, c, ldc, a, lda, m, act) // serial: no task state
		return
	}
	t := matmulTasks.Get().(*MatMulTask)
	p.MatMulWith(t, pool, c, ldc, a, lda, m, act)
	matmulTasks.Put(t)
}

// splits reports whether a product of m rows runs split over pool: a pool
// of several threads and enough work to repay waking them.
func (p *PackedWeights) splits(pool *parallel.Pool, m int) bool {
	return pool.Threads() > 1 && 2*m*p.k*p.n >= parallelMinFlops
}

// check panics unless the slices hold the m rows the strides describe.
func (p *PackedWeights) check(c []float32, ldc int, a []float32, lda int, m int, act Activation) {
	if m < 0 || lda < p.k || ldc < p.n || m > 0 && (len(a) < (m-1)*lda+p.k || len(c) < (m-1)*ldc+p.n) {
		panic(fmt.Sprintf("kernels: MatMul: m=%d K=%d N=%d with len(A)=%d (lda %d), len(C)=%d (ldc %d)",
			m, p.k, p.n, len(a), lda, len(c), ldc))
	}
	if act > lastActivation {
		panic("kernels: MatMul: unknown activation " + act.String())
	}
}

// MatMulTask is the state of one product split over a pool, and the
// scratch of an int8 product's quantized A (grown to the largest product it
// ran, then kept). MatMulParallel takes one from a sync.Pool, which the
// garbage collector empties; a caller that keeps its own (one per
// goroutine, e.g. per session) with MatMulWith never allocates, whatever the
// collector does, once its scratch has grown.
type MatMulTask struct {
	t  matmulTask
	q  qmatmulTask
	qa []int8    // int8 products: quantized rows of A
	qs []float32 // and their scales
}

// Do runs unit u of the product; the pool calls it.
func (t *MatMulTask) Do(u int) {
	if t.q.p != nil {
		t.q.Do(u)
		return
	}
	t.t.Do(u)
}

// MatMulWith is MatMulStrided with the caller's task state; task must not be
// used by two products at once. A float product that runs on the caller
// alone (one thread, or too little work to split) does not touch task; an
// int8 product always uses its scratch, and takes a task from a sync.Pool
// when task is nil.
func (p *PackedWeights) MatMulWith(task *MatMulTask, pool *parallel.Pool, c []float32, ldc int, a []float32, lda int, m int, act Activation) {
	p.check(c, ldc, a, lda, m, act)
	if m == 0 || p.n == 0 {
		return
	}
	if p.q != nil {
		p.qmatmul(task, pool, c, ldc, a, lda, m, act)
		return
	}
	if !p.splits(pool, m) {
		p.matmulSerial(c, ldc, a, lda, m, act)
		return
	}
	p.matmulPooled(task, pool, c, ldc, a, lda, m, act)
}

// matmulSerial runs the whole product on the caller with a task on the
// stack.
func (p *PackedWeights) matmulSerial(c []float32, ldc int, a []float32, lda int, m int, act Activation) {
	var t matmulTask
	t.plan(p, c, a, m, act, 1)
	t.lda, t.ldc = lda, ldc
	for u := 0; u < t.units; u++ {
		t.Do(u)
	}
}

// matmulPooled splits the product over pool with task's state.
func (p *PackedWeights) matmulPooled(task *MatMulTask, pool *parallel.Pool, c []float32, ldc int, a []float32, lda int, m int, act Activation) {
	t := &task.t
	t.plan(p, c, a, m, act, pool.Threads())
	t.lda, t.ldc = lda, ldc
	if t.units == 1 {
		t.Do(0)
	} else {
		pool.Run(t.units, task)
	}
	*t = matmulTask{}
}

// Blocking. A K chunk of kcMax rows keeps a chunk of A (m x kc) in L2
// while every panel of a column block streams past it, and one panel's chunk
// (kc x nr floats: 48 KiB at nr = 32) near L1. mcMax bounds the rows of a
// unit of work; a column block holds about 128 columns, at least 4 panels
// so that the small-M kernels can take 4 panels at once. Chunk boundaries
// depend only on K, and a float32 accumulator stored to C and loaded back
// is unchanged, so blocking never changes a result.
//
// A product of fewer than parallelMinFlops runs on the caller. Waking a
// worker and waiting for it costs about 1.5 us (parallel.BenchmarkRun);
// measured on 2 cores (best of repeated runs, no threshold), 2 threads
// gained 1.18x at 2^17 flops (1x256x256), 1.16x to 1.64x at 2^19
// (4x256x256, 1x512x512): 2^18 is where the split starts to pay reliably.
const (
	kcMax            = 384
	mcMax            = 192
	parallelMinFlops = 1 << 18
)

// matmulTask is one product cut into units of (row block, column block);
// the pool runs units in any order on any worker.
type matmulTask struct {
	p          *PackedWeights
	c, a       []float32
	lda, ldc   int // floats between rows of A and of C
	m          int
	act        Activation
	mc, nmc    int // rows per row block, number of row blocks
	ncp, nnc   int // panels per column block, number of column blocks
	units      int
	kc, chunks int
}

var matmulTasks = sync.Pool{New: func() any { return new(MatMulTask) }}

// plan chooses the blocks of an m-row product on threads threads. The
// choice changes speed only, never a result.
func (t *matmulTask) plan(p *PackedWeights, c, a []float32, m int, act Activation, threads int) {
	*t = matmulTask{p: p, c: c, a: a, m: m, act: act}
	nr := p.kern.nr
	t.nmc = (m + mcMax - 1) / mcMax
	t.mc = (m + t.nmc - 1) / t.nmc
	t.nmc = (m + t.mc - 1) / t.mc
	np := (p.n + nr - 1) / nr
	// Column blocks of about 128 columns, narrower (down to 4 panels) when
	// that leaves threads idle.
	t.ncp = max(4, 128/nr)
	if want := 4 * threads; threads > 1 && t.nmc*((np+t.ncp-1)/t.ncp) < want {
		t.ncp = max(4, np*t.nmc/want)
	}
	t.nnc = (np + t.ncp - 1) / t.ncp
	t.units = t.nmc * t.nnc
	t.chunks, t.kc = 1, p.k
	if p.k > kcMax {
		t.chunks = (p.k + kcMax - 1) / kcMax
		t.kc = (p.k + t.chunks - 1) / t.chunks
	}
}

// Do computes unit u: one row block by one column block, every K chunk,
// then the activation on the block while it is in cache.
func (t *matmulTask) Do(u int) {
	p := t.p
	nr, k, n := p.kern.nr, p.k, p.n
	i0 := (u / t.nnc) * t.mc
	rows := min(t.mc, t.m-i0)
	q0 := (u % t.nnc) * t.ncp
	q1 := min(q0+t.ncp, (n+nr-1)/nr)
	c0, c1 := q0*nr, min(q1*nr, n)
	if k == 0 {
		for i := i0; i < i0+rows; i++ {
			copy(t.c[i*t.ldc+c0:i*t.ldc+c1], p.bias[c0:c1])
		}
	}
	mr := p.kern.mrMax
	mr = (rows + (rows+mr-1)/mr - 1) / ((rows + mr - 1) / mr) // even row blocks
	for k0 := 0; k0 < k; k0 += t.kc {
		kc := min(t.kc, k-k0)
		g := gemmArgs{
			a:          unsafe.Pointer(&t.a[i0*t.lda+k0]),
			lda:        uintptr(4 * t.lda),
			b:          unsafe.Pointer(&p.panels[q0*k*nr+k0*nr]),
			ldb:        uintptr(4 * k * nr),
			c:          unsafe.Pointer(&t.c[i0*t.ldc+c0]),
			ldc:        uintptr(4 * t.ldc),
			bias:       unsafe.Pointer(&p.bias[c0]),
			m:          rows,
			mr:         mr,
			kc:         kc,
			panels:     q1 - q0,
			accumulate: min(k0, 1),
		}
		g.setCols(c1-(q1-1)*nr, nr)
		callGemm(p.kern.level, &g)
	}
	if t.act != ActNone {
		for i := i0; i < i0+rows; i++ {
			row := t.c[i*t.ldc+c0 : i*t.ldc+c1]
			t.act.Apply(row, row)
		}
	}
}

// setCols fills the column masks for a last panel of cols columns.
func (g *gemmArgs) setCols(cols, nr int) {
	g.cols = cols
	if cols < nr {
		g.partial = 1
	}
	g.maskLo = 1<<min(cols, 16) - 1
	g.maskHi = 1<<max(cols-16, 0) - 1
	for j := range g.mask {
		if j < cols {
			g.mask[j] = -1
		}
	}
}
