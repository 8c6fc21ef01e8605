package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/vlmrt/vlmrt/heads"
	"github.com/vlmrt/vlmrt/internal/cputime"
	"github.com/vlmrt/vlmrt/pipeline"
	"github.com/vlmrt/vlmrt/preprocess"
)

// shapesModel is the trained shapes model (models/shapes/README.md): a
// dl_techniques CLIP encoder and a MultiTaskVLMHead whose metadata names it.
const shapesModel = "../models/shapes/head.safetensors"

// shapesTorchTokens reads models/shapes/captions_torch.jsonl: PyTorch's
// greedy caption ids of each test image ("images/NNN.png"), EOS included.
func shapesTorchTokens(b *testing.B) map[string][]int32 {
	f, err := os.Open("../models/shapes/captions_torch.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	out := map[string][]int32{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r struct {
			File   string  `json:"file"`
			Tokens []int32 `json:"tokens"`
		}
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			b.Fatal(err)
		}
		out[r.File] = r.Tokens
	}
	if err := sc.Err(); err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkCaptionShapes captions the shapes model's demo images
// (models/shapes/images/test_00N.png, 128 x 128 PNGs) end to end on one
// thread, as `vlmrt caption` does: decode the PNG, preprocess (Pillow's
// bicubic resize to 64 x 64, rescale, normalise), run the vision tower,
// decode greedily to EOS (at most the head's max_length, 20) and write the
// words. One iteration is one image, the eight in turn.
//
// Metrics, per image: ms/image (the wall, everything), decode-ms (the PNG
// decode alone), caption-ms (what p.Caption runs: CaptionTokens, which
// preprocesses, encodes and generates, then CaptionText for the words),
// tokens/image (EOS included, as `vlmrt eval` counts them), tokens/s
// (tokens over caption-ms); and the same against the process's CPU time,
// steadier on a shared machine: cpu-ms/image, decode-cpu-ms,
// caption-cpu-ms, cpu-tokens/s, and preprocess-cpu-ms (p.Preprocess alone,
// timed apart after the loop: the part of caption-cpu-ms before the vision
// tower). The float32 captions must be PyTorch's
// (models/shapes/captions_torch.jsonl: the demo images are the first test
// scenes, rendered at 128 px); the int8 run reports how many are
// (torch-identical, of 8). The peers are tools/bench_caption.py (PyTorch)
// and tools/bench_caption_ort.js (ONNX Runtime).
func BenchmarkCaptionShapes(b *testing.B) {
	files, err := filepath.Glob("../models/shapes/images/test_*.png")
	if err != nil || len(files) == 0 {
		b.Fatalf("no demo image: %v", err)
	}
	slices.Sort(files)
	data := make([][]byte, len(files))
	want := make([][]int32, len(files))
	torch := shapesTorchTokens(b)
	for i, f := range files {
		if data[i], err = os.ReadFile(f); err != nil {
			b.Fatal(err)
		}
		// test_00N.png is the test split's images/00N.png at 128 px.
		want[i] = torch["images/"+filepath.Base(f)[len("test_"):]]
	}
	for _, c := range []struct {
		name string
		opts []pipeline.Option
	}{
		{"float32", nil},
		{"int8", []pipeline.Option{pipeline.WithQuantize(heads.Int8)}},
	} {
		b.Run(c.name, func(b *testing.B) {
			p, err := pipeline.Load(shapesModel, c.opts...)
			if err != nil {
				b.Fatal(err)
			}
			// Warm-up and check: every image once.
			same := 0
			for i := range data {
				img, err := preprocess.Decode(bytes.NewReader(data[i]))
				if err != nil {
					b.Fatal(err)
				}
				ids, err := p.CaptionTokens(img)
				if err != nil {
					b.Fatal(err)
				}
				if slices.Equal(ids, want[i]) {
					same++
				} else if c.opts == nil {
					b.Fatalf("%s: tokens %v, PyTorch's %v", files[i], ids, want[i])
				}
			}
			var decode, caption, decodeCPU, captionCPU time.Duration
			tokens := 0
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cputime.Process()
			for n := range b.N {
				i := n % len(data)
				t0, c0 := time.Now(), cputime.Process()
				img, err := preprocess.Decode(bytes.NewReader(data[i]))
				if err != nil {
					b.Fatal(err)
				}
				t1, c1 := time.Now(), cputime.Process()
				ids, err := p.CaptionTokens(img)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := p.CaptionText(ids); err != nil {
					b.Fatal(err)
				}
				t2, c2 := time.Now(), cputime.Process()
				decode, caption = decode+t1.Sub(t0), caption+t2.Sub(t1)
				decodeCPU, captionCPU = decodeCPU+c1-c0, captionCPU+c2-c1
				tokens += len(ids)
			}
			cpu = cputime.Process() - cpu
			// The preprocessing inside caption-cpu-ms, timed apart (not
			// in ms/image): p.Preprocess on every decoded image.
			b.StopTimer()
			var prepCPU time.Duration
			prepRuns := 0
			for range max(1, min(b.N/len(data), 16)) {
				for i := range data {
					img, _ := preprocess.Decode(bytes.NewReader(data[i]))
					c0 := cputime.Process()
					if _, err := p.Preprocess(img); err != nil {
						b.Fatal(err)
					}
					prepCPU += cputime.Process() - c0
					prepRuns++
				}
			}
			b.StartTimer()
			nf := float64(b.N)
			ms := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 / nf }
			b.ReportMetric(ms(b.Elapsed()), "ms/image")
			b.ReportMetric(ms(decode), "decode-ms")
			b.ReportMetric(ms(caption), "caption-ms")
			b.ReportMetric(float64(tokens)/nf, "tokens/image")
			b.ReportMetric(float64(tokens)/caption.Seconds(), "tokens/s")
			if cpu > 0 {
				b.ReportMetric(ms(cpu), "cpu-ms/image")
				b.ReportMetric(ms(decodeCPU), "decode-cpu-ms")
				b.ReportMetric(ms(captionCPU), "caption-cpu-ms")
				b.ReportMetric(float64(tokens)/captionCPU.Seconds(), "cpu-tokens/s")
				b.ReportMetric(float64(prepCPU.Nanoseconds())/1e6/float64(prepRuns), "preprocess-cpu-ms")
			}
			b.ReportMetric(float64(same), fmt.Sprintf("torch-identical/%d", len(data)))
		})
	}
}
