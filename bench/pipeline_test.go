package bench

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/vlmrt/vlmrt/internal/synthetic"
	"github.com/vlmrt/vlmrt/pipeline"
	"github.com/vlmrt/vlmrt/preprocess"
)

// photoJPEG encodes a photo-like width x height image (smooth gradients,
// a few discs, sensor noise) as a JPEG of quality 90, 4:2:0.
func photoJPEG(width, height int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	r := rand.New(rand.NewPCG(3, 4))
	for y := range height {
		for x := range width {
			fx, fy := float64(x)/float64(width), float64(y)/float64(height)
			v := [3]float64{120 + 90*math.Sin(7*fx)*math.Cos(5*fy), 80 + 120*fy, 200 * fx}
			if (fx-0.6)*(fx-0.6)+(fy-0.4)*(fy-0.4) < 0.02 {
				v[1] = 220
			}
			var c [3]uint8
			for i := range v {
				c[i] = uint8(math.Max(0, math.Min(255, v[i]+r.NormFloat64()*6)))
			}
			img.SetRGBA(x, y, color.RGBA{c[0], c[1], c[2], 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// BenchmarkPipelineViTB16 goes from a 1920 x 1080 JPEG to CLIP ViT-B/16
// image embeddings, one thread: decode (Pillow-exact), preprocess
// (resize the short side to 224 with Pillow's bicubic, crop, normalise)
// and the vision tower, each step's ms per image reported beside the
// total.
func BenchmarkPipelineViTB16(b *testing.B) {
	dir := b.TempDir()
	if err := synthetic.WriteEncoder(dir, vitB16(), 16); err != nil {
		b.Fatal(err)
	}
	p, err := pipeline.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	data := photoJPEG(1920, 1080)
	img, err := preprocess.Decode(bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := p.EmbedImages([]image.Image{img}); err != nil {
		b.Fatal(err)
	}
	var decode, prep, encode time.Duration
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		img, err := preprocess.Decode(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := p.Preprocess(img); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if _, err := p.EmbedImages([]image.Image{img}); err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		decode, prep, encode = decode+t1.Sub(t0), prep+t2.Sub(t1), encode+t3.Sub(t2)-t2.Sub(t1)
	}
	n := float64(b.N)
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/n, "ms/image")
	b.ReportMetric(float64(decode.Microseconds())/1e3/n, "decode-ms")
	b.ReportMetric(float64(prep.Microseconds())/1e3/n, "preprocess-ms")
	b.ReportMetric(float64(encode.Microseconds())/1e3/n, "encode-ms")
}
