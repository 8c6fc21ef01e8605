package main

import (
	"fmt"
	"io"
	"io/fs"
	"math"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/vlmrt/vlmrt"
	"github.com/vlmrt/vlmrt/generate"
	"github.com/vlmrt/vlmrt/heads"
	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/parallel"
	"github.com/vlmrt/vlmrt/runtime"
	"github.com/vlmrt/vlmrt/weights"
)

func init() {
	commands["demo"] = command{"run the embedded demo heads and check them against Keras", runDemo}
}

// runDemo runs the embedded shapes model on its demo images (captions,
// answers, boxes and matches against what each image shows), then every
// embedded reference head, with its agreement with the Keras or NumPy
// outputs stored beside its inputs and its latency. It fails if any head
// disagrees with its reference.
func runDemo(args []string, w io.Writer) error {
	fset := newFlags("demo", "[--out DIR] [--verbose] [--threads T] [--isa L]")
	out := fset.String("out", "", "write each demo image with its predicted box (red) and the true one (green) to DIR")
	verbose := fset.Bool("verbose", false, "print every output of every reference head")
	machine := addMachineFlags(fset, 1)
	if err := parseFlags(fset, args, 0); err != nil {
		return err
	}
	if err := machine.apply(); err != nil {
		return err
	}
	keras, err := fs.Glob(vlmrt.DemoModels, vlmrt.KerasDir+"/*.safetensors")
	if err != nil {
		return err
	}
	reference, err := fs.Glob(vlmrt.DemoModels, vlmrt.ReferenceDir+"/*.safetensors")
	if err != nil {
		return err
	}
	pool := machine.pool()
	defer pool.Close()
	fmt.Fprintf(w, "vlmrt demo: kernel level %s, %d thread(s)\n\n", kernels.Active(), pool.Threads())
	if err := demoShapes(w, pool, *out); err != nil {
		return fmt.Errorf("shapes model: %w", err)
	}
	detail := io.Discard
	if *verbose {
		detail = w
	}
	fmt.Fprintf(w, "== %d heads of dl_techniques against their Keras outputs, then %d cases of the NumPy reference (tools/)\n", len(keras), len(reference))
	if !*verbose {
		fmt.Fprintln(w, "   (--verbose prints every output)")
	}
	fmt.Fprintln(w)
	failed, total := 0, 0
	for _, name := range append(keras, reference...) {
		run := demoOne
		if strings.HasPrefix(path.Base(name), "generation_") {
			run = demoGeneration
		}
		var buf strings.Builder
		ok, err := run(io.MultiWriter(detail, &buf), name, pool)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		total++
		state := "agrees"
		if !ok {
			failed++
			state = "DISAGREES"
		}
		if !*verbose {
			first, _, _ := strings.Cut(buf.String(), "\n")
			fmt.Fprintf(w, "  %-52s %s\n", first, state)
		}
	}
	if !*verbose {
		fmt.Fprintln(w)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d cases disagree with their reference", failed, total)
	}
	fmt.Fprintf(w, "all %d cases agree with their reference (SPEC.md: 1e-4 relative; tokens exactly)\n", total)
	return nil
}

// openDemo parses an embedded case and builds its model and inputs.
func openDemo(name string) (*weights.File, *heads.Model, heads.Inputs, error) {
	data, err := vlmrt.DemoModels.ReadFile(name)
	if err != nil {
		return nil, nil, heads.Inputs{}, err
	}
	f, err := weights.Parse(data, path.Base(name))
	if err != nil {
		return nil, nil, heads.Inputs{}, err
	}
	m, err := heads.New(f, heads.Quantize(heads.Float32)) // SPEC.md 2: float math, I8 kernels dequantized
	if err != nil {
		return nil, nil, heads.Inputs{}, err
	}
	in, err := heads.ReadInputs(f)
	return f, m, in, err
}

