package generate

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/vlmrt/vlmrt/parallel"
)

// benchStepper stands in for a model: each slot's logits are one of a few
// fixed random rows, chosen by the step and the slot, so that beam search
// has real choices to make. EOS (id 0) is never likely. It allocates
// nothing.
type benchStepper struct {
	rows [][]float32
	step int
}

func newBenchStepper(v int) *benchStepper {
	rng := rand.New(rand.NewPCG(3, 4))
	s := &benchStepper{rows: make([][]float32, 7)}
	for r := range s.rows {
		row := make([]float32, v)
		for i := range row {
			row[i] = float32(rng.NormFloat64() * 4)
		}
		row[0] = -100
		s.rows[r] = row
	}
	return s
}

func (s *benchStepper) Vocab() int          { return len(s.rows[0]) }
func (s *benchStepper) Reset(int) error     { s.step = 0; return nil }
func (s *benchStepper) Reorder([]int) error { return nil }
func (s *benchStepper) Step(tokens []int32, logits []float32) error {
	v := len(s.rows[0])
	for i := range tokens {
		copy(logits[i*v:(i+1)*v], s.rows[(s.step+i)%len(s.rows)])
	}
	s.step++
	return nil
}

// BenchmarkBeamStep measures beam search's own work per step (log-softmax
// of every live row, candidate selection, history bookkeeping) for
// V=32000 and beam 3, with a stand-in model that only copies logits, on
// the calling goroutine and on a Pool of GOMAXPROCS workers.
func BenchmarkBeamStep(b *testing.B) {
	const v, steps = 32000, 32
	for _, pool := range []struct {
		name string
		pool *parallel.Pool
	}{{"no pool", nil}, {"pool", parallel.New(0)}} {
		b.Run(pool.name, func(b *testing.B) {
			st := newBenchStepper(v)
			o := Options{BOS: 1, EOS: 0, MaxLength: steps, Beam: 3}
			buf := Buffers{Pool: pool.pool}
			if _, err := Beam(st, o, &buf); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := Beam(st, o, &buf); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*steps), "ns/step")
		})
	}
}

// BenchmarkGreedyStep is BenchmarkBeamStep for greedy decoding.
func BenchmarkGreedyStep(b *testing.B) {
	const v, steps = 32000, 32
	st := newBenchStepper(v)
	o := Options{BOS: 1, EOS: 0, MaxLength: steps}
	var buf Buffers
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Greedy(st, o, &buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*steps), "ns/step")
}

// BenchmarkSampleStep is BenchmarkBeamStep for sampling with top-k and
// top-p.
func BenchmarkSampleStep(b *testing.B) {
	const v, steps = 32000, 32
	st := newBenchStepper(v)
	o := Options{BOS: 1, EOS: 0, MaxLength: steps, Sample: true, Temperature: 0.8, TopK: 50, TopP: 0.9, Seed: 1}
	var buf Buffers
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Sample(st, o, &buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*steps), "ns/step")
}

// BenchmarkStandInStep is the stand-in model alone (copying three rows of
// logits), to subtract from the per-step numbers above.
func BenchmarkStandInStep(b *testing.B) {
	st := newBenchStepper(32000)
	logits := make([]float32, 3*32000)
	tokens := []int32{1, 2, 3}
	for b.Loop() {
		_ = st.Step(tokens, logits)
	}
}

// TestNoAllocs checks that generation with a reused Buffers allocates
// nothing after the first call.
func TestNoAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts are checked in the full run")
	}
	row := make([]float32, 9000)
	pool := parallel.New(3)
	for i := range row {
		row[i] = float32(math.Sin(float64(i)))
	}
	st := &constStepper{row: row}
	for _, tc := range []struct {
		name string
		alg  func(Stepper, Options, *Buffers) (Result, error)
		o    Options
	}{
		{"greedy", Greedy, Options{BOS: 1, EOS: 0, MaxLength: 16}},
		{"sample", Sample, Options{BOS: 1, EOS: 0, MaxLength: 16, TopK: 40, TopP: 0.9, Seed: 3}},
		{"sample, top-p only", Sample, Options{BOS: 1, EOS: 0, MaxLength: 16, TopP: 0.95, Seed: 3}},
		{"beam", Beam, Options{BOS: 1, EOS: 0, MaxLength: 16, Beam: 4}},
		{"beam on a pool", Beam, Options{BOS: 1, EOS: 0, MaxLength: 16, Beam: 4}},
		{"greedy on a pool", Greedy, Options{BOS: 1, EOS: 0, MaxLength: 16}},
	} {
		var buf Buffers
		if strings.HasSuffix(tc.name, "on a pool") {
			buf.Pool = pool
		}
		allocs := testing.AllocsPerRun(5, func() {
			if _, err := tc.alg(st, tc.o, &buf); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per run, want 0", tc.name, allocs)
		}
	}
}
