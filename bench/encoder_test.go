package bench

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/vlmrt/vlmrt/encoders"
	"github.com/vlmrt/vlmrt/internal/synthetic"
	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/parallel"
	"github.com/vlmrt/vlmrt/runtime"
)

// vitB16 is CLIP ViT-B/16 at 224 px: 196 patches and a class token, 12
// layers of width 768 with 12 heads and an MLP of 3072, projection 512.
func vitB16() encoders.Config {
	return encoders.Config{Family: encoders.CLIP, Projection: 512,
		Vision: &encoders.TowerConfig{Hidden: 768, Intermediate: 3072, Layers: 12, Heads: 12,
			Act: kernels.ActQuickGELU, Eps: 1e-5, Channels: 3, ImageSize: 224, PatchSize: 16}}
}

// vitFLOPs counts the multiply-adds of one image through a ViT (times 2):
// the patch product, q/k/v, the attention's two products, the output
// projection and the MLP of every layer, and the projection.
func vitFLOPs(c *encoders.TowerConfig, projection int) float64 {
	n, d, p := float64(c.Patches()+1), float64(c.Hidden), float64(c.PatchSize)
	patch := float64(c.Patches()) * d * 3 * p * p
	layer := n*d*3*d + 2*n*n*d + n*d*d + 2*n*d*float64(c.Intermediate)
	return 2 * (patch + float64(c.Layers)*layer + d*float64(projection))
}

// BenchmarkViTB16 runs the CLIP ViT-B/16 vision tower on one 224 x 224
// image with random weights, on one and two threads: ms per image against
// the wall and the process's CPU time, GFLOP/s, allocations per run. The
// peers (ONNX Runtime, PyTorch) run the same shapes in tools/.
func BenchmarkViTB16(b *testing.B) {
	cfg := vitB16()
	dir := b.TempDir()
	if err := synthetic.WriteEncoder(dir, cfg, 16); err != nil {
		b.Fatal(err)
	}
	m, err := encoders.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	plan, err := m.CompileVision(1)
	if err != nil {
		b.Fatal(err)
	}
	flops := vitFLOPs(cfg.Vision, cfg.Projection)
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads%d", threads), func(b *testing.B) {
			var pool *parallel.Pool
			if threads > 1 {
				pool = parallel.New(threads)
				defer pool.Close()
			}
			s := plan.NewSession(runtime.WithPool(pool))
			px, _ := s.Input(encoders.InputPixels)
			r := rand.New(rand.NewPCG(1, 2))
			for i := range px {
				px[i] = float32(r.NormFloat64())
			}
			timeRuns(b, s, "image")
			reportGFLOPs(b, flops)
			b.ReportMetric(float64(plan.ArenaBytes()), "arena_bytes")
			b.ReportMetric(float64(m.PackedBytes()), "packed_bytes")
		})
	}
}
