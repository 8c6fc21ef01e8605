package heads

import (
	"fmt"
	"sync/atomic"

	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/runtime"
	"github.com/vlmrt/vlmrt/weights"
)

// Source is where a head reads its weights: Keras variable paths relative to
// the head's scope. weights.Scope implements it.
type Source interface {
	// Float32 returns the tensor at path, checking its shape when one is
	// given. The slice may alias a mapping that the caller closes later.
	Float32(path string, shape ...int) ([]float32, error)
	// Has reports whether a tensor exists at path.
	Has(path string) bool
}

// releaser is a Source that can drop a tensor's file pages once it is
// copied or packed (weights.Scope does), so that a model's mapped original
// does not stay resident beside its packed copy.
type releaser interface {
	Release(path string)
}

// done tells the source, when it can, that path will not be read again.
func (l *loader) done(path string) {
	if r, ok := l.src.(releaser); ok {
		r.Release(path)
	}
}

// loader reads and packs a head's weights. The first error sticks, so a
// constructor reads every weight and checks err once.
type loader struct {
	src    Source
	err    error
	packed int // bytes the model keeps: packed matrices and copied vectors
	raw    int // bytes of weights read
	// derived counts the model's weights arranged after loading (nil in a
	// loader that only totals others).
	derived *atomic.Int64
	// precision is how float kernels are packed, and dequantize whether
	// I8 kernels are read as float (Quantize).
	precision  kernels.Precision
	dequantize bool
}

// int8Source is a Source that hands out kernels stored as I8 without
// dequantizing them (weights.Scope is one).
type int8Source interface {
	Info(path string) (weights.TensorInfo, bool)
	Quantized(path string, shape ...int) ([]int8, []float32, error)
}

func (l *loader) fail(err error) {
	if l.err == nil {
		l.err = err
	}
}

// vec reads a vector (or any tensor) of the given shape, copied so that it
// outlives the file's mapping.
func (l *loader) vec(path string, shape ...int) []float32 {
	// After an error the model is discarded: a placeholder of one value
	// keeps callers simple without an allocation sized by the config.
	if l.err != nil {
		return make([]float32, 1)
	}
	v, err := l.src.Float32(path, shape...)
	if err != nil {
		l.fail(err)
		return make([]float32, 1)
	}
	l.raw += 4 * len(v)
	l.packed += 4 * len(v)
	// Copy a chunk at a time, dropping the chunk's file pages as it goes, so
	// that a large table (a token embedding) is never resident twice.
	out := make([]float32, len(v))
	for off := 0; off < len(v); off += copyChunk {
		copy(out[off:], v[off:min(off+copyChunk, len(v))])
		l.done(path)
	}
	if len(v) == 0 {
		l.done(path)
	}
	return out
}

// copyChunk is how many values vec copies between releases of the file's
// pages: 4 MiB.
const copyChunk = 1 << 20

// dense reads a Dense layer at path (kernel [in, out], bias [out] when
// withBias) and packs it.
func (l *loader) dense(path string, in, out int, withBias bool) *kernels.PackedWeights {
	return l.denseConcat([]string{path}, in, out, withBias)
}

// denseConcat packs several Dense layers that read the same input as one,
// their outputs side by side in the order given: e.g. q1 and q2 of
// differential attention as one [in, 2*out] product. A single layer is
// packed straight from the file's view, with no copy in between.
func (l *loader) denseConcat(paths []string, in, out int, withBias bool) *kernels.PackedWeights {
	if q, scale := l.readInt8(paths, in, out); q != nil {
		packed := l.packInt8(q, scale, in, out*len(paths), l.readBias(paths, out, withBias), paths[0])
		l.release(paths)
		return packed
	}
	w, bias := l.readConcat(paths, in, out, withBias)
	packed := l.pack(w, in, out*len(paths), bias, paths[0])
	l.release(paths)
	return packed
}

// denseSplit reads Dense layers as denseConcat does, of a concatenated
// input [x1 | x2] of width 2*half, and packs the rows that read x1 and the
// rows that read x2 apart: concat(x1, x2) W + b = x1 W_top + (x2 W_bottom
// + b). The bias goes with the bottom part.
func (l *loader) denseSplit(paths []string, half, out int, withBias bool) splitDense {
	if q, scale := l.readInt8(paths, 2*half, out); q != nil {
		n := out * len(paths)
		bias := l.readBias(paths, out, withBias)
		s := splitDense{top: l.packInt8(q[:half*n], scale, half, n, nil, paths[0]),
			bottom: l.packInt8(q[half*n:], scale, half, n, bias, paths[0])}
		l.release(paths)
		return s
	}
	w, bias := l.readConcat(paths, 2*half, out, withBias)
	n := out * len(paths)
	var top, bottom []float32
	if l.err == nil {
		top, bottom = w[:half*n], w[half*n:]
	}
	s := splitDense{top: l.pack(top, half, n, nil, paths[0]), bottom: l.pack(bottom, half, n, bias, paths[0])}
	l.release(paths)
	return s
}

