package weights

import "fmt"

// DType is the element type of a tensor. The zero value is no dtype.
type DType uint8

// The element types read and written. SPEC.md section 1 lists F32, F16,
// BF16, I8 and F64 for weights; I32 and I64 are this runtime's extension
// for integer outputs such as generated tokens.
const (
	F32  DType = iota + 1 // IEEE 754 binary32
	F16                   // IEEE 754 binary16, converted to F32 on load
	BF16                  // bfloat16 (the top half of a binary32), converted to F32 on load
	I8                    // signed 8-bit integer, used by quantised kernels
	F64                   // IEEE 754 binary64, converted to F32 on load
	I32                   // signed 32-bit integer
	I64                   // signed 64-bit integer, converted to I32 with a range check
	numDTypes
)

var dtypeNames = [numDTypes]string{F32: "F32", F16: "F16", BF16: "BF16", I8: "I8", F64: "F64", I32: "I32", I64: "I64"}

var dtypeSizes = [numDTypes]int{F32: 4, F16: 2, BF16: 2, I8: 1, F64: 8, I32: 4, I64: 8}

// String returns the dtype's name as the safetensors header spells it
// ("F32", "BF16", ...).
func (d DType) String() string {
	if d > 0 && d < numDTypes {
		return dtypeNames[d]
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

// Size returns the size of one element in bytes, or 0 for an invalid dtype.
func (d DType) Size() int {
	if d < numDTypes {
		return dtypeSizes[d]
	}
	return 0
}

// Valid reports whether d is one of the dtypes above.
func (d DType) Valid() bool { return d > 0 && d < numDTypes }

// ParseDType returns the dtype that the safetensors header names s. It
// returns false for a name this package does not read (such as "U8" or
// "F8_E4M3").
func ParseDType(s string) (DType, bool) {
	for d := F32; d < numDTypes; d++ {
		if dtypeNames[d] == s {
			return d, true
		}
	}
	return 0, false
}