func demoOne(w io.Writer, name string, pool *parallel.Pool) (bool, error) {
	f, m, in, err := openDemo(name)
	if err != nil {
		return false, err
	}
	plan, err := m.Compile(in.Shapes)
	if err != nil {
		return false, err
	}
	s := plan.NewSession(runtime.WithPool(pool))
	if err := in.Fill(s); err != nil {
		return false, err
	}
	latency := timeRuns(s)
	fmt.Fprintf(w, "%s  (%s)\n", strings.TrimSuffix(path.Base(name), ".safetensors"), m.Class())
	for _, line := range m.Describe() {
		fmt.Fprintf(w, "  %s\n", line)
	}
	ok := true
	for _, spec := range plan.Outputs() {
		got, _ := s.Output(spec.Name)
		want, err := f.Float32(heads.OutputPrefix + spec.Name)
		if err != nil {
			return false, err
		}
		maxErr, bound := agreement(got, want)
		verdict := "ok"
		if maxErr > bound {
			verdict, ok = "DISAGREES", false
		}
		fmt.Fprintf(w, "  %-28s %-12s %-40s max|err| %.1e %s\n", spec.Name, fmt.Sprint(spec.Shape), headline(spec, got), maxErr, verdict)
	}
	fmt.Fprintf(w, "  latency p50 %.3f ms, arena %d KiB, packed weights %d KiB\n\n",
		latency, plan.ArenaBytes()>>10, m.PackedBytes()>>10)
	return ok, nil
}

// timeRuns returns the median time of a run in milliseconds.
func timeRuns(s *runtime.Session) float64 {
	s.Run()
	times := make([]float64, 0, 64)
	deadline := time.Now().Add(50 * time.Millisecond)
	for len(times) < 5 || len(times) < cap(times) && time.Now().Before(deadline) {
		start := time.Now()
		s.Run()
		times = append(times, float64(time.Since(start).Nanoseconds())/1e6)
	}
	slices.Sort(times)
	return times[len(times)/2]
}

// agreement returns the largest absolute difference and SPEC.md 2's bound.
func agreement(got, want []float32) (maxErr, bound float64) {
	var maxRef float64
	for i := range want {
		maxRef = max(maxRef, math.Abs(float64(want[i])))
		maxErr = max(maxErr, math.Abs(float64(got[i])-float64(want[i])))
	}
	return maxErr, 1e-4 * max(1, maxRef)
}

// headline summarises an output for a person: the arg-max of logits, the
// box of the first image, or the first values.
func headline(spec runtime.TensorSpec, v []float32) string {
	key := spec.Name[strings.LastIndexByte(spec.Name, '.')+1:]
	last := spec.Shape[len(spec.Shape)-1]
	switch key {
	case "logits", "answer_logits":
		if key == "logits" && len(spec.Shape) == 2 && spec.Shape[0] == spec.Shape[1] {
			break // the matching head's similarity logits
		}
		var ids []string
		for off := 0; off+last <= len(v) && len(ids) < 8; off += last {
			ids = append(ids, fmt.Sprint(argmax(v[off:off+last])))
		}
		return "argmax " + strings.Join(ids, " ")
	case "bbox":
		return fmt.Sprintf("box %.2f", v[:4])
	case "confidence":
		return fmt.Sprintf("best region %d (%.2f)", argmax(v[:last]), v[argmax(v[:last])])
	}
	n := min(len(v), 3)
	return fmt.Sprintf("%.3f", v[:n])
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// demoGeneration decodes a generation case greedily and with beam search
// and compares the tokens with the reference's.
func demoGeneration(w io.Writer, name string, _ *parallel.Pool) (bool, error) {
	f, m, in, err := openDemo(name)
	if err != nil {
		return false, err
	}
	cfg, _ := m.Generation()
	g, err := m.NewGenerator(in.Shapes, heads.MaxLength(cfg.MaxLength), heads.Beam(cfg.BeamSize))
	if err != nil {
		return false, err
	}
	fmt.Fprintf(w, "%s  (%s, text generation)\n", strings.TrimSuffix(path.Base(name), ".safetensors"), m.Class())
	ok := true
	for _, mode := range []struct {
		key  string
		beam int
	}{{"greedy", 1}, {"beam3", 3}} {
		o := generate.Options{BOS: cfg.BOS, EOS: cfg.EOS, MaxLength: cfg.MaxLength, Beam: mode.beam}
		start := time.Now()
		results, err := g.Generate(in, o)
		if err != nil {
			return false, err
		}
		elapsed := time.Since(start)
		tokens, _ := generate.Pad(results, cfg.EOS, cfg.MaxLength)
		want, err := f.Int32("output." + mode.key + ".tokens")
		if err != nil {
			return false, err
		}
		verdict := "ok"
		if !slices.Equal(tokens, want) {
			verdict, ok = "DISAGREES", false
		}
		for i, r := range results {
			fmt.Fprintf(w, "  %-7s image %d: %v\n", mode.key, i, r.Tokens)
		}
		fmt.Fprintf(w, "  %-7s tokens %s, %.3f ms for %d sequences\n", mode.key, verdict, float64(elapsed.Microseconds())/1e3, len(results))
	}
	fmt.Fprintln(w)
	return ok, nil
}
