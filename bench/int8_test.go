package bench

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/vlmrt/vlmrt/encoders"
	"github.com/vlmrt/vlmrt/heads"
	"github.com/vlmrt/vlmrt/internal/synthetic"
	"github.com/vlmrt/vlmrt/kernels"
)

// BenchmarkInt8DecoderLayer runs BenchmarkDecoderLayer's layer (768 wide,
// 12 heads, mlp 3072, 16 text x 197 vision tokens, direct cross-attention)
// with float32 and with int8 weights side by side, one thread.
func BenchmarkInt8DecoderLayer(b *testing.B) {
	shapes := map[string][]int{"vision_features": {1, 197, 768}, "text_features": {1, 16, 768}}
	for _, p := range []kernels.Precision{kernels.Float32, kernels.Int8} {
		m := syntheticModel(b, heads.ClassCaptioning,
			map[string]any{"num_layers": 1, "num_heads": 12, "ffn_type": "mlp", "vision_dim": 768},
			bertTask("cap", "image_captioning", 1), nil, heads.Quantize(p))
		b.Run(fmt.Sprintf("%s/%s", kernels.Active(), p), func(b *testing.B) {
			runHead(b, m, shapes, 1)
			b.ReportMetric(float64(m.PackedBytes()), "packed_bytes")
		})
	}
}

// BenchmarkInt8ViTB16 runs BenchmarkViTB16's tower (CLIP ViT-B/16, 224 px)
// with float32 and with int8 linear layers side by side, one thread: ms
// per image (wall and CPU time) and the packed weights.
func BenchmarkInt8ViTB16(b *testing.B) {
	dir := b.TempDir()
	if err := synthetic.WriteEncoder(dir, vitB16(), 16); err != nil {
		b.Fatal(err)
	}
	for _, p := range []kernels.Precision{kernels.Float32, kernels.Int8} {
		m, err := encoders.Load(dir, encoders.Quantize(p))
		if err != nil {
			b.Fatal(err)
		}
		plan, err := m.CompileVision(1)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%s/%s", kernels.Active(), p), func(b *testing.B) {
			s := plan.NewSession()
			px, _ := s.Input(encoders.InputPixels)
			r := rand.New(rand.NewPCG(1, 2))
			for i := range px {
				px[i] = float32(r.NormFloat64())
			}
			timeRuns(b, s, "image")
			b.ReportMetric(float64(m.PackedBytes()), "packed_bytes")
		})
	}
}
