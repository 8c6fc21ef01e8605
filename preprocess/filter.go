package preprocess

import (
	"fmt"
	"math"
)

// Resample is a resampling filter, numbered as Pillow numbers them
// (PIL.Image.Resampling) and as Hugging Face's preprocessor_config.json
// stores them under "resample".
type Resample int

// The filters of Pillow's Image.resize. All of them are implemented and
// bit-exact with Pillow 9.4 on RGB8 images.
const (
	Nearest  Resample = 0 // NEAREST: the pixel whose centre is nearest
	Lanczos  Resample = 1 // LANCZOS: windowed sinc, support 3
	Bilinear Resample = 2 // BILINEAR: triangle, support 1
	Bicubic  Resample = 3 // BICUBIC: cubic convolution, a = -0.5, support 2
	Box      Resample = 4 // BOX: box, support 0.5
	Hamming  Resample = 5 // HAMMING: Hamming-windowed sinc, support 1
)

var resampleNames = [...]string{"nearest", "lanczos", "bilinear", "bicubic", "box", "hamming"}

// String returns the filter's name in lower case ("bicubic"), or
// "Resample(n)" for an unknown value.
func (r Resample) String() string {
	if r >= 0 && int(r) < len(resampleNames) {
		return resampleNames[r]
	}
	return fmt.Sprintf("Resample(%d)", int(r))
}

// valid reports an error for a filter Pillow does not have.
func (r Resample) valid() error {
	if r < Nearest || r > Hamming {
		return fmt.Errorf("resample %d: not a Pillow filter (0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming)", int(r))
	}
	return nil
}

// A convolution filter of Pillow's Resample.c: its kernel and support (the
// half-width of the kernel at scale 1).
type convFilter struct {
	kernel  func(x float64) float64
	support float64
}

func (r Resample) conv() convFilter {
	switch r {
	case Box:
		return convFilter{boxKernel, 0.5}
	case Bilinear:
		return convFilter{bilinearKernel, 1}
	case Hamming:
		return convFilter{hammingKernel, 1}
	case Bicubic:
		return convFilter{bicubicKernel, 2}
	case Lanczos:
		return convFilter{lanczosKernel, 3}
	}
	return convFilter{}
}

// The kernels are Resample.c's, operation for operation. Each product is
// converted with float64(...) so that the compiler cannot fuse it into a
// multiply-add (Go may fuse x*y+z on arm64, ppc64 and s390x; C on x86-64,
// where Pillow's numbers come from, does not): an explicit conversion rounds.

func boxKernel(x float64) float64 {
	if x > -0.5 && x <= 0.5 {
		return 1
	}
	return 0
}

func bilinearKernel(x float64) float64 {
	if x < 0 {
		x = -x
	}
	if x < 1 {
		return 1 - x
	}
	return 0
}

func hammingKernel(x float64) float64 {
	if x < 0 {
		x = -x
	}
	if x == 0 {
		return 1
	}
	if x >= 1 {
		return 0
	}
	x = float64(x * math.Pi)
	// 0.54f and 0.46f are C float literals, promoted to double.
	const c054, c046 = float64(float32(0.54)), float64(float32(0.46))
	return float64(math.Sin(x)/x) * (c054 + float64(c046*math.Cos(x)))
}

func bicubicKernel(x float64) float64 {
	const a = -0.5
	if x < 0 {
		x = -x
	}
	if x < 1 {
		return float64(float64(float64(float64((a+2)*x)-(a+3))*x)*x) + 1
	}
	if x < 2 {
		t := float64(float64(x-5)*x) + 8
		t = float64(t*x) - 4
		return t * a
	}
	return 0
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	x = float64(x * math.Pi)
	return math.Sin(x) / x
}

func lanczosKernel(x float64) float64 {
	if -3 <= x && x < 3 {
		return float64(sinc(x) * sinc(x/3))
	}
	return 0
}
