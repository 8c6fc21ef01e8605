package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/vlmrt/vlmrt/heads"
	"github.com/vlmrt/vlmrt/parallel"
	"github.com/vlmrt/vlmrt/runtime"
	"github.com/vlmrt/vlmrt/weights"
)

func init() {
	commands["run"] = command{"run a head: run --model M --inputs I --out O [--task T]", runRun}
}

func runRun(args []string, w io.Writer) error {
	fs := newFlags("run", "--model M --inputs I --out O [--task T] [--quantize int8] [--threads T] [--isa L]")
	model := fs.String("model", "", "model file (safetensors)")
	inputs := fs.String("inputs", "", "file with the input.<key> tensors (may be the model file)")
	out := fs.String("out", "", "file to write the output.<key> tensors to")
	task := fs.String("task", "", "task of a multi-task head (default: all)")
	machine := addMachineFlags(fs, 1)
	quantize := addQuantizeFlag(fs)
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *model == "" || *inputs == "" || *out == "" {
		return errors.New("--model, --inputs and --out are required")
	}
	opts, err := quantize.headOptions()
	if err != nil {
		return err
	}
	_, s, pool, err := openSession(*model, *inputs, *task, machine, opts)
	if err != nil {
		return err
	}
	defer pool.Close()
	s.Run()
	if err := writeOutputs(s, *out); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %d outputs to %s\n", len(s.Plan().Outputs()), *out)
	return nil
}

// openSession selects the kernel level, loads the model, compiles it for
// the shapes of the inputs file and returns a session with the inputs
// filled, and its worker pool (nil for one thread) for the caller to close.
func openSession(model, inputs, task string, machine machineFlags, opts []heads.LoadOption) (*heads.Model, *runtime.Session, *parallel.Pool, error) {
	if err := machine.apply(); err != nil {
		return nil, nil, nil, err
	}
	m, in, err := loadModelAndInputs(model, inputs, opts...)
	if err != nil {
		return nil, nil, nil, err
	}
	plan, err := m.Compile(in.Shapes, heads.ForTask(task))
	if err != nil {
		return nil, nil, nil, err
	}
	pool := machine.pool()
	s := plan.NewSession(runtime.WithPool(pool))
	if err := in.Fill(s); err != nil {
		pool.Close()
		return nil, nil, nil, err
	}
	return m, s, pool, nil
}

// loadModelAndInputs loads the model and reads the inputs file.
func loadModelAndInputs(model, inputs string, opts ...heads.LoadOption) (*heads.Model, heads.Inputs, error) {
	m, err := heads.Load(model, opts...)
	if err != nil {
		return nil, heads.Inputs{}, err
	}
	f, err := weights.Open(inputs)
	if err != nil {
		return nil, heads.Inputs{}, err
	}
	defer f.Close()
	in, err := heads.ReadInputs(f)
	return m, in, err
}

// writeOutputs writes every output of s as F32 tensors "output.<name>".
func writeOutputs(s *runtime.Session, path string) error {
	w := weights.NewWriter()
	for _, spec := range s.Plan().Outputs() {
		v, err := s.Output(spec.Name)
		if err != nil {
			return err
		}
		if err := w.AddFloat32(heads.OutputPrefix+spec.Name, spec.Shape, v); err != nil {
			return err
		}
	}
	return w.WriteFile(path)
}
