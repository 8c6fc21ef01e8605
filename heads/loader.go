package heads

import (
	"fmt"
	"sync/atomic"

	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/runtime"
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
		if withBias {
			if bias == nil { // sized only once a kernel of this width exists
				bias = make([]float32, n)
			}
			copy(bias[p*out:], l.vec(path+"/bias", out))
		}
		if len(paths) == 1 {
			return k, bias
		}
		if w == nil {
			w = make([]float32, in*n)
		}
		for i := 0; i < in; i++ {
			copy(w[i*n+p*out:i*n+(p+1)*out], k[i*out:(i+1)*out])
		}
	}
	return w, bias
}

// pack packs w [in, n] with bias, or an empty matrix after an error.
func (l *loader) pack(w []float32, in, n int, bias []float32, path string) *kernels.PackedWeights {
	if l.err != nil {
		w, bias, in, n = nil, nil, 0, 0
	}
	packed, err := kernels.PackKN(w, in, n, bias)
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
