package kernels

import (
	"math"
	"unsafe"

	"github.com/vlmrt/vlmrt/parallel"
)

// This file is the int8 matrix product's algorithm: MatMul on int8 weights
// (qmatmul_pack.go) quantizes each row of A into the task's scratch, then
// runs the int8 micro-kernels (qmatmul_kernel.go) over blocks of rows and
// columns, then the activation, as matmul.go does for float weights.
//
// Quantizing A. Row i gets amax = max over k of |a[i][k]|, the scale
// sa = amax / 127 and the values a_s8[k] = round(a[i][k] * inv) with
// inv = 127 / amax, all in float32, rounded half to even (what VCVTPS2DQ
// and FCVTNS do), in [-127, 127] since |a * inv| <= 127 (1 + 2^-23). A row
// of zeros, or whose amax is below 2^-100 (where inv would overflow), gets
// sa = 0 and a_s8 = 0: its output is the bias. A row holding NaN or an
// infinity gets sa = NaN: its output is NaN. Every level quantizes the same
// way, bit for bit.
//
// Error. With per-column weight scales and per-row activation scales, each
// value is off by at most half a step (amax/254) of its row or column; on
// Gaussian data the relative Frobenius error of C against the float32
// product is about 1% at K = 768 (TestInt8Error states the bound).

// int8MinOps is the int8 counterpart of parallelMinFlops: an int8 product
// runs about three times as many operations a second as a float one, so it
// needs about as many more to repay waking the pool's workers (scaled from
// the float measurement, not measured apart).
const int8MinOps = 1 << 20

// qrowsPerUnit is how many rows of A one unit of the quantizing phase takes
// when it is split over a pool.
const qrowsPerUnit = 16

// qmatmulTask is one int8 product: first the rows of A are quantized
// (quantizing true, units of qrowsPerUnit rows), then units of (row block,
// column block) run the micro-kernel and the activation.
type qmatmulTask struct {
	p          *PackedWeights
	c, a       []float32
	lda, ldc   int // floats between rows of A and of C
	m          int
	act        Activation
	qa         []int8    // quantized A, m rows of the family's lda bytes
	qs         []float32 // the rows' scales
	quantizing bool
	mc, nmc    int // rows per row block, number of row blocks
	ncp, nnc   int // panels per column block, number of column blocks
	units      int
}

// qscratch returns the task's scratch for m quantized rows of A, n bytes
// (int8Weights.qaBytes), and their scales, grown (the only allocation)
// when it is too small.
func (t *MatMulTask) qscratch(m, n int) ([]int8, []float32) {
	if cap(t.qa) < n {
		t.qa = make([]int8, n)
	}
	if cap(t.qs) < m {
		t.qs = make([]float32, m)
	}
	return t.qa[:n], t.qs[:m]
}

// qmatmul is MatMulWith for int8 weights, after the checks: m >= 1, N >= 1.
func (p *PackedWeights) qmatmul(task *MatMulTask, pool *parallel.Pool, c []float32, ldc int, a []float32, lda int, m int, act Activation) {
	if p.k == 0 { // no sum: C = act(bias)
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+p.n]
			copy(row, p.bias[:p.n])
			act.Apply(row, row)
		}
		return
	}
	pooled := task
	if task == nil {
		task = matmulTasks.Get().(*MatMulTask)
	}
	threads := 1
	if pool.Threads() > 1 && 2*m*p.k*p.n >= int8MinOps {
		threads = pool.Threads()
	}
	t := &task.q
	qa, qs := task.qscratch(m, p.q.qaBytes(m))
	t.plan(p, c, ldc, a, lda, m, act, qa, qs, threads)
	switch {
	case threads == 1:
		quantizeRows(p.level, qa, qs, a, lda, 0, m, p.k, p.q.kern)
		for u := 0; u < t.units; u++ {
			t.Do(u)
		}
	case m <= qrowsPerUnit:
		quantizeRows(p.level, qa, qs, a, lda, 0, m, p.k, p.q.kern)
		pool.Run(t.units, task)
	default:
		t.quantizing = true
		pool.Run((m+qrowsPerUnit-1)/qrowsPerUnit, task)
		t.quantizing = false
		pool.Run(t.units, task)
	}
	*t = qmatmulTask{}
	if pooled == nil {
		matmulTasks.Put(task)
	}
}

