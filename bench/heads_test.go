package bench

import (
	"fmt"
	"testing"
	"time"

	"github.com/vlmrt/vlmrt/generate"
	"github.com/vlmrt/vlmrt/heads"
	"github.com/vlmrt/vlmrt/internal/cputime"
	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/parallel"
	"github.com/vlmrt/vlmrt/runtime"
)

// bertTask is a task_config at BERT-base size.
func bertTask(name, taskType string, vocab int) map[string]any {
	return map[string]any{"name": name, "task_type": taskType, "hidden_size": 768, "vocab_size": vocab, "num_classes": 10}
}

// runHead benchmarks one run of m's plan for shapes, reporting ms per run.
func runHead(b *testing.B, m *heads.Model, shapes map[string][]int, threads int) {
	plan, err := m.Compile(shapes)
	if err != nil {
		b.Fatal(err)
	}
	var pool *parallel.Pool
	if threads > 1 {
		pool = parallel.New(threads)
		defer pool.Close()
	}
	s := plan.NewSession(runtime.WithPool(pool))
	if err := randomInputs(shapes).Fill(s); err != nil {
		b.Fatal(err)
	}
	timeRuns(b, s, "run")
	b.ReportMetric(float64(plan.ArenaBytes()), "arena_bytes")
}

// timeRuns runs s once, then b.N times timed, and reports the allocations
// and the milliseconds per run ("ms/<unit>") against the wall and the
// process's CPU time ("cpu-ms/<unit>": all threads, a steadier clock than
// the wall on a shared machine; one thread: the run's time).
func timeRuns(b *testing.B, s *runtime.Session, unit string) {
	s.Run()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cputime.Process()
	for range b.N {
		s.Run()
	}
	cpu = cputime.Process() - cpu
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e6/float64(b.N), "ms/"+unit)
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/1e6/float64(b.N), "cpu-ms/"+unit)
	}
}

// BenchmarkDecoderLayer is one captioning decoder layer at BERT-base size
// (hidden 768, 12 heads, mlp FFN 3072, 16 text and 197 vision tokens, batch
// 1): the peer is PyTorch's nn.TransformerDecoderLayer(768, 12, 3072) in
// tools/bench_torch.py.
func BenchmarkDecoderLayer(b *testing.B) {
	m := syntheticModel(b, heads.ClassCaptioning,
		map[string]any{"num_layers": 1, "num_heads": 12, "ffn_type": "mlp", "vision_dim": 768},
		bertTask("cap", "image_captioning", 1), nil)
	shapes := map[string][]int{"vision_features": {1, 197, 768}, "text_features": {1, 16, 768}}
	for _, threads := range []int{1, 2} {
		// cross=projected projects the 197 vision rows to keys and values
		// as PyTorch does; cross=auto attends to them directly.
		for _, cross := range []string{"projected", "auto"} {
			b.Run(fmt.Sprintf("%s/threads=%d/cross=%s", kernels.Active(), threads, cross), func(b *testing.B) {
				b.Setenv(heads.CrossAttentionEnv, cross)
				runHead(b, m, shapes, threads)
			})
		}
	}
}

// BenchmarkGroundingAndMatching runs the grounding (gated fusion) and
// matching (concatenation, mlp FFN) heads at hidden 768, 197 vision and 16
// text tokens, batch 1.
func BenchmarkGroundingAndMatching(b *testing.B) {
	shapes := map[string][]int{"vision_features": {1, 197, 768}, "text_features": {1, 16, 768}}
	grounding := syntheticModel(b, heads.ClassGrounding,
		map[string]any{"fusion_strategy": "gated", "vision_dim": 768, "text_dim": 768},
		bertTask("grounding", "visual_grounding", 10), nil)
	matching := syntheticModel(b, heads.ClassMatching,
		map[string]any{"fusion_strategy": "concatenation", "vision_dim": 768, "text_dim": 768, "ffn_type": "mlp"},
		bertTask("matching", "image_text_matching", 10), nil)
	b.Run("grounding_gated", func(b *testing.B) { runHead(b, grounding, shapes, 1) })
	b.Run("matching_concat", func(b *testing.B) { runHead(b, matching, shapes, 1) })
}

// BenchmarkDenseCaptioning compares dense captioning with 10 regions with
// one captioning pass of the same decoder (2 layers, hidden 768, 16 text
// and 197 vision tokens): the ratio is reported by the region benchmark.
func BenchmarkDenseCaptioning(b *testing.B) {
	keys := map[string]any{"num_layers": 2, "num_heads": 12, "ffn_type": "mlp", "vision_dim": 768, "num_regions": 10}
	shapes := map[string][]int{"vision_features": {1, 197, 768}, "text_features": {1, 16, 768}}
	caption := syntheticModel(b, heads.ClassCaptioning, keys, bertTask("cap", "image_captioning", 1000), nil)
	dense := syntheticModel(b, heads.ClassDenseCaptioning, keys, bertTask("dense", "dense_captioning", 1000), nil)
	b.Run("captioning", func(b *testing.B) { runHead(b, caption, shapes, 1) })
	b.Run("dense_k10", func(b *testing.B) { runHead(b, dense, shapes, 1) })
}

