package weights

import (
	"encoding/binary"
	"math"
)

// The converters below turn little-endian bytes of one dtype into float32.
// convertF16 and convertBF16 dispatch to assembly where the active kernel
// level has it (convert_amd64.go); the Go twins here are always compiled
// and serve as the reference in tests.

// f16ToF32Go converts len(dst) binary16 values from src (2*len(dst) bytes).
// Subnormals are normalised; infinities keep their sign; NaNs keep their
// payload and become quiet, as the F16C instruction VCVTPH2PS does.
func f16ToF32Go(dst []float32, src []byte) {
	src = src[:2*len(dst)]
	for i := range dst {
		// The normal case is inlined by hand; the rest is out of line.
		h := uint32(binary.LittleEndian.Uint16(src[2*i:]))
		em := h & 0x7fff
		if em-0x0400 < 0x7800 {
			em = em<<13 + (127-15)<<23
		} else {
			em = f16Special(em)
		}
		dst[i] = math.Float32frombits((h&0x8000)<<16 | em)
	}
}

// f16Special returns the binary32 bits (without the sign) of a binary16
// zero, subnormal, infinity or NaN whose exponent and mantissa are em. It
// is kept out of line so that the loop of f16ToF32Go stays small.
//
//go:noinline
func f16Special(em uint32) uint32 {
	man := em & 0x3ff
	switch {
	case em == 0:
		return 0
	case em < 0x0400:
		// Subnormal: shift the mantissa up until its leading one reaches
		// the implicit bit, lowering the exponent as it goes.
		e := uint32(127 - 15 + 1)
		for man&0x400 == 0 {
			man <<= 1
			e--
		}
		return e<<23 | (man&0x3ff)<<13
	case man == 0:
		return 0x7f800000 // infinity
	}
	return 0x7fc00000 | man<<13 // NaN, made quiet
}

// bf16ToF32Go converts len(dst) bfloat16 values from src (2*len(dst)
// bytes): each is the top half of a binary32.
func bf16ToF32Go(dst []float32, src []byte) {
	src = src[:2*len(dst)]
	i := 0
	for ; i+4 <= len(dst); i += 4 {
		w := binary.LittleEndian.Uint64(src[2*i:])
		d := dst[i : i+4 : i+4]
		d[0] = math.Float32frombits(uint32(w) << 16)
		d[1] = math.Float32frombits(uint32(w>>16) << 16)
		d[2] = math.Float32frombits(uint32(w>>32) << 16)
		d[3] = math.Float32frombits(uint32(w>>48) << 16)
	}
	for ; i < len(dst); i++ {
		dst[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(src[2*i:])) << 16)
	}
}

// convertF64 converts len(dst) binary64 values from src (8*len(dst)
// bytes), rounding to nearest. It is not vectorised: F64 weights are rare
// and the conversion runs once per load.
func convertF64(dst []float32, src []byte) {
	src = src[:8*len(dst)]
	for i := range dst {
		dst[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(src[8*i:])))
	}
}

// ConvertF16 converts len(dst) little-endian binary16 values from src,
// which must hold at least 2*len(dst) bytes, using the fastest converter
// of the active kernel level.
func ConvertF16(dst []float32, src []byte) {
	if len(src) < 2*len(dst) {
		panic("weights: ConvertF16: src too short")
	}
	convertF16(dst, src)
}

// ConvertBF16 is ConvertF16 for bfloat16 values.
func ConvertBF16(dst []float32, src []byte) {
	if len(src) < 2*len(dst) {
		panic("weights: ConvertBF16: src too short")
	}
	convertBF16(dst, src)
}