// plan chooses the blocks of an m-row product on threads threads, as
// matmulTask.plan does; the choice changes speed only, never a result.
func (t *qmatmulTask) plan(p *PackedWeights, c []float32, ldc int, a []float32, lda int, m int, act Activation, qa []int8, qs []float32, threads int) {
	*t = qmatmulTask{p: p, c: c, a: a, lda: lda, ldc: ldc, m: m, act: act, qa: qa, qs: qs}
	nr := p.q.kern.nr
	t.nmc = (m + mcMax - 1) / mcMax
	t.mc = (m + t.nmc - 1) / t.nmc
	if p.q.kern.rowPairs {
		t.mc += t.mc & 1 // row blocks start at even rows, at a pair
	}
	t.nmc = (m + t.mc - 1) / t.mc
	np := (p.n + nr - 1) / nr
	t.ncp = max(2, 128/nr)
	if want := 4 * threads; threads > 1 && t.nmc*((np+t.ncp-1)/t.ncp) < want {
		t.ncp = max(1, np*t.nmc/want)
	}
	t.nnc = (np + t.ncp - 1) / t.ncp
	t.units = t.nmc * t.nnc
}

// Do runs unit u of the current phase.
func (t *qmatmulTask) Do(u int) {
	p := t.p
	if t.quantizing {
		i0 := u * qrowsPerUnit
		quantizeRows(p.level, t.qa, t.qs, t.a, t.lda, i0, min(i0+qrowsPerUnit, t.m), p.k, p.q.kern)
		return
	}
	iw := p.q
	nr, kp, n := iw.kern.nr, iw.kp, p.n
	lda := iw.lda()
	i0 := (u / t.nnc) * t.mc
	rows := min(t.mc, t.m-i0)
	q0 := (u % t.nnc) * t.ncp
	q1 := min(q0+t.ncp, (n+nr-1)/nr)
	c0, c1 := q0*nr, min(q1*nr, n)
	mr := iw.kern.mrMax
	mr = (rows + (rows+mr-1)/mr - 1) / ((rows + mr - 1) / mr) // even row blocks
	if iw.kern.rowPairs {
		mr += mr & 1 // whole pairs (mrMax is even)
	}
	g := qgemmArgs{
		a:        unsafe.Pointer(&t.qa[i0*lda]),
		lda:      uintptr(lda),
		b:        unsafe.Pointer(&iw.panels[q0*kp*nr]),
		ldb:      uintptr(kp * nr),
		c:        unsafe.Pointer(&t.c[i0*t.ldc+c0]),
		ldc:      uintptr(4 * t.ldc),
		bias:     unsafe.Pointer(&p.bias[c0]),
		colScale: unsafe.Pointer(&iw.scale[c0]),
		rowScale: unsafe.Pointer(&t.qs[i0]),
		m:        rows,
		mr:       mr,
		groups:   kp / 4,
		panels:   q1 - q0,
	}
	if iw.corr != nil {
		g.corr = unsafe.Pointer(&iw.corr[c0])
	}
	g.setCols(c1-(q1-1)*nr, nr)
	callQgemm(iw.kern.id, &g)
	if t.act != ActNone {
		for i := i0; i < i0+rows; i++ {
			row := t.c[i*t.ldc+c0 : i*t.ldc+c1]
			t.act.Apply(row, row)
		}
	}
}

