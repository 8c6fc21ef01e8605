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
	"github.com/vlmrt/vlmrt/heads"
	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/parallel"
	"github.com/vlmrt/vlmrt/runtime"
	"github.com/vlmrt/vlmrt/weights"
)

func init() {
	commands["demo"] = command{"run the embedded demo heads and check them against Keras", runDemo}
}

// runDemo runs every embedded reference head, prints a summary of its
// outputs, its agreement with the Keras outputs stored beside its inputs,
// and its latency. It fails if any head disagrees with Keras.
func runDemo(args []string, w io.Writer) error {
	fset := newFlags("demo")
	machine := addMachineFlags(fset)
	if err := parseFlags(fset, args, 0); err != nil {
		return err
	}
	if err := machine.apply(); err != nil {
		return err
	}
	names, err := fs.Glob(vlmrt.DemoModels, vlmrt.DemoDir+"/*.safetensors")
	if err != nil {
		return err
	}
	pool := machine.pool()
	defer pool.Close()
	fmt.Fprintf(w, "vlmrt demo: %d reference heads of dl_techniques, kernel level %s, %d thread(s)\n\n",
		len(names), kernels.Active(), pool.Threads())
	failed := 0
	for _, name := range names {
		ok, err := demoOne(w, name, pool)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if !ok {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d heads disagree with Keras", failed, len(names))
	}
	fmt.Fprintf(w, "all %d heads agree with Keras within SPEC.md's bound (1e-4 relative)\n", len(names))
	return nil
}

func demoOne(w io.Writer, name string, pool *parallel.Pool) (bool, error) {
	data, err := vlmrt.DemoModels.ReadFile(name)
	if err != nil {
		return false, err
	}
	f, err := weights.Parse(data, path.Base(name))
	if err != nil {
		return false, err
	}
	m, err := heads.New(f)
	if err != nil {
		return false, err
	}
	in, err := heads.ReadInputs(f)
	if err != nil {
		return false, err
	}
	plan, err := m.Compile(in.Shapes, "")
	if err != nil {
		return false, err
	}
	s := plan.NewSession(pool)
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
