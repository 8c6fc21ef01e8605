package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/vlmrt/vlmrt/encoders"
	"github.com/vlmrt/vlmrt/heads"
	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/weights"
)

func init() {
	commands["quantize"] = command{"write an int8 copy of a model file: quantize IN OUT", runQuantize}
}

// runQuantize writes IN with every Dense kernel (a rank-2 float tensor
// named ".../kernel") as I8 with its per-column ".scale" (SPEC.md 1), the
// way heads.Quantize(heads.Int8) quantizes at load, and every other tensor
// and the metadata as they are. It prints each kernel's error, then checks
// that the new file builds.
func runQuantize(args []string, w io.Writer) error {
	fs := newFlags("quantize", "IN OUT")
	if err := parseFlags(fs, args, 2); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return fmt.Errorf("want an input and an output file (%s)", fs.usage())
	}
	in, out := fs.Arg(0), fs.Arg(1)
	f, err := weights.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	wr := weights.NewWriter()
	for k, v := range f.Metadata() {
		wr.SetMetadata(k, v)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "kernel\tshape\trelative error\tmax abs error")
	var before, after, kernelCount int
	for _, info := range f.Tensors() {
		name := info.Name
		before += int(info.Size)
		if !quantizable(info) {
			if err := copyTensor(wr, f, info); err != nil {
				return err
			}
			after += int(info.Size)
			continue
		}
		w32, err := f.Float32(name)
		if err != nil {
			return err
		}
		k, n := info.Shape[0], info.Shape[1]
		q, scale, err := kernels.QuantizeColumns(w32, k, n)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", in, name, err)
		}
		raw := make([]byte, len(q))
		for i, v := range q {
			raw[i] = byte(v)
		}
		if err := wr.Add(name, weights.I8, info.Shape, raw); err != nil {
			return err
		}
		if err := wr.AddFloat32(name+weights.ScaleSuffix, []int{n}, scale); err != nil {
			return err
		}
		after += len(raw) + 4*len(scale)
		kernelCount++
		rel, maxAbs := quantizationError(w32, q, scale)
		fmt.Fprintf(tw, "%s\t%v\t%.2e\t%.2e\n", name, info.Shape, rel, maxAbs)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if kernelCount == 0 {
		return fmt.Errorf("%s: no float Dense kernel (a rank-2 tensor named .../kernel) to quantize", in)
	}
	if err := wr.WriteFile(out); err != nil {
		return err
	}
	fmt.Fprintf(w, "%d kernels quantized; tensors %d -> %d bytes (%.2fx smaller)\n", kernelCount, before, after, float64(before)/float64(after))
	check, err := weights.Open(out)
	if err != nil {
		return err
	}
	defer check.Close()
	if check.Metadata()["class_name"] == encoders.ClassDLCLIP {
		_, err = encoders.NewDLCLIP(check)
	} else {
		_, err = heads.New(check)
	}
	if err != nil {
		return fmt.Errorf("%s does not build: %w", out, err)
	}
	fmt.Fprintf(w, "wrote %s: ok\n", out)
	return nil
}

// quantizable reports whether a tensor is a float Dense kernel.
func quantizable(info weights.TensorInfo) bool {
	switch info.DType {
	case weights.F32, weights.F16, weights.BF16, weights.F64:
	default:
		return false
	}
	return len(info.Shape) == 2 && strings.HasSuffix(info.Name, "/kernel")
}

// copyTensor adds info's tensor to wr as it is stored.
func copyTensor(wr *weights.Writer, f *weights.File, info weights.TensorInfo) error {
	_, raw, err := f.Bytes(info.Name)
	if err != nil {
		return err
	}
	return wr.Add(info.Name, info.DType, info.Shape, raw)
}

// quantizationError returns ||W - Q*s|| / ||W|| (Frobenius) and the largest
// |W - Q*s| of a kernel and its int8 form.
func quantizationError(w []float32, q []int8, scale []float32) (rel, maxAbs float64) {
	n := len(scale)
	var num, den float64
	for i, v := range w {
		d := float64(v) - float64(q[i])*float64(scale[i%n])
		num += d * d
		den += float64(v) * float64(v)
		maxAbs = math.Max(maxAbs, math.Abs(d))
	}
	if den > 0 {
		rel = math.Sqrt(num / den)
	}
	return rel, maxAbs
}