// readConcat returns the kernels of paths side by side as one [in, n]
// matrix (a view of the file for a single path) and their biases.
func (l *loader) readConcat(paths []string, in, out int, withBias bool) (w, bias []float32) {
	n := out * len(paths)
	for p, path := range paths {
		if l.err != nil {
			return nil, nil
		}
		k, err := l.src.Float32(path+"/kernel", in, out)
		if err != nil {
			l.fail(err)
			return nil, nil
		}
		l.raw += 4 * len(k)
		if len(paths) == 1 {
			return k, l.readBias(paths, out, withBias)
		}
		if w == nil {
			w = make([]float32, in*n)
		}
		for i := 0; i < in; i++ {
			copy(w[i*n+p*out:i*n+(p+1)*out], k[i*out:(i+1)*out])
		}
	}
	return w, l.readBias(paths, out, withBias)
}

// readBias returns the biases of paths side by side ([len(paths)*out]), or
// nil without bias.
func (l *loader) readBias(paths []string, out int, withBias bool) []float32 {
	if !withBias || l.err != nil {
		return nil
	}
	bias := make([]float32, out*len(paths))
	for p, path := range paths {
		copy(bias[p*out:], l.vec(path+"/bias", out))
	}
	return bias
}

// readInt8 returns the kernels of paths side by side as one int8 [in, n]
// matrix with its column scales when the source stores every one of them
// as I8; nil otherwise (the float path reads them, dequantized).
func (l *loader) readInt8(paths []string, in, out int) ([]int8, []float32) {
	src, ok := l.src.(int8Source)
	if !ok || l.err != nil || l.dequantize {
		return nil, nil
	}
	for _, path := range paths {
		if info, ok := src.Info(path + "/kernel"); !ok || info.DType != weights.I8 {
			return nil, nil
		}
	}
	n := out * len(paths)
	var q []int8
	var scale []float32
	for p, path := range paths {
		k, sc, err := src.Quantized(path+"/kernel", in, out)
		if err != nil {
			l.fail(err)
			return nil, nil
		}
		l.raw += 4 * len(k)
		if len(paths) == 1 {
			return k, sc
		}
		if q == nil {
			q, scale = make([]int8, in*n), make([]float32, n)
		}
		for i := 0; i < in; i++ {
			copy(q[i*n+p*out:i*n+(p+1)*out], k[i*out:(i+1)*out])
		}
		copy(scale[p*out:], sc)
	}
	return q, scale
}

// packInt8 packs an int8 kernel [in, n] with its column scales.
func (l *loader) packInt8(q []int8, scale []float32, in, n int, bias []float32, path string) *kernels.PackedWeights {
	packed, err := kernels.PackInt8KN(q, scale, in, n, bias)
	if err != nil {
		l.fail(fmt.Errorf("%s/kernel: %w", path, err))
		packed, _ = kernels.PackKN(nil, 0, 0, nil)
	}
	l.packed += packed.Bytes()
	return packed
}

// pack packs w [in, n] with bias, or an empty matrix after an error.
func (l *loader) pack(w []float32, in, n int, bias []float32, path string) *kernels.PackedWeights {
	if l.err != nil {
		w, bias, in, n = nil, nil, 0, 0
	}
	packed, err := kernels.PackKNAs(l.precision, w, in, n, bias)
	if err != nil {
		l.fail(fmt.Errorf("%s: %w", path, err))
		packed, _ = kernels.PackKN(nil, 0, 0, nil)
	}
	l.packed += packed.Bytes()
	return packed
}

// release drops the kernels' file pages once they are packed.
func (l *loader) release(paths []string) {
	for _, path := range paths {
		l.done(path + "/kernel")
	}
}

// norm reads a LayerNorm (gamma, beta) or RMSNorm (scale) at path.
func (l *loader) norm(path string, kind normKind, d int) runtime.Norm {
	if kind == rmsNorm {
		return runtime.Norm{Gamma: l.vec(path+"/scale", d), Eps: normEps}
	}
	return runtime.Norm{Gamma: l.vec(path+"/gamma", d), Beta: l.vec(path+"/beta", d), Eps: normEps}
}

// normEps is the epsilon the dl_techniques norm factory sets (SPEC.md 2).
const normEps = 1e-6

type normKind uint8

const (
	layerNorm normKind = iota
	rmsNorm
)

func parseNormKind(c *config, key string) normKind {
	switch s := c.String(key, "layer_norm"); s {
	case "layer_norm":
		return layerNorm
	case "rms_norm":
		return rmsNorm
	default:
		c.fail(key, "unknown normalization %q (want layer_norm or rms_norm)", s)
		return layerNorm
	}
}
