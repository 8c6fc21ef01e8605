package runtime

import (
	"fmt"
	"math"
	"slices"

	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/parallel"
)

// Attention to a projected memory without projecting it.
//
// A cross-attention reads keys K = M Wk + bk and values V = M Wv + bv of a
// memory M [T, Dkv]. Head h's scores are Q_h K_h^T = (Q_h Wk_h^T) M^T + c,
// where c = Q_h bk_h is the same for every key of a query and so changes no
// probability (softmax and sparsemax are both unchanged by adding a
// constant to a row); and its output is P_h V_h = (P_h M) Wv_h + r bv_h,
// where r is the sum of the row of P_h (1, or 1 - lambda for differential
// attention). So a head can take its S queries into the memory's space
// (S x dh times dh x Dkv), score them against M itself, and project the
// weighted memory rows (S x Dkv times Dkv x dh): 2 S D Dkv + 2 H S T Dkv
// multiply-adds for H heads against 2 T Dkv D + 2 S T D for projecting
// the memory first. With few queries per memory (H S well below D: the 16
// text tokens of a captioning decoder against 197 vision tokens) that is
// about 3 times less work, in products of H*S rows, the shape the matrix
// kernels run best. It computes the same attention as Attend within
// float32 rounding (the sums run in another order), not bit for bit.

// MemoryWeights are a cross-attention's key and value projections arranged
// head by head for AttendMemory.
type MemoryWeights struct {
	heads, headDim int
	dkv            int
	keys           [][]*kernels.PackedWeights // per stream, per head: scale Wk_h^T (headDim x Dkv)
	values         []*kernels.PackedWeights   // per head: Wv_h (Dkv x headDim), bias rowSum bv_h
}

// NewMemoryWeights arranges the projections of a cross-attention with
// heads heads for AttendMemory. kv projects a memory of width Dkv = kv.K()
// to streams key projections (one, or two for differential attention) and
// the values, side by side: columns [s*D, (s+1)*D) are key stream s and the
// last D columns the values, whose biases are scaled by rowSum, the sum of
// a row of the combined probabilities (1, or 1 - lambda for differential
// attention); key biases change no probability and are not used. scale
// multiplies the scores (0 means 1/sqrt(head dim)).
func NewMemoryWeights(heads int, kv *kernels.PackedWeights, streams int, rowSum, scale float32) (*MemoryWeights, error) {
	dkv := kv.K()
	if heads <= 0 || streams < 1 || streams > 2 || dkv == 0 || kv.N() == 0 || kv.N()%(streams+1) != 0 || kv.N()/(streams+1)%heads != 0 {
		return nil, fmt.Errorf("runtime: memory weights: %d heads and %d key streams from a %d x %d projection", heads, streams, dkv, kv.N())
	}
	d := kv.N() / (streams + 1)
	dh := d / heads
	if scale == 0 {
		scale = float32(1 / math.Sqrt(float64(dh)))
	}
	w := &MemoryWeights{heads: heads, headDim: dh, dkv: dkv}
	// int8 projections stay int8 head by head: the value blocks keep
	// their columns (and so their scales); the key blocks, transposed, are
	// quantized again per memory column.
	prec := kernels.Float32
	if kv.Quantized() {
		prec = kernels.Int8
	}
	block, bias := make([]float32, dkv*dh), make([]float32, dh)
	for s := 0; s < streams; s++ {
		perHead := make([]*kernels.PackedWeights, heads)
		for h := range perHead {
			kv.UnpackCols(block, nil, s*d+h*dh, dh) // Wk_h, Dkv x dh: packed as its transpose
			for i := range block {
				block[i] *= scale
			}
			p, err := kernels.PackNKAs(prec, block, dkv, dh, nil)
			if err != nil {
				return nil, err
			}
			perHead[h] = p
		}
		w.keys = append(w.keys, perHead)
	}
	for h := 0; h < heads; h++ {
		kv.UnpackCols(block, bias, streams*d+h*dh, dh)
		for j := range bias {
			bias[j] *= rowSum
		}
		p, err := kernels.PackKNAs(prec, block, dkv, dh, bias)
		if err != nil {
			return nil, err
		}
		w.values = append(w.values, p)
	}
	return w, nil
}

// Bytes returns the memory the packed projections hold.
func (w *MemoryWeights) Bytes() int {
	n := 0
	for _, ps := range append([][]*kernels.PackedWeights{w.values}, w.keys...) {
		for _, p := range ps {
			n += p.Bytes()
		}
	}
	return n
}

