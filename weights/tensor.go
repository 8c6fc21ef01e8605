package weights

import (
	"encoding/binary"
	"math"
	"slices"
	"unsafe"
)

// ScaleSuffix is appended to an I8 kernel's name to name its per-column
// scales (SPEC.md section 1: "<kernel path>.scale", F32 [out]).
const ScaleSuffix = ".scale"

// littleEndian reports whether this machine stores numbers as the file
// does, so that tensor bytes can be viewed in place.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// Float32 returns a tensor's elements as float32, in row-major order.
//
//   - F32: a zero-copy view of the file when its bytes are 4-byte aligned
//     (always, for files written by Writer); a copy otherwise.
//   - F16, BF16, F64: a converted copy (F64 rounds to nearest).
//   - I8 with a "<name>.scale" F32 sibling whose length is the last
//     dimension: the dequantised copy, w[i, j] = q[i, j] * scale[j].
//
// Any other dtype is an error wrapping ErrDType; a missing tensor one
// wrapping ErrNotFound.
func (f *File) Float32(name string) ([]float32, error) {
	t, b, err := f.lookup(name)
	if err != nil {
		return nil, err
	}
	switch t.DType {
	case F32:
		if v, ok := viewF32(b); ok {
			return v, nil
		}
		out := make([]float32, len(b)/4)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return out, nil
	case F16:
		out := make([]float32, len(b)/2)
		convertF16(out, b)
		return out, nil
	case BF16:
		out := make([]float32, len(b)/2)
		convertBF16(out, b)
		return out, nil
	case F64:
		out := make([]float32, len(b)/8)
		convertF64(out, b)
		return out, nil
	case I8:
		if !f.Has(name + ScaleSuffix) {
			return nil, f.errorf(ErrDType, name, "I8 tensor has no %s sibling to dequantise it with", quote(name+ScaleSuffix))
		}
		q, scale, err := f.Quantized(name)
		if err != nil {
			return nil, err
		}
		out := make([]float32, len(q))
		Dequantize(out, q, scale)
		return out, nil
	}
	return nil, f.errorf(ErrDType, name, "%s tensor cannot be read as float32", t.DType)
}

// Dequantize sets dst[i*len(scale)+j] = float32(q[i*len(scale)+j]) *
// scale[j]: the rows of an I8 kernel [in, out] times its per-column scales.
// len(dst) and len(q) must be equal and a multiple of len(scale).
func Dequantize(dst []float32, q []int8, scale []float32) {
	cols := len(scale)
	if len(dst) != len(q) || (cols == 0 && len(q) != 0) || (cols != 0 && len(q)%cols != 0) {
		panic("weights: Dequantize: length mismatch")
	}
	for r := 0; r < len(q); r += cols {
		row, qrow := dst[r:r+cols], q[r:r+cols]
		for j, s := range scale {
			row[j] = float32(qrow[j]) * s
		}
	}
}

// Int32 returns an I32 tensor's elements (a view when aligned, as for
// Float32) or an I64 tensor's converted to int32; an I64 value outside the
// int32 range is an error wrapping ErrRange. Other dtypes: ErrDType.
func (f *File) Int32(name string) ([]int32, error) {
	t, b, err := f.lookup(name)
	if err != nil {
		return nil, err
	}
	switch t.DType {
	case I32:
		if littleEndian && uintptr(unsafe.Pointer(unsafe.SliceData(b)))%4 == 0 {
			if len(b) == 0 {
				return []int32{}, nil
			}
			return unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/4), nil
		}
		out := make([]int32, len(b)/4)
		for i := range out {
			out[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return out, nil
	case I64:
		out := make([]int32, len(b)/8)
		for i := range out {
			v := int64(binary.LittleEndian.Uint64(b[8*i:]))
			if v < math.MinInt32 || v > math.MaxInt32 {
				return nil, f.errorf(ErrRange, name, "element %d is %d, outside the int32 range", i, v)
			}
			out[i] = int32(v)
		}
		return out, nil
	}
	return nil, f.errorf(ErrDType, name, "%s tensor cannot be read as int32", t.DType)
}

// Int8 returns an I8 tensor's elements: a zero-copy view of the file.
// Other dtypes: ErrDType.
func (f *File) Int8(name string) ([]int8, error) {
	t, b, err := f.lookup(name)
	if err != nil {
		return nil, err
	}
	if t.DType != I8 {
		return nil, f.errorf(ErrDType, name, "%s tensor cannot be read as int8", t.DType)
	}
	if len(b) == 0 {
		return []int8{}, nil
	}
	return unsafe.Slice((*int8)(unsafe.Pointer(unsafe.SliceData(b))), len(b)), nil
}

// Quantized returns a quantised kernel (SPEC.md section 1): the I8 tensor
// name, shaped [in, out] (any rank of at least 1; the last dimension is the
// column), and its per-column scales, the F32 tensor "<name>.scale" of
// shape [out]. Both may be views of the file. A missing scale wraps
// ErrNotFound, a scale of another length ErrShape, other dtypes ErrDType.
func (f *File) Quantized(name string) (q []int8, scale []float32, err error) {
	t, ok := f.Info(name)
	if !ok {
		_, _, err := f.lookup(name) // ErrClosed or ErrNotFound
		return nil, nil, err
	}
	if t.DType != I8 {
		return nil, nil, f.errorf(ErrDType, name, "%s tensor is not a quantised (I8) kernel", t.DType)
	}
	if len(t.Shape) == 0 {
		return nil, nil, f.errorf(ErrShape, name, "quantised kernel is a scalar, want rank 1 or more")
	}
	sname := name + ScaleSuffix
	s, ok := f.Info(sname)
	if !ok {
		return nil, nil, f.errorf(ErrNotFound, sname, "scale of quantised kernel %s not found", quote(name))
	}
	if s.DType != F32 {
		return nil, nil, f.errorf(ErrDType, sname, "scale is %s, want F32", s.DType)
	}
	cols := t.Shape[len(t.Shape)-1]
	if !slices.Equal(s.Shape, []int{cols}) {
		return nil, nil, f.errorf(ErrShape, sname, "shape %v, want [%d] (the last dimension of %v)", s.Shape, cols, t.Shape)
	}
	if q, err = f.Int8(name); err != nil {
		return nil, nil, err
	}
	if scale, err = f.Float32(sname); err != nil {
		return nil, nil, err
	}
	return q, scale, nil
}

// viewF32 returns b as []float32 without copying, if this machine is
// little-endian and b is 4-byte aligned.
func viewF32(b []byte) ([]float32, bool) {
	p := unsafe.SliceData(b)
	if !littleEndian || uintptr(unsafe.Pointer(p))%4 != 0 {
		return nil, false
	}
	if len(b) == 0 {
		return []float32{}, true
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(p)), len(b)/4), true
}
