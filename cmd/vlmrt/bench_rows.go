package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/vlmrt/vlmrt/kernels"
)

// The attention and row kernel benchmarks of "vlmrt bench <kernel>": each
// prints "name: microseconds" lines, one per shape and level, the minimum
// over repeated timed batches of the thread's CPU time (on Linux; wall
// time elsewhere), so that other load on a shared machine counts as little
// as it can.

func init() {
	benchKernels["attention"] = command{"attention: 12 heads x 64, 16x197, 64x577 (plain and tiled), decode 1x197 and 1x577 tiled", benchAttentionCmd}
	benchKernels["layernorm"] = command{"LayerNorm over [64, 768]", rowBench("layernorm", benchLayerNorm)}
	benchKernels["softmax"] = command{"softmax over [192, 197]", rowBench("softmax", benchSoftmax)}
	benchKernels["sparsemax"] = command{"sparsemax over [192, 197]", rowBench("sparsemax", benchSparsemax)}
	benchKernels["gelu"] = command{"GELU over 64 x 3072", rowBench("gelu", elementwiseBench("gelu", kernels.GELU))}
	benchKernels["silu"] = command{"SiLU over 64 x 3072", rowBench("silu", elementwiseBench("silu", kernels.SiLU))}
	benchKernels["sigmoid"] = command{"sigmoid over 64 x 3072", rowBench("sigmoid", elementwiseBench("sigmoid", kernels.Sigmoid))}
	benchKernels["rows"] = command{"every row kernel benchmark", rowBench("rows", benchLayerNorm, benchSoftmax, benchSparsemax,
		elementwiseBench("gelu", kernels.GELU), elementwiseBench("silu", kernels.SiLU),
		elementwiseBench("sigmoid", kernels.Sigmoid), elementwiseBench("add", func(dst, x []float32) { kernels.Add(dst, x, x) }))}
}

// benchOptions are the flags every kernel benchmark takes.
type benchOptions struct {
	levels []kernels.Level
	reps   int
}

func parseBenchFlags(name string, args []string) (benchOptions, error) {
	fs := newFlags("bench "+name, "[--isa L|all] [--reps N]")
	isa := fs.String("isa", "", "kernel level (generic, avx2, avx512, neon; default: the active one; all: every level the CPU has)")
	reps := fs.Int("reps", 15, "timed batches; the least time per call is printed")
	if err := parseFlags(fs, args, 0); err != nil {
		return benchOptions{}, err
	}
	if err := kernels.EnvError(); err != nil {
		return benchOptions{}, err
	}
	o := benchOptions{reps: max(*reps, 1)}
	switch *isa {
	case "":
		o.levels = []kernels.Level{kernels.Active()}
	case "all":
		o.levels = kernels.Levels()
	default:
		l, err := kernels.ParseLevel(*isa)
		if err != nil {
			return o, fmt.Errorf("--isa: %w", err)
		}
		if !l.Supported() {
			return o, fmt.Errorf("--isa %s: %w", l, kernels.ErrUnsupportedLevel)
		}
		o.levels = []kernels.Level{l}
	}
	return o, nil
}

// minTime returns the least time per call of f over reps batches, each
// about 20 ms long, in the thread's CPU time where the system has it.
func minTime(reps int, f func()) time.Duration {
	now, done := benchClock()
	defer done()
	f()
	n := 1
	for {
		t0 := now()
		for i := 0; i < n; i++ {
			f()
		}
		if d := now() - t0; d > 20*time.Millisecond || n >= 1<<20 {
			break
		}
		n *= 2
	}
	best := time.Duration(1 << 62)
	for r := 0; r < reps; r++ {
		t0 := now()
		for i := 0; i < n; i++ {
			f()
		}
		best = min(best, (now()-t0)/time.Duration(n))
	}
	return best
}

func us(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d.Nanoseconds())/1e3) }

