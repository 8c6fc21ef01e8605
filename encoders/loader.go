package encoders

import (
	"fmt"
	"slices"

	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/runtime"
	"github.com/vlmrt/vlmrt/weights"
)

// loader reads and packs an encoder's weights from a file whose tensor
// names are PyTorch state_dict keys. The first error sticks, so a tower's
// constructor reads every weight and checks err once.
type loader struct {
	f         *weights.File
	err       error
	packed    int               // bytes the model keeps
	precision kernels.Precision // of the layers' products (Quantize)
}

// A LoadOption adjusts Load, New, LoadDLCLIP and NewDLCLIP.
type LoadOption func(*loader)

// Quantize packs the encoder's linear layers at precision p: with
// kernels.Int8 (heads.Int8 is the same value) every linear layer of the
// transformer layers and the projections holds int8 weights with a
// float32 scale per output column, and quantizes its input rows per call.
// The patch embedding (it reads the pixels), the norms, the embedding
// tables and attention stay float32.
func Quantize(p kernels.Precision) LoadOption { return func(l *loader) { l.precision = p } }

func newLoader(f *weights.File, opts []LoadOption) *loader {
	l := &loader{f: f}
	for _, o := range opts {
		o(l)
	}
	return l
}

func (l *loader) fail(err error) {
	if l.err == nil {
		l.err = err
	}
}

// read returns the tensor name, which must have the given shape, as a view
// of the file (or a converted copy); nil after an error.
func (l *loader) read(name string, shape ...int) []float32 {
	if l.err != nil {
		return nil
	}
	info, ok := l.f.Info(name)
	if !ok {
		l.fail(fmt.Errorf("%s: %w: %q", l.f.Name(), weights.ErrNotFound, name))
		return nil
	}
	if !slices.Equal(info.Shape, shape) {
		l.fail(fmt.Errorf("%s: %w: tensor %q: shape %v, want %v", l.f.Name(), weights.ErrShape, name, info.Shape, shape))
		return nil
	}
	v, err := l.f.Float32(name)
	if err != nil {
		l.fail(err)
		return nil
	}
	return v
}

// vec reads a tensor and copies it, so that it outlives the file.
func (l *loader) vec(name string, shape ...int) []float32 {
	v := l.read(name, shape...)
	if v == nil {
		return make([]float32, prod(shape))
	}
	out := append([]float32(nil), v...)
	l.f.Release(name)
	l.packed += 4 * len(out)
	return out
}

func prod(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// linear packs the torch Linears at the given prefixes (weight [out, in],
// bias [out] when withBias), which read the same input, as one product
// whose outputs lie side by side in the order given: q, k and v as one
// [in, 3*out] product.
func (l *loader) linear(prefixes []string, in, out int, withBias bool) *kernels.PackedWeights {
	n := out * len(prefixes)
	var w, bias []float32
	if len(prefixes) == 1 {
		w = l.read(prefixes[0]+".weight", out, in)
	} else {
		w = make([]float32, 0, n*in)
		for _, p := range prefixes {
			w = append(w, l.read(p+".weight", out, in)...)
		}
	}
	if withBias {
		bias = make([]float32, 0, n)
		for _, p := range prefixes {
			bias = append(bias, l.read(p+".bias", out)...)
		}
	}
	packed := l.pack(l.precision, w, n, in, bias, prefixes[0])
	for _, p := range prefixes {
		l.f.Release(p + ".weight")
		l.f.Release(p + ".bias")
	}
	return packed
}

// pack packs w [n, k] (a torch weight) with bias at precision prec; an
// empty matrix after an error.
func (l *loader) pack(prec kernels.Precision, w []float32, n, k int, bias []float32, name string) *kernels.PackedWeights {
	if l.err != nil {
		w, bias, n, k = nil, nil, 0, 0
	}
	p, err := kernels.PackNKAs(prec, w, n, k, bias)
	if err != nil {
		l.fail(fmt.Errorf("%s: %s: %w", l.f.Name(), name, err))
		p, _ = kernels.PackNK(nil, 0, 0, nil)
	}
	l.f.Release(name + ".weight")
	l.packed += p.Bytes()
	return p
}

// layerNorm reads a torch LayerNorm at prefix.
func (l *loader) layerNorm(prefix string, d int, eps float32) runtime.Norm {
	return runtime.Norm{Gamma: l.vec(prefix+".weight", d), Beta: l.vec(prefix+".bias", d), Eps: eps}
}
