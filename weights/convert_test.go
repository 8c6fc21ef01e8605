package weights

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"

	"github.com/vlmrt/vlmrt/internal/leveltest"
)

// f16Value is the float64 value of the binary16 bits h, computed from the
// definition; NaN for a NaN.
func f16Value(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp, man := int(h>>10)&0x1f, float64(h&0x3ff)
	switch exp {
	case 0:
		return sign * man / 1024 * math.Pow(2, -14)
	case 0x1f:
		if man != 0 {
			return math.NaN()
		}
		return math.Inf(int(sign))
	}
	return sign * (1 + man/1024) * math.Pow(2, float64(exp-15))
}

// TestF16Twin checks the Go twin on every binary16 value against the
// definition. Every binary16 value is exact in binary32, so the tolerance
// is zero; NaNs must stay NaNs with their sign and payload.
func TestF16Twin(t *testing.T) {
	src := make([]byte, 2<<16)
	for i := range 1 << 16 {
		binary.LittleEndian.PutUint16(src[2*i:], uint16(i))
	}
	dst := make([]float32, 1<<16)
	f16ToF32Go(dst, src)
	for i, got := range dst {
		want := f16Value(uint16(i))
		switch {
		case math.IsNaN(want):
			bits := math.Float32bits(got)
			if !math.IsNaN(float64(got)) || bits>>31 != uint32(i)>>15 || (bits>>13)&0x3ff != uint32(i)&0x3ff|0x200 {
				t.Errorf("f16 %#04x: got %#08x, want a quiet NaN with its sign and payload", i, bits)
			}
		case float64(got) != want || math.Signbit(float64(got)) != math.Signbit(want):
			t.Errorf("f16 %#04x: got %v, want %v", i, got, want)
		}
	}
}

// TestConvertLevels compares every level's F16 and BF16 converters with the
// Go twins, bit for bit: on every 16-bit pattern, on every length up to 2x
// the widest unrolled block and some larger odd ones, with src and dst
// starting unaligned, and with guard bands around dst that must not change.
func TestConvertLevels(t *testing.T) {
	patterns := make([]byte, 2<<16+1) // one spare byte for the unaligned start
	for i := range 1 << 16 {
		binary.LittleEndian.PutUint16(patterns[2*i:], uint16(i*40503)) // a permutation of all patterns
	}
	sizes := []int{}
	for n := 0; n <= 130; n++ {
		sizes = append(sizes, n)
	}
	sizes = append(sizes, 255, 1000, 4099, 1<<16)
	type converter struct {
		name string
		fn   func([]float32, []byte)
		twin func([]float32, []byte)
	}
	for _, c := range []converter{{"f16", convertF16, f16ToF32Go}, {"bf16", convertBF16, bf16ToF32Go}} {
		t.Run(c.name, func(t *testing.T) {
			leveltest.ForEach(t, func(t *testing.T) {
				const guard = 19
				sentinel := math.Float32frombits(0x7fa5a5a5)
				for _, n := range sizes {
					for _, off := range []int{0, 1} {
						src := patterns[off : off+2*n]
						want := make([]float32, n)
						c.twin(want, src)
						buf := make([]float32, n+2*guard+off)
						for i := range buf {
							buf[i] = sentinel
						}
						dst := buf[guard+off : guard+off+n]
						c.fn(dst, src)
						for i := range dst {
							if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
								t.Fatalf("n=%d off=%d: element %d (bits %#04x) = %#08x, twin %#08x", n, off, i,
									binary.LittleEndian.Uint16(src[2*i:]), math.Float32bits(dst[i]), math.Float32bits(want[i]))
							}
						}
						for i, v := range buf {
							if (i < guard+off || i >= guard+off+n) && math.Float32bits(v) != math.Float32bits(sentinel) {
								t.Fatalf("n=%d off=%d: guard element %d overwritten", n, off, i)
							}
						}
					}
				}
			})
		})
	}
}

// BenchmarkConvert measures the converters at each level, reporting
// input bytes per second, on 64 Ki elements (128 KiB in, 256 KiB out: in
// L2) and on 4 Mi elements (8 MiB in, 16 MiB out: mostly memory traffic).
func BenchmarkConvert(b *testing.B) {
	for _, n := range []int{1 << 16, 1 << 22} {
		src := make([]byte, 2*n)
		for i := range n {
			binary.LittleEndian.PutUint16(src[2*i:], uint16(0x3c00+i%0x3ff)) // normal values
		}
		dst := make([]float32, n)
		for _, c := range []struct {
			name string
			fn   func([]float32, []byte)
		}{{"f16", convertF16}, {"bf16", convertBF16}} {
			b.Run(fmt.Sprintf("%s/n=%d", c.name, n), func(b *testing.B) {
				leveltest.ForEachB(b, func(b *testing.B) {
					b.SetBytes(int64(len(src)))
					for b.Loop() {
						c.fn(dst, src)
					}
				})
			})
		}
		if n > 1<<16 {
			continue
		}
		b.Run(fmt.Sprintf("f64/n=%d", n), func(b *testing.B) {
			src := make([]byte, 8*n)
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				convertF64(dst, src)
			}
		})
	}
}
