package kernels

import (
	"fmt"
	"math"
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

// gatedSigmoid computes dst[i] = x sigmoid(a x + c x^3) for x = x[i] in
// one pass with the active level's row kernel; dst and x may be the same
// slice.
func gatedSigmoid(dst, x []float32, a, c float32) {
	if len(dst) < len(x) {
		panic("kernels: activation: dst shorter than x")
	}
	rowImpl.gatedSigmoid(dst, x, a, c)
}

// gatedSigmoidGeneric is the Go twin: x / (1 + exp(-z)), z = x (a + c x^2),
// in float64 and rounded once, so it is accurate to float32 rounding for
// the float32 a and c it is given. A finite x never gives NaN: where the
// sigmoid saturates the result is x or -0. An infinite x gives NaN where
// 0 * Inf or Inf / Inf appears (c = 0, or -Inf), as SiLU's twin does, and
// as the assembly kernels do.
func gatedSigmoidGeneric(dst, x []float32, a, c float32) {
	a64, c64 := float64(a), float64(c)
	for i, v := range x {
		w := float64(v)
		dst[i] = float32(w / (1 + math.Exp(-w*(a64+c64*w*w))))
	}
}