// BenchmarkAttentionTypes runs a one-layer captioning decoder with each
// attention type, at a 197- and a 4,096-token memory.
func BenchmarkAttentionTypes(b *testing.B) {
	for _, memory := range []int{197, 4096} {
		for _, kind := range []string{"multi_head", "flash", "sparse", "differential"} {
			if memory > 197 && (kind == "sparse" || kind == "differential") {
				continue
			}
			m := syntheticModel(b, heads.ClassCaptioning,
				map[string]any{"num_layers": 1, "num_heads": 12, "ffn_type": "mlp", "vision_dim": 768, "attention_type": kind},
				bertTask("cap", "image_captioning", 1), nil)
			shapes := map[string][]int{"vision_features": {1, memory, 768}, "text_features": {1, 16, 768}}
			b.Run(fmt.Sprintf("memory=%d/%s", memory, kind), func(b *testing.B) { runHead(b, m, shapes, 1) })
		}
	}
}

// BenchmarkDecodeStep times one generated token of a 6-layer captioning
// head at hidden 768 with a 197-token memory and a 32,000-word vocabulary,
// greedy and beam 3, and reports it against the time to read every weight
// a step reads once at the memory bandwidth measured in the same run.
func BenchmarkDecodeStep(b *testing.B) {
	const vocab, layers, d = 32000, 6, 768
	m := syntheticModel(b, heads.ClassCaptioning,
		map[string]any{"num_layers": layers, "num_heads": 12, "ffn_type": "mlp", "vision_dim": d},
		bertTask("cap", "image_captioning", vocab),
		map[string][]int{"token_embedding": {vocab, d}, "position_embedding": {64, d}})
	shapes := map[string][]int{"vision_features": {1, 197, d}}
	// Weights a step reads: per layer qkv, proj, q, proj, fc1, fc2; the
	// output projection. The memory's keys and values are computed once.
	stepBytes := 4 * (layers*(d*3*d+d*d+d*d+d*d+2*d*4*d) + d*vocab)
	bandwidth := measureBandwidth(stepBytes)
	for _, beam := range []int{1, 3} {
		b.Run(fmt.Sprintf("beam=%d", beam), func(b *testing.B) {
			g, err := m.NewGenerator(shapes, heads.MaxLength(64), heads.Beam(beam))
			if err != nil {
				b.Fatal(err)
			}
			in := randomInputs(shapes)
			s, err := g.Stepper(in, 0)
			if err != nil {
				b.Fatal(err)
			}
			tokens := make([]int32, beam)
			logits := make([]float32, beam*vocab)
			src := make([]int, beam)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if i%16 == 0 {
					_ = s.Reset(beam)
					if err := s.Step(tokens[:1], logits[:vocab]); err != nil {
						b.Fatal(err)
					}
					if beam > 1 {
						_ = s.Reorder(src) // all slots continue the BOS slot
					}
					continue
				}
				if err := s.Step(tokens, logits); err != nil {
					b.Fatal(err)
				}
			}
			perToken := float64(b.Elapsed().Nanoseconds()) / 1e6 / float64(b.N)
			b.ReportMetric(perToken, "ms/token")
			b.ReportMetric(perToken/(float64(stepBytes)/bandwidth*1e3), "x_weight_read")
		})
	}
}

// countingStepper counts the steps a decoding algorithm takes.
type countingStepper struct {
	generate.Stepper
	steps int
}

func (c *countingStepper) Step(tokens []int32, logits []float32) error {
	c.steps++
	return c.Stepper.Step(tokens, logits)
}

// BenchmarkGenerate times whole greedy and beam-3 decodes of up to 24 tokens
// with the head of BenchmarkDecodeStep, bookkeeping included, and reports
// the time per decoding step.
func BenchmarkGenerate(b *testing.B) {
	const vocab, layers, d = 32000, 6, 768
	m := syntheticModel(b, heads.ClassCaptioning,
		map[string]any{"num_layers": layers, "num_heads": 12, "ffn_type": "mlp", "vision_dim": d},
		bertTask("cap", "image_captioning", vocab),
		map[string][]int{"token_embedding": {vocab, d}, "position_embedding": {64, d}})
	shapes := map[string][]int{"vision_features": {1, 197, d}}
	for _, beam := range []int{1, 3} {
		b.Run(fmt.Sprintf("beam=%d", beam), func(b *testing.B) {
			g, err := m.NewGenerator(shapes, heads.MaxLength(24), heads.Beam(beam))
			if err != nil {
				b.Fatal(err)
			}
			s, err := g.Stepper(randomInputs(shapes), 0)
			if err != nil {
				b.Fatal(err)
			}
			c := &countingStepper{Stepper: s}
			o := generate.Options{BOS: 1, EOS: 2, MaxLength: 24, Beam: beam}
			var buf generate.Buffers
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := generate.Run(c, o, &buf); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e6/float64(c.steps), "ms/step")
		})
	}
}

// measureBandwidth returns the bytes per second of reading a buffer of n
// bytes with the active level's dot product, the best of a few passes.
func measureBandwidth(n int) float64 {
	buf := make([]float32, n/4)
	for i := range buf {
		buf[i] = 1
	}
	best := time.Duration(1 << 62)
	for range 5 {
		start := time.Now()
		kernels.Dot(buf, buf)
		best = min(best, time.Since(start))
	}
	return float64(n) / best.Seconds()
}
