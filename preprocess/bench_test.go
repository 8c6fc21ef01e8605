package preprocess

import (
	"bytes"
	"image"
	"image/jpeg"
	"math"
	"os"
	"sync"
	"testing"
)

// The benchmarks run on a 1920x1080 4:2:0 JPEG of quality 90: the photo-like
// image of benchPhoto, or the file named by $PREPROCESS_BENCH_JPEG (to
// compare with tools/bench_preprocess.py on the same bytes).

var (
	benchOnce sync.Once
	benchJPEG []byte
)

// benchPhoto is a deterministic photo-like RGB image: smooth gradients,
// soft shapes, texture and a little noise (the same formula as
// tools/bench_preprocess.py).
func benchPhoto(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	seed := uint32(1)
	for y := range h {
		for x := range w {
			seed = seed*1664525 + 1013904223
			noise := float64(int(seed>>24)%17 - 8)
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			r := 90 + 100*fx + 40*math.Sin(float64(x)/37+float64(y)/53) + noise
			g := 70 + 120*fy + 35*math.Cos(float64(x*y)/90000) + noise
			b := 160 - 80*fx*fy + 25*math.Sin(float64(x)/7)*math.Sin(float64(y)/11) + noise
			if dx, dy := fx-0.6, fy-0.45; dx*dx+dy*dy < 0.04 {
				r, g, b = r+60, g-30, b-40
			}
			i := m.PixOffset(x, y)
			m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = benchClamp(r), benchClamp(g), benchClamp(b), 255
		}
	}
	return m
}

func benchClamp(v float64) uint8 {
	return uint8(min(max(math.Round(v), 0), 255))
}

func benchJPEGBytes(b *testing.B) []byte {
	b.Helper()
	benchOnce.Do(func() {
		if path := os.Getenv("PREPROCESS_BENCH_JPEG"); path != "" {
			data, err := os.ReadFile(path)
			if err != nil {
				panic(err)
			}
			benchJPEG = data
			return
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, benchPhoto(1920, 1080), &jpeg.Options{Quality: 90}); err != nil {
			panic(err)
		}
		benchJPEG = buf.Bytes()
	})
	return benchJPEG
}

func reportMs(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e6/float64(b.N), "ms/op")
}

// BenchmarkDecodeJPEG1080p decodes the 1920x1080 JPEG to RGB8.
func BenchmarkDecodeJPEG1080p(b *testing.B) {
	data := benchJPEGBytes(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Decode(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
	reportMs(b)
}

// BenchmarkResize1080pTo224 resizes the decoded 1920x1080 image to 398x224
// (short side 224) with bicubic, as CLIPImageProcessor does before its crop.
func BenchmarkResize1080pTo224(b *testing.B) {
	src, err := Decode(bytes.NewReader(benchJPEGBytes(b)))
	if err != nil {
		b.Fatal(err)
	}
	r, _ := NewResizer(Bicubic)
	var dst Image
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Resize(&dst, src, 398, 224); err != nil {
			b.Fatal(err)
		}
	}
	reportMs(b)
}

// BenchmarkProcess1080p makes CLIP's 224x224 pixel_values (NCHW) from the
// decoded 1920x1080 image: the resize of the crop's window, the crop and
// the normalisation (decoding not included; see BenchmarkDecodeJPEG1080p).
func BenchmarkProcess1080p(b *testing.B) {
	src, err := Decode(bytes.NewReader(benchJPEGBytes(b)))
	if err != nil {
		b.Fatal(err)
	}
	p, err := NewProcessor(CLIP(224))
	if err != nil {
		b.Fatal(err)
	}
	dst := make([]float32, 3*224*224)
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Process(dst, src, NCHW); err != nil {
			b.Fatal(err)
		}
	}
	reportMs(b)
}
