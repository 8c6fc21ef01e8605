package kernels

import "fmt"

// Precision is how a product's weights are stored and multiplied.
type Precision uint8

const (
	// Float32 packs weights as float32 (PackKN, PackNK): products exact to
	// float32 rounding.
	Float32 Precision = iota
	// Int8 packs weights as int8 with a float32 scale per output column
	// (QuantizeKN, QuantizeNK, PackInt8KN); each call quantizes the rows
	// of A to 8 bits and sums in int32.
	Int8
)

// String returns "float32" or "int8".
func (p Precision) String() string {
	switch p {
	case Float32:
		return "float32"
	case Int8:
		return "int8"
	}
	return fmt.Sprintf("Precision(%d)", uint8(p))
}

// ParsePrecision parses the names String returns.
func ParsePrecision(s string) (Precision, error) {
	switch s {
	case "float32", "f32", "":
		return Float32, nil
	case "int8", "i8":
		return Int8, nil
	}
	return Float32, fmt.Errorf("kernels: unknown precision %q (want float32 or int8)", s)
}

// PackKNAs packs W (K x N, row-major) at precision p: PackKN or QuantizeKN.
func PackKNAs(p Precision, w []float32, k, n int, bias []float32) (*PackedWeights, error) {
	if p == Int8 {
		return QuantizeKN(w, k, n, bias)
	}
	return PackKN(w, k, n, bias)
}

// PackNKAs packs W (N x K, row-major) at precision p: PackNK or QuantizeNK.
func PackNKAs(p Precision, w []float32, n, k int, bias []float32) (*PackedWeights, error) {
	if p == Int8 {
		return QuantizeNK(w, n, k, bias)
	}
	return PackNK(w, n, k, bias)
}