// forLevels runs fn at each chosen level and restores the active one.
func forLevels(o benchOptions, fn func(prefix string)) error {
	prev := kernels.Active()
	defer kernels.SetLevel(prev) //nolint:errcheck // prev was supported
	for _, l := range o.levels {
		if err := kernels.SetLevel(l); err != nil {
			return err
		}
		fn(l.String() + ".")
	}
	return nil
}

func randValues(rng *rand.Rand, n int, span float32) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = span * float32(2*rng.Float64()-1)
	}
	return x
}

func benchAttentionCmd(args []string, w io.Writer) error {
	o, err := parseBenchFlags("attention", args)
	if err != nil {
		return err
	}
	const heads, dh = 12, 64
	rng := rand.New(rand.NewPCG(1, 2))
	shapes := []struct {
		name          string
		queries, keys int
		tiled         bool
	}{
		{"attention_16x197", 16, 197, false},
		{"attention_64x577", 64, 577, false},
		{"attention_64x577_tiled", 64, 577, true},
		{"attention_decode_1x197", 1, 197, false},
		{"attention_decode_1x577_tiled", 1, 577, true},
	}
	return forLevels(o, func(prefix string) {
		for _, s := range shapes {
			a := kernels.Attention{Queries: s.queries, Keys: s.keys, Heads: heads, HeadDim: dh, Tiled: s.tiled}
			q := randValues(rng, s.queries*heads*dh, 1)
			k := randValues(rng, s.keys*heads*dh, 1)
			v := randValues(rng, s.keys*heads*dh, 1)
			out := make([]float32, len(q))
			scratch := make([]float32, a.ScratchLen())
			d := minTime(o.reps, func() { a.Run(out, q, k, v, scratch) })
			fmt.Fprintf(w, "%s%s_us: %s\n", prefix, s.name, us(d))
		}
	})
}

// rowBench is the command running the given row benchmarks.
func rowBench(name string, benches ...func(o benchOptions, w io.Writer, prefix string)) func([]string, io.Writer) error {
	return func(args []string, w io.Writer) error {
		o, err := parseBenchFlags(name, args)
		if err != nil {
			return err
		}
		return forLevels(o, func(prefix string) {
			for _, b := range benches {
				b(o, w, prefix)
			}
		})
	}
}

func benchLayerNorm(o benchOptions, w io.Writer, prefix string) {
	rng := rand.New(rand.NewPCG(3, 4))
	x, gamma, beta := randValues(rng, 64*768, 2), randValues(rng, 768, 1), randValues(rng, 768, 1)
	dst := make([]float32, len(x))
	d := minTime(o.reps, func() { kernels.LayerNorm(dst, x, gamma, beta, 1e-6) })
	fmt.Fprintf(w, "%slayernorm_64x768_us: %s\n", prefix, us(d))
}

func benchSoftmax(o benchOptions, w io.Writer, prefix string) {
	rng := rand.New(rand.NewPCG(5, 6))
	x := randValues(rng, 192*197, 4)
	dst := make([]float32, len(x))
	d := minTime(o.reps, func() { kernels.Softmax(dst, x, 197) })
	fmt.Fprintf(w, "%ssoftmax_192x197_us: %s\n", prefix, us(d))
}

func benchSparsemax(o benchOptions, w io.Writer, prefix string) {
	rng := rand.New(rand.NewPCG(5, 6))
	x := randValues(rng, 192*197, 4)
	dst, scratch := make([]float32, len(x)), make([]float32, 197)
	d := minTime(o.reps, func() { kernels.Sparsemax(dst, x, 197, scratch) })
	fmt.Fprintf(w, "%ssparsemax_192x197_us: %s\n", prefix, us(d))
}

func elementwiseBench(name string, f func(dst, x []float32)) func(o benchOptions, w io.Writer, prefix string) {
	return func(o benchOptions, w io.Writer, prefix string) {
		rng := rand.New(rand.NewPCG(7, 8))
		x := randValues(rng, 64*3072, 4)
		dst := make([]float32, len(x))
		d := minTime(o.reps, func() { f(dst, x) })
		fmt.Fprintf(w, "%s%s_64x3072_us: %s\n", prefix, name, us(d))
	}
}
