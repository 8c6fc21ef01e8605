package kernels

import (
	"fmt"
	"sync"
)

// Activation is an elementwise function applied to a matrix product's output
// in the same pass that adds the bias (the epilogue).
type Activation uint8

// The activations a product's epilogue can apply (SPEC.md section 2).
const (
	ActNone      Activation = iota // identity
	ActGELU                        // 0.5 x (1 + erf(x / sqrt 2)), exact
	ActSiLU                        // x sigmoid(x)
	ActSigmoid                     // 1 / (1 + exp(-x))
	ActQuickGELU                   // x sigmoid(1.702 x), OpenAI CLIP's "quick_gelu"
	ActGELUTanh                    // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), "gelu_pytorch_tanh"
)

// lastActivation is the highest Activation value.
const lastActivation = ActGELUTanh

// String returns the activation's Keras name.
func (a Activation) String() string {
	switch a {
	case ActNone:
		return "linear"
	case ActGELU:
		return "gelu"
	case ActSiLU:
		return "silu"
	case ActSigmoid:
		return "sigmoid"
	case ActQuickGELU:
		return "quick_gelu"
	case ActGELUTanh:
		return "gelu_pytorch_tanh"
	}
	return fmt.Sprintf("Activation(%d)", uint8(a))
}

// Apply computes dst[i] = a(x[i]); dst and x may be the same slice.
func (a Activation) Apply(dst, x []float32) {
	switch a {
	case ActNone:
		copy(dst, x)
	case ActGELU:
		GELU(dst, x)
	case ActSiLU:
		SiLU(dst, x)
	case ActSigmoid:
		Sigmoid(dst, x)
	case ActQuickGELU:
		gatedSigmoid(dst, x, 1.702, 0)
	case ActGELUTanh:
		// 0.5 (1 + tanh z) = sigmoid(2 z)
		const c = 2 * 0.7978845608028654 // 2 sqrt(2/pi)
		gatedSigmoid(dst, x, c, c*0.044715)
	default:
		panic("kernels: unknown activation " + a.String())
	}
}

// gatedChunk is how many values gatedSigmoid stages at a time, in a
// scratch that stays in L1.
const gatedChunk = 256

// gatedScratch holds gatedSigmoid's scratch: a stack array would escape
// through the row kernels' function values, and the pool serves a run's
// calls without allocating.
var gatedScratch = sync.Pool{New: func() any { return new([gatedChunk]float32) }}

// gatedSigmoid computes dst[i] = x sigmoid(a x + c x^3) for x = x[i] with
// the vector kernels of the active level (Mul, Scale, AddScaled, Sigmoid),
// a chunk at a time; dst and x may be the same slice.
func gatedSigmoid(dst, x []float32, a, c float32) {
	if len(dst) < len(x) {
		panic("kernels: activation: dst shorter than x")
	}
	buf := gatedScratch.Get().(*[gatedChunk]float32)
	defer gatedScratch.Put(buf)
	scratch := buf[:]
	for off := 0; off < len(x); off += gatedChunk {
		xs := x[off:min(off+gatedChunk, len(x))]
		g := scratch[:len(xs)]
		if c == 0 {
			Scale(g, xs, a)
		} else {
			Mul(g, xs, xs)      // x^2
			Mul(g, g, xs)       // x^3
			Scale(g, g, c)      // c x^3
			AddScaled(g, a, xs) // a x + c x^3
		}
		Sigmoid(g, g)
		Mul(dst[off:off+len(xs)], xs, g)
	}
}