// AttendMemory computes the attention of queries q [B, S, *] (the columns
// from q.Col) to the keys and values that w projects memory [B, T, Dkv] to:
// the same result as Attend over those projections (see above), without
// computing them. With two query operands it computes differential
// attention, softmax(q1 k1^T s) v - lambda softmax(q2 k2^T s) v, w holding
// the two key streams. The result is [B, S, Heads*HeadDim]. spec must match
// w's heads; causal attention and a memory without rows are not supported.
// Softmax attention to a memory of more than one tile (memoryTile rows) runs
// online, tile by tile, whether or not spec.Tiled is set.
func (b *Builder) AttendMemory(spec AttentionSpec, memory Tensor, w *MemoryWeights, lambda float32, q ...Operand) Tensor {
	if len(q) == 0 {
		b.fail(fmt.Errorf("runtime: memory attention without queries"))
		return memory
	}
	ms := b.Shape(memory)
	dim := w.heads * w.headDim
	bad := spec.Heads != w.heads || spec.HeadDim != w.headDim || spec.Causal ||
		len(q) != len(w.keys) || len(ms) != 3 || ms[1] == 0 || ms[2] != w.dkv
	for _, op := range q {
		qs := b.Shape(op.T)
		bad = bad || len(qs) != 3 || len(ms) == 3 && qs[0] != ms[0] || op.Col+dim > qs[2] || !slices.Equal(qs, b.Shape(q[0].T))
	}
	if bad {
		b.fail(fmt.Errorf("runtime: memory attention %d x %d heads (causal %v, %d streams) over memory %v with weights for %d x %d heads, width %d, %d streams",
			spec.Heads, spec.HeadDim, spec.Causal, len(q), ms, w.heads, w.headDim, w.dkv, len(w.keys)))
		return memory
	}
	qs := b.Shape(q[0].T)
	s := &memoryAttentionStep{w: w, q: q, memory: b.packMemory(memory), prob: spec.Probability, lambda: lambda,
		queries: qs[1], qStride: qs[2]}
	s.out = b.Temp(qs[0], qs[1], dim)
	s.scratch = b.Temp(s.scratchLen())
	reads := []Tensor{s.memory.t, s.scratch}
	for _, op := range q {
		reads = append(reads, op.T)
	}
	b.Add(s, reads, []Tensor{s.out})
	return s.out
}

// memoryTile is the number of memory rows (keys) AttendMemory scores at a
// time: softmax attention to a longer memory runs an online softmax over
// tiles, so that its working memory does not grow with the memory (the
// scores of 192 query rows by 512 keys take 384 KiB).
const memoryTile = 512

// packedMemory is a memory [B, T, Dkv] packed for the products of
// AttendMemory, per batch element and per tile of memoryTile rows: as M^T
// (Dkv x rows, the scores' weights), then as M (rows x Dkv, the weights of
// P M).
type packedMemory struct {
	t                Tensor
	batch, rows, dkv int
}

// tiles returns the number of tiles of a batch element.
func (m packedMemory) tiles() int { return (m.rows + memoryTile - 1) / memoryTile }

// tile returns the first row and the row count of tile i.
func (m packedMemory) tile(i int) (j0, rows int) {
	return i * memoryTile, min(memoryTile, m.rows-i*memoryTile)
}

// tileLen returns the values tile i's two packings take.
func (m packedMemory) tileLen(i int) (mt, mm int) {
	_, rows := m.tile(i)
	return kernels.PackedLen(m.dkv, rows), kernels.PackedLen(rows, m.dkv)
}

// perBatch returns the values one batch element's packings take.
func (m packedMemory) perBatch() int {
	n := 0
	for i := range m.tiles() {
		mt, mm := m.tileLen(i)
		n += mt + mm
	}
	return n
}

// view sets mt and mm to tile i of batch element b in buf, the packed
// memory's values.
func (m packedMemory) view(buf []float32, b, i int, mt, mm *kernels.PackedWeights) {
	buf = buf[b*m.perBatch():]
	for t := range i {
		lt, lm := m.tileLen(t)
		buf = buf[lt+lm:]
	}
	_, rows := m.tile(i)
	lt, lm := m.tileLen(i)
	kernels.PackedView(mt, buf[:lt], m.dkv, rows)
	kernels.PackedView(mm, buf[lt:lt+lm], rows, m.dkv)
}

// packMemory appends a step that packs memory, once per plan: every layer
// that attends to the same memory reads the same packing.
func (b *Builder) packMemory(memory Tensor) packedMemory {
	if m, ok := b.packed[memory.id]; ok {
		return m
	}
	shape := b.Shape(memory)
	m := packedMemory{batch: shape[0], rows: shape[1], dkv: shape[2]}
	m.t = b.Temp(m.batch * m.perBatch())
	b.Add(&packMemoryStep{memory: memory, packed: m}, []Tensor{memory}, []Tensor{m.t})
	b.packed[memory.id] = m
	return m
}

