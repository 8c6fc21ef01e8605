package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestParseGoBench(t *testing.T) {
	out := parseGoBench(`goos: linux
BenchmarkMatMul/64x768x768/avx512-2 	     529	    681766 ns/op	       110.7 GFLOP/s	       111.6 cpu-GFLOP/s	       0 B/op	       0 allocs/op
BenchmarkCaptionShapes/float32         	     751	   1490433 ns/op	         0.8853 caption-cpu-ms
PASS
`)
	if len(out) != 2 {
		t.Fatalf("%d results, want 2", len(out))
	}
	if out[0].name != "MatMul/64x768x768/avx512" || out[0].metrics["cpu-GFLOP/s"] != 111.6 || out[0].metrics["ns/op"] != 681766 {
		t.Errorf("first: %+v", out[0])
	}
	if out[1].name != "CaptionShapes/float32" || out[1].metrics["caption-cpu-ms"] != 0.8853 {
		t.Errorf("second: %+v", out[1])
	}
}

// logs writes a small log directory of two rounds as tools/bench_report.sh
// lays it out.
func logs(t *testing.T) string {
	dir := t.TempDir()
	write := func(name, text string) {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("meta.txt", "machine: 2 vCPUs\ncpu: AMD EPYC (family 25 model 17; AVX-512 VNNI)\ndate_start: 2026-12-06 21:00 UTC\n"+
		"date_end: 2026-12-06 21:30 UTC\nmode: full\ncommit: abc1234\ngo: go1.26.8\npeer.PyTorch: torch 1.13\nnote: a note\n")
	write("load.txt", "round 1: go 1.50 1.20 1.00\nround 1: ort 2.50 1.20 1.00\n")
	for r, scale := range map[string]float64{"round1": 1, "round2": 1.1} {
		f := func(v float64) string { return strconv.FormatFloat(v*scale, 'f', 6, 64) }
		write(r+"/go_matmul.txt", "BenchmarkMatMul/1x768x768/avx512-2 100 1 ns/op 40 GFLOP/s "+f(40)+" cpu-GFLOP/s\n"+
			"BenchmarkMatMul/64x768x768/avx512-2 100 1 ns/op 110 GFLOP/s "+f(110)+" cpu-GFLOP/s\n"+
			"BenchmarkMatMul/64x768x768/threads2-2 100 1 ns/op "+f(200)+" GFLOP/s\n")
		write(r+"/go_layers.txt", "BenchmarkInt8DecoderLayer/avx512/float32-2 10 1 ns/op "+f(5)+" cpu-ms/run\n"+
			"BenchmarkInt8DecoderLayer/avx512/int8-2 10 1 ns/op "+f(2.5)+" cpu-ms/run\n")
		write(r+"/go_caption.txt", "BenchmarkCaptionShapes/float32-2 100 1 ns/op 0.8 caption-cpu-ms 1.4 cpu-ms/image 12000 cpu-tokens/s "+
			"0.5 decode-cpu-ms 0.2 preprocess-cpu-ms 11 tokens/image 8 torch-identical/8\n")
		write(r+"/openblas.txt", "blas: x\nopenblas 1x768x768: cpu-time "+f(35)+" GFLOP/s, wall 30 GFLOP/s\n")
		write(r+"/torch.txt", "# torch 1.13\nmatmul_1x768x768_bias_cpu_gflops: "+f(38)+"\ntransformer_decoder_layer_16x197_cpu_us: "+f(17000)+"\n")
		write(r+"/ort.txt", "matmul_1x768x768.c.ort_check: PASS\nmatmul_1x768x768.ort_cpu_gflops: "+f(25)+"\n"+
			"transformer_decoder_layer_16x197.ort_cpu_ms_p50: "+f(10)+"\n")
		write(r+"/caption_torch.txt", "caption.torch_identical_to_captions_torch: 8/8\ncaption.torch_decode_cpu_ms_p50: 0.6\n"+
			"caption.torch_preprocess_cpu_ms_p50: 0.4\ncaption.torch_generate_cpu_ms_p50: 8\ncaption.torch_cpu_ms_p50: 9\n"+
			"caption.torch_cpu_tokens_per_s: 1300\ncaption.torch_tokens_per_image: 11.00\n")
		write(r+"/caption_ort.txt", "caption.ort_identical_to_torch: 8/8\ncaption.ort_cpu_ms_p50: "+f(5)+"\ncaption.ort_tokens_per_image: 11.00\n")
	}
	return dir
}

func TestAssembleAndRender(t *testing.T) {
	r, err := assemble(logs(t))
	if err != nil {
		t.Fatal(err)
	}
	if r.Rounds != 2 || r.CPU == "" || r.Commit != "abc1234" || r.Peers["PyTorch"] != "torch 1.13" || len(r.Notes) != 1 {
		t.Errorf("meta: %+v", r)
	}
	if !strings.Contains(r.Load, "1.5-2.5") {
		t.Errorf("load %q", r.Load)
	}
	check := func(bench, cas, rt string, value, lo, hi float64) {
		t.Helper()
		row := r.find(bench, cas, rt)
		if row == nil {
			t.Fatalf("no row %s / %s / %s", bench, cas, rt)
		}
		if math.Abs(row.Value-value) > 1e-9 || math.Abs(row.Min-lo) > 1e-9 || math.Abs(row.Max-hi) > 1e-9 {
			t.Errorf("%s / %s / %s: %v (%v-%v), want %v (%v-%v)", bench, cas, rt, row.Value, row.Min, row.Max, value, lo, hi)
		}
	}
	check("matmul", "1x768x768", "vlmrt avx512", 42, 40, 44)
	check("matmul", "1x768x768", "OpenBLAS", 36.75, 35, 38.5)
	check("matmul", "1x768x768", "PyTorch", 39.9, 38, 41.8)
	check("matmul", "1x768x768", "ONNX Runtime", 26.25, 25, 27.5)
	check("decoder_layer", "int8", "vlmrt avx512", 2.625, 2.5, 2.75)
	check("decoder_layer", "float32", "PyTorch", 17.85, 17, 18.7)
	check("decoder_layer", "float32", "ONNX Runtime", 10.5, 10, 11)
	check("caption", "encode + generate", "vlmrt", 0.6, 0.6, 0.6)
	check("caption", "total", "ONNX Runtime", 0.6+0.4+5.25, 0.6+0.4+5, 0.6+0.4+5.5)
	check("threads", "matmul 64x768x768", "2 threads", 210.0/110, 200.0/110, 220.0/110)
	if got := ratio(r.find("matmul", "1x768x768", "vlmrt avx512"), r.find("matmul", "1x768x768", "OpenBLAS")); math.Abs(got-40.0/35) > 1e-9 {
		t.Errorf("ratio %v, want %v", got, 40.0/35)
	}
	if len(r.Checks) != 4 {
		t.Errorf("checks %q", r.Checks)
	}

	out := t.TempDir()
	if err := writeResults(filepath.Join(out, "report.json"), r); err != nil {
		t.Fatal(err)
	}
	r2, err := readResults(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var md bytes.Buffer
	if err := render(r2, out, &md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| CPU | AMD EPYC (family 25 model 17; AVX-512 VNNI) |",
		"| 1x768x768 | 42.00 (40.00-44.00) |",
		"vlmrt avx512 vs OpenBLAS",
		"| float32 / int8 |",
		"![caption end to end](report_caption.png)",
		"| PyTorch | 0.600 | 0.400 | 8.00 | 9.00 | 1300 | **6.43** |",
		"## Thread scaling",
		"## How to repeat",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("report.md lacks %q:\n%s", want, md.String())
		}
	}
	for _, png := range []string{"report_caption.png", "report_matmul.png", "report_decoder.png", "report_threads.png"} {
		data, err := os.ReadFile(filepath.Join(out, png))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(data, []byte("\x89PNG")) || len(data) > 100<<10 {
			t.Errorf("%s: %d bytes, not a PNG under 100 KB", png, len(data))
		}
	}
}
