package kernels

import "fmt"

// Activation is an elementwise function applied to a matrix product's output
// in the same pass that adds the bias (the epilogue).
type Activation uint8

// The activations a product's epilogue can apply (SPEC.md section 2).
const (
	ActNone    Activation = iota // identity
	ActGELU                      // 0.5 x (1 + erf(x / sqrt 2)), exact
	ActSiLU                      // x sigmoid(x)
	ActSigmoid                   // 1 / (1 + exp(-x))
)

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
	default:
		panic("kernels: unknown activation " + a.String())
	}
}