type packMemoryStep struct {
	memory Tensor
	packed packedMemory
}

func (s *packMemoryStep) Run(x *Exec) {
	m := s.packed
	memory, buf := x.F(s.memory), x.F(m.t)
	var p kernels.PackedWeights
	for b := 0; b < m.batch; b++ {
		for i := range m.tiles() {
			j0, rows := m.tile(i)
			mem := memory[(b*m.rows+j0)*m.dkv : (b*m.rows+j0+rows)*m.dkv]
			lt, lm := m.tileLen(i)
			kernels.PackNKInto(&p, buf[:lt], mem, m.dkv, rows, m.dkv)
			kernels.PackKNInto(&p, buf[lt:lt+lm], mem, m.dkv, rows, m.dkv)
			buf = buf[lt+lm:]
		}
	}
}

type memoryAttentionStep struct {
	w            *MemoryWeights
	q            []Operand
	memory       packedMemory
	out, scratch Tensor
	prob         kernels.Probability
	lambda       float32
	queries      int // per batch element; the memory has the batch and the keys
	qStride      int
}

// online reports whether the step runs an online softmax over the memory's
// tiles; otherwise it holds every score (sparsemax, differential attention
// and memories of one tile).
func (s *memoryAttentionStep) online() bool {
	return s.prob == kernels.ProbSoftmax && len(s.q) == 1 && s.memory.tiles() > 1
}

// memoryScratch is one batch element's working memory.
type memoryScratch struct {
	qm     [2][]float32 // per stream, the queries in the memory's space [H*S, Dkv]
	scores [2][]float32 // per stream [H*S, T]; online: one tile's [H*S, tile]
	pm     []float32    // P M [H*S, Dkv]; aliases qm[0] unless online
	tmp    []float32    // one tile's P M, summed into pm (several tiles only)
	m, l   []float32    // online: running maximum and sum per row
	sparse []float32    // sparsemax's row scratch
}

// layout cuts buf (nil: count only) into the scratch and returns the values
// it takes.
func (s *memoryAttentionStep) layout(buf []float32, sc *memoryScratch) int {
	rows, dkv, t := s.w.heads*s.queries, s.w.dkv, s.memory.rows
	n := 0
	take := func(k int) []float32 {
		n += k
		if buf == nil {
			return nil
		}
		v := buf[:k:k]
		buf = buf[k:]
		return v
	}
	for i := range s.q {
		sc.qm[i] = take(rows * dkv)
	}
	if s.online() {
		sc.scores[0] = take(rows * memoryTile)
		sc.pm = take(rows * dkv)
		sc.m, sc.l = take(rows), take(rows)
	} else {
		for i := range s.q {
			sc.scores[i] = take(rows * t)
		}
		sc.pm = sc.qm[0]
		sc.sparse = take(t)
	}
	if s.memory.tiles() > 1 {
		sc.tmp = take(rows * dkv)
	}
	return n
}

func (s *memoryAttentionStep) scratchLen() int { return s.layout(nil, new(memoryScratch)) }

// memoryAttentionState is a session's views of the packed memory, its
// scratch and the task state of its products.
type memoryAttentionState struct {
	mt, m     kernels.PackedWeights
	task      kernels.MatMulTask
	heads     headProducts
	headTasks []kernels.MatMulTask // one per part of headProducts (int8 products quantize into them)
	scratch   memoryScratch
}

func (s *memoryAttentionStep) NewState() any { return new(memoryAttentionState) }

func (s *memoryAttentionStep) Run(x *Exec) {
	st := x.State().(*memoryAttentionState)
	sc := &st.scratch
	s.layout(x.F(s.scratch), sc)
	w := s.w
	dh, dkv, nq := w.headDim, w.dkv, s.queries
	dim := w.heads * dh
	out := x.F(s.out)
	if n := max(x.Pool.Threads(), 1); len(st.headTasks) < n {
		st.headTasks = make([]kernels.MatMulTask, n) // the first run only
	}
	for b := 0; b < s.memory.batch; b++ {
		for i, op := range s.q {
			// Head hd's queries in the memory's space: rows [hd*S, (hd+1)*S).
			q := x.F(op.T)[b*nq*s.qStride+op.Col:]
			st.heads = headProducts{ps: w.keys[i], m: nq, tasks: st.headTasks,
				a: q, lda: s.qStride, aStep: dh, c: sc.qm[i], ldc: dkv, cStep: nq * dkv}
			st.heads.run(x.Pool)
		}
		if s.online() {
			s.attendOnline(x, st, b)
		} else {
			s.attendWhole(x, st, b)
		}
		st.heads = headProducts{ps: w.values, m: nq, tasks: st.headTasks,
			a: sc.pm, lda: dkv, aStep: nq * dkv, c: out[b*nq*dim:], ldc: dim, cStep: dh}
		st.heads.run(x.Pool)
	}
	st.heads = headProducts{}
	st.scratch = memoryScratch{}
}