// quantizeRows quantizes rows [i0, i1) of A (row i at a[i*lda:], k values)
// into qa (kern's kp values a row, zero past k) and their scales into qs,
// as the file comment says, with level l's row kernels, in the form kern
// reads: s8, u8 (a_s8 + 128) for a zero-point family, int16 for an a16
// one, in row pairs for a rowPairs one (i0 even; an odd i1 must be m, and
// the row after it, the second of the last pair, is zeroed).
func quantizeRows(l Level, qa []int8, qs []float32, a []float32, lda, i0, i1, k int, kern qgemmKernel) {
	kp := (k + kern.kalign - 1) / kern.kalign * kern.kalign
	var flip int8
	if kern.zeroPoint {
		flip = -128 // XOR 0x80: s8 to u8 with a zero point of 128
	}
	var qa16 []int16
	if kern.a16 && len(qa) > 0 {
		qa16 = unsafe.Slice((*int16)(unsafe.Pointer(&qa[0])), len(qa)/2)
	}
	for i := i0; i < i1; i++ {
		row := a[i*lda : i*lda+k]
		sa, inv := rowScale(qabsMax(l, row))
		qs[i] = sa
		if kern.a16 {
			dst := qa16[i*kp : i*kp+kp]
			if inv == 0 {
				clear(dst)
			} else {
				qquantizeRow16(l, dst[:k], row, inv)
				clear(dst[k:])
			}
			continue
		}
		if kern.rowPairs {
			dst := pairRow(qa, i, kp)
			if inv == 0 {
				fillRowPairs(dst, 0, kp, flip)
			} else {
				qquantizeRowPairs(l, dst, row, inv, flip)
				fillRowPairs(dst, k, kp, flip)
			}
			continue
		}
		dst := qa[i*kp : i*kp+kp]
		if inv == 0 {
			for j := range dst {
				dst[j] = flip
			}
		} else {
			qquantizeRow(l, dst[:k], row, inv, flip)
			for j := k; j < kp; j++ {
				dst[j] = flip
			}
		}
	}
	if kern.rowPairs && i1%2 == 1 {
		fillRowPairs(pairRow(qa, i1, kp), 0, kp, flip)
	}
}

// absMaxBits is the Go twin of the row kernels' qabsMax: the largest bit
// pattern of |row[j]| (the sign cleared), whose integer order is the order
// of the magnitudes, with NaN above +Inf.
func absMaxBits(row []float32) uint32 {
	var bits uint32
	for _, v := range row {
		bits = max(bits, math.Float32bits(v)&0x7fffffff)
	}
	return bits
}

// rowScale returns, for a row whose largest magnitude has the bit pattern
// bits, its scale sa = amax/127 and the factor inv = 127/amax that
// quantizes it; inv = 0 for a row taken as zero (amax = 0 or below 2^-100,
// sa = 0) and for a row with NaN or an infinity (sa = NaN).
func rowScale(bits uint32) (sa, inv float32) {
	amax := math.Float32frombits(bits)
	switch {
	case bits >= 0x7f800000:
		return float32(math.NaN()), 0
	case amax < 0x1p-100:
		return 0, 0
	}
	return amax / 127, 127 / amax
}

// quantizeRow16 is quantizeRow into int16, without a flip.
func quantizeRow16(dst []int16, row []float32, inv float32) {
	const magic = 0x1.8p23
	dst = dst[:len(row)]
	for j, v := range row {
		r := float32(float32(v*inv)+magic) - magic
		dst[j] = int16(r)
	}
}

// quantizeRow is the Go twin of the row kernels' qquantizeRow: dst[j] =
// round(row[j] * inv) half to even, XOR flip. Adding and subtracting 1.5 *
// 2^23 rounds a float32 of magnitude below 2^22 to an integer, half to even.
func quantizeRow(dst []int8, row []float32, inv float32, flip int8) {
	const magic = 0x1.8p23
	dst = dst[:len(row)]
	for j, v := range row {
		r := float32(float32(v*inv)+magic) - magic
		dst[j] = int8(int32(r)) ^ flip
	}
}
