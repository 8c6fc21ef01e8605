package main

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	goruntime "runtime"
	"slices"
	"strings"
	"time"

	"github.com/vlmrt/vlmrt/encoders"
	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/parallel"
	"github.com/vlmrt/vlmrt/runtime"
	"github.com/vlmrt/vlmrt/weights"
)

// benchModel measures a whole head: "vlmrt bench --model M --inputs I".
func benchModel(args []string, w io.Writer) error {
	fs := newFlags("bench", "--model M [--inputs I] [--task T] [--runs N] [--quantize int8] [--threads T] [--isa L]\n"+
		"       vlmrt bench KERNEL [flags] (KERNEL: "+strings.Join(benchKernelNames(), ", ")+"; vlmrt bench KERNEL -h)")
	model := fs.String("model", "", "model file (safetensors)")
	inputs := fs.String("inputs", "", "file with the input.<key> tensors (default: the model file)")
	task := fs.String("task", "", "task of a multi-task head (default: all)")
	runs := fs.Int("runs", 100, "measured runs")
	machine := addMachineFlags(fs, 1)
	quantize := addQuantizeFlag(fs)
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	precision, err := quantize.precision()
	if err != nil {
		return err
	}
	if *model == "" {
		return errors.New("--model is required (or a kernel: bench matmul ...)")
	}
	if *inputs == "" {
		*inputs = *model
	}
	if *runs < 1 {
		return fmt.Errorf("--runs must be positive, got %d", *runs)
	}
	var (
		class               string
		s                   *runtime.Session
		pool                *parallel.Pool
		weightBytes, packed int
	)
	if st, err := os.Stat(*model); err == nil && st.IsDir() {
		if *inputs == *model {
			*inputs = ""
		}
		var opts []encoders.LoadOption
		if precision != nil {
			opts = append(opts, encoders.Quantize(*precision))
		}
		e, es, p, err := openEncoderSession(*model, *inputs, machine, opts)
		if err != nil {
			return err
		}
		class, s, pool, packed = "encoder "+e.Config().Family.String()+" ("+strings.Join(e.Towers(), ", ")+")", es, p, e.PackedBytes()
		weightBytes = packed
	} else {
		opts, _ := quantize.headOptions()
		m, hs, p, err := openSession(*model, *inputs, *task, machine, opts)
		if err != nil {
			return err
		}
		class, s, pool, weightBytes, packed = m.Class(), hs, p, m.WeightBytes(), m.PackedBytes()
	}
	defer pool.Close()
	plan := s.Plan()
	for range 3 { // warm caches and the pool
		s.Run()
	}
	times := make([]float64, *runs)
	for i := range times {
		start := time.Now()
		s.Run()
		times[i] = float64(time.Since(start).Nanoseconds()) / 1e6
	}
	slices.Sort(times)
	allocs := allocsPerRun(s.Run, min(*runs, 100))
	fmt.Fprintf(w, "model: %s\n", *model)
	fmt.Fprintf(w, "class: %s\n", class)
	fmt.Fprintf(w, "level: %s\n", kernels.Active())
	fmt.Fprintf(w, "threads: %d\n", pool.Threads())
	fmt.Fprintf(w, "runs: %d\n", *runs)
	fmt.Fprintf(w, "p50_ms: %.4f\n", percentile(times, 0.5))
	fmt.Fprintf(w, "p90_ms: %.4f\n", percentile(times, 0.9))
	fmt.Fprintf(w, "min_ms: %.4f\n", times[0])
	fmt.Fprintf(w, "allocs_per_run: %g\n", allocs)
	fmt.Fprintf(w, "arena_bytes: %d\n", plan.ArenaBytes())
	fmt.Fprintf(w, "weights_bytes: %d\n", weightBytes)
	fmt.Fprintf(w, "packed_bytes: %d\n", packed)
	if rss, ok := peakRSS(); ok {
		fmt.Fprintf(w, "peak_rss_bytes: %d\n", rss)
	}
	return nil
}