// attendWhole sets pm = P M for batch element b from every score at once.
func (s *memoryAttentionStep) attendWhole(x *Exec, st *memoryAttentionState, b int) {
	sc, mem := &st.scratch, &s.memory
	rows, dkv, t := s.w.heads*s.queries, s.w.dkv, s.memory.rows
	buf := x.F(mem.t)
	for i := range s.q {
		for tile := range mem.tiles() {
			j0, _ := mem.tile(tile)
			mem.view(buf, b, tile, &st.mt, &st.m)
			st.mt.MatMulWith(&st.task, x.Pool, sc.scores[i][j0:], t, sc.qm[i], dkv, rows, kernels.ActNone)
		}
		if s.prob == kernels.ProbSparsemax {
			kernels.Sparsemax(sc.scores[i], sc.scores[i], t, sc.sparse)
		} else {
			kernels.Softmax(sc.scores[i], sc.scores[i], t)
		}
	}
	if len(s.q) == 2 {
		kernels.AddScaled(sc.scores[0], -s.lambda, sc.scores[1])
	}
	for tile := range mem.tiles() {
		j0, _ := mem.tile(tile)
		mem.view(buf, b, tile, &st.mt, &st.m)
		dst := sc.pm
		if tile > 0 {
			dst = sc.tmp
		}
		st.m.MatMulWith(&st.task, x.Pool, dst, dkv, sc.scores[0][j0:], t, rows, kernels.ActNone)
		if tile > 0 {
			kernels.Add(sc.pm, sc.pm, sc.tmp)
		}
	}
}

// attendOnline sets pm = P M for batch element b a tile of the memory at a
// time, with an online softmax.
func (s *memoryAttentionStep) attendOnline(x *Exec, st *memoryAttentionState, b int) {
	sc, mem := &st.scratch, &s.memory
	rows, dkv := s.w.heads*s.queries, s.w.dkv
	buf := x.F(mem.t)
	for r := range sc.m {
		sc.m[r], sc.l[r] = float32(math.Inf(-1)), 0
	}
	clear(sc.pm)
	for tile := range mem.tiles() {
		_, n := mem.tile(tile)
		mem.view(buf, b, tile, &st.mt, &st.m)
		scores := sc.scores[0][:rows*n]
		st.mt.MatMulWith(&st.task, x.Pool, scores, n, sc.qm[0], dkv, rows, kernels.ActNone)
		kernels.OnlineSoftmax(scores, n, sc.m, sc.l, sc.pm, dkv)
		st.m.MatMulWith(&st.task, x.Pool, sc.tmp, dkv, scores, n, rows, kernels.ActNone)
		kernels.Add(sc.pm, sc.pm, sc.tmp)
	}
	for r := range sc.l {
		row := sc.pm[r*dkv : (r+1)*dkv]
		kernels.Scale(row, row, 1/sc.l[r])
	}
}

// headProducts is one small product per head, C_h = A_h W_h, A_h at
// a[h*aStep:] and C_h at c[h*cStep:] with m rows: heads are split over a
// pool's threads, each product running whole on one thread (results do not
// depend on the split).
type headProducts struct {
	ps             []*kernels.PackedWeights
	tasks          []kernels.MatMulTask // one per part, at least parts long
	m              int
	a, c           []float32
	lda, aStep     int
	ldc, cStep     int
	parts, perPart int
}

func (t *headProducts) run(pool *parallel.Pool) {
	t.parts = min(pool.Threads(), len(t.ps))
	if t.parts <= 1 {
		t.parts, t.perPart = 1, len(t.ps)
		t.Do(0)
		return
	}
	t.perPart = (len(t.ps) + t.parts - 1) / t.parts
	t.parts = (len(t.ps) + t.perPart - 1) / t.perPart
	pool.Run(t.parts, t)
}

// Do runs the products of one part's heads.
func (t *headProducts) Do(part int) {
	for h := part * t.perPart; h < min((part+1)*t.perPart, len(t.ps)); h++ {
		t.ps[h].MatMulWith(&t.tasks[part], nil, t.c[h*t.cStep:], t.ldc, t.a[h*t.aStep:], t.lda, t.m, kernels.ActNone)
	}
}