// percentile returns the q-quantile of sorted values (nearest rank).
func percentile(sorted []float64, q float64) float64 {
	i := int(q*float64(len(sorted)) + 0.5)
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}

// allocsPerRun counts the heap allocations of n calls of run, as
// testing.AllocsPerRun does: with GOMAXPROCS at 1, so that the runtime's own
// background work does not count.
func allocsPerRun(run func(), n int) float64 {
	defer goruntime.GOMAXPROCS(goruntime.GOMAXPROCS(1))
	run() // warm per-P caches after the change of GOMAXPROCS
	var before, after goruntime.MemStats
	goruntime.ReadMemStats(&before)
	for range n {
		run()
	}
	goruntime.ReadMemStats(&after)
	return float64(after.Mallocs-before.Mallocs) / float64(n)
}

// openEncoderSession loads the encoder directory dir and compiles one plan
// for the inputs in the file inputs (input.pixel_values [B, C, H, W] and/or
// input.input_ids [B, T]; both give one plan running both towers), or, with
// no inputs file, the vision tower on one random image (the text tower on
// one random sequence of its full context when it has no vision tower).
func openEncoderSession(dir, inputs string, machine machineFlags, opts []encoders.LoadOption) (*encoders.Model, *runtime.Session, *parallel.Pool, error) {
	if err := machine.apply(); err != nil {
		return nil, nil, nil, err
	}
	m, err := encoders.Load(dir, opts...)
	if err != nil {
		return nil, nil, nil, err
	}
	values := map[string][]float32{}
	shapes := map[string][]int{}
	if inputs != "" {
		f, err := weights.Open(inputs)
		if err != nil {
			return nil, nil, nil, err
		}
		defer f.Close()
		for _, name := range []string{encoders.InputPixels, encoders.InputIDs} {
			info, ok := f.Info("input." + name)
			if !ok {
				continue
			}
			shapes[name] = info.Shape
			if name == encoders.InputIDs {
				ids, err := f.Int32("input." + name)
				if err != nil {
					return nil, nil, nil, err
				}
				v := make([]float32, len(ids))
				for i, id := range ids {
					v[i] = float32(id)
				}
				if err := m.CheckIDs(v); err != nil {
					return nil, nil, nil, fmt.Errorf("%s: %w", inputs, err)
				}
				values[name] = v
			} else if values[name], err = f.Float32("input." + name); err != nil {
				return nil, nil, nil, err
			}
		}
		if len(shapes) == 0 {
			return nil, nil, nil, fmt.Errorf("%s: no input.%s or input.%s", inputs, encoders.InputPixels, encoders.InputIDs)
		}
	} else if c := m.Config(); m.HasVision() {
		shapes[encoders.InputPixels] = []int{1, c.Vision.Channels, c.Vision.ImageSize, c.Vision.ImageSize}
	} else {
		shapes[encoders.InputIDs] = []int{1, c.Text.MaxPositions}
	}
	b := runtime.NewBuilder()
	for _, name := range []string{encoders.InputPixels, encoders.InputIDs} {
		shape, ok := shapes[name]
		if !ok {
			continue
		}
		var out map[string]runtime.Tensor
		if name == encoders.InputPixels {
			out, err = m.BuildVision(b, b.Input(name, shape...))
		} else {
			out, err = m.BuildText(b, b.Input(name, shape...))
		}
		if err != nil {
			return nil, nil, nil, err
		}
		for k, t := range out {
			b.Output(name+"."+k, t)
		}
	}
	plan, err := b.Compile()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", dir, err)
	}
	pool := machine.pool()
	s := plan.NewSession(runtime.WithPool(pool))
	r := rand.New(rand.NewPCG(1, 2))
	for name := range shapes {
		dst, _ := s.Input(name)
		if v, ok := values[name]; ok {
			copy(dst, v)
			continue
		}
		for i := range dst {
			if name == encoders.InputIDs {
				dst[i] = float32(r.IntN(m.Config().Text.Vocab))
			} else {
				dst[i] = float32(r.NormFloat64())
			}
		}
	}
	return m, s, pool, nil
}
