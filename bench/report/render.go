package main

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot/vg"
)

// section is how one bench is shown: a table and a chart.
type section struct {
	bench, title, intro string
	higher              bool   // higher values are better (rates); else times
	ref                 string // the runtime the ratio columns compare
	chart               string // PNG file name
	valueLabel          string // the chart's value axis
	byRuntime           bool   // chart groups are runtimes and series the cases
	chartSkip           []string
}

var sections = []section{
	{bench: "matmul", title: "Matmul, float32",
		intro: "`C[M x N] = A[M x K] W + bias`, weights packed once, one thread: GFLOP/s of CPU time (2 M K N per product). " +
			"vlmrt: `BenchmarkMatMul`; OpenBLAS: `tools/bench_openblas.py` (numpy); PyTorch: `torch.addmm` (`tools/bench_torch.py`); " +
			"ONNX Runtime: one MatMul + Add graph per shape exported by torch (`tools/bench_ort.js`, a call includes the Node.js binding's ~10 us).",
		higher: true, ref: "vlmrt avx512", chart: "report_matmul.png", valueLabel: "GFLOP/s (CPU time, one thread)"},
	{bench: "matmul_int8", title: "Matmul, int8",
		intro: "The same products with int8 weights (per output column for vlmrt and ONNX Runtime, per tensor for PyTorch) and activations quantized at each call: " +
			"GOP/s of CPU time (2 M K N operations, as float). vlmrt: `BenchmarkInt8MatMul` (its float32 beside it); " +
			"ONNX Runtime: `tools/quantize_onnx.py`'s DynamicQuantizeLinear + MatMulInteger form (fused by ORT); PyTorch: `quantize_dynamic` (onednn).",
		higher: true, ref: "vlmrt avx512 int8", chart: "report_matmul_int8.png", valueLabel: "GOP/s (CPU time, one thread)",
		chartSkip: []string{"vlmrt avx2 float32"}},
	{bench: "decoder_layer", title: "Decoder layer, float32 and int8",
		intro: "One captioning decoder layer at BERT-base size (768 wide, 12 heads, mlp 3072, 16 text x 197 vision tokens), ms of CPU per run. " +
			"vlmrt: `BenchmarkInt8DecoderLayer` (cross-attention on the memory rows directly); PyTorch: `nn.TransformerDecoderLayer(768, 12, 3072)` " +
			"(int8: `quantize_dynamic`, which replaces only its feed-forward); ONNX Runtime: that module's ONNX export (int8: `quantize_onnx.py`).",
		ref: "vlmrt avx512", chart: "report_decoder.png", valueLabel: "ms per run (CPU time, one thread)", byRuntime: true},
	{bench: "vit_b16", title: "Encoder: CLIP ViT-B/16, float32 and int8",
		intro: "The CLIP ViT-B/16 vision tower on one 224 x 224 image (35.13 GFLOP), ms of CPU per image. vlmrt: `BenchmarkInt8ViTB16`; " +
			"PyTorch: `tools/bench_vit.py` (int8: `quantize_dynamic` of its 73 linear layers); ONNX Runtime: its export (int8: `quantize_onnx.py`).",
		ref: "vlmrt avx512", chart: "report_vit.png", valueLabel: "ms per image (CPU time, one thread)", byRuntime: true},
}

// render writes report.md and its charts into dir.
func render(r *Results, dir string, w io.Writer) error {
	pr := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	pr("# vlmrt benchmark report\n\n")
	pr("Made by `tools/bench_report.sh` (%s mode, %d round(s) back to back) from `bench/report.json`, ", r.Mode, r.Rounds)
	pr("which holds every value of every round; `cd bench/report && go run . -in ../report.json -out ..` redraws this page.\n\n")
	pr("| | |\n|---|---|\n")
	pr("| machine | %s |\n", cell(r.Machine))
	pr("| CPU | %s |\n", cell(r.CPU))
	pr("| date | %s |\n", cell(r.Date))
	pr("| load | %s |\n", cell(r.Load))
	if r.Commit != "" || r.Go != "" {
		pr("| vlmrt | %s |\n", cell(strings.TrimSpace(r.Commit+", "+r.Go)))
	}
	for _, k := range sortedKeys(r.Peers) {
		pr("| %s | %s |\n", cell(k), cell(r.Peers[k]))
	}
	pr("\nHow to read it: every figure is against the process's CPU time on one thread (the machine is shared: ")
	pr("CPU time moves less than the wall with other jobs' load), except the thread-scaling section (wall clock). ")
	pr("A cell is the median of the rounds with the least and the most in parentheses; in the charts the bar is the median ")
	pr("and the whisker the least and the most. ")
	pr("The \"vs\" columns are the medians of the per-round ratios: how many times faster the section's first vlmrt runtime is ")
	pr("than the peer (above 1: vlmrt faster).\n\n")
	for _, n := range r.Notes {
		pr("- %s\n", n)
	}
	if len(r.Notes) > 0 {
		pr("\n")
	}
	if err := renderCaption(r, dir, w); err != nil {
		return err
	}
	for _, s := range sections {
		if len(r.cases(s.bench)) == 0 {
			continue
		}
		if err := renderSection(r, s, dir, w); err != nil {
			return err
		}
	}
	if err := renderThreads(r, dir, w); err != nil {
		return err
	}
	if len(r.Checks) > 0 {
		pr("## Checks\n\n")
		for _, c := range r.Checks {
			pr("- %s\n", c)
		}
		pr("\n")
	}
	pr("## How to repeat\n\n")
	pr("```sh\n")
	pr("apt-get install python3-numpy python3-torch python3-onnx python3-pil libopenblas0-pthread nodejs npm\n")
	pr("tools/bench_report.sh            # every benchmark, 3 rounds: bench/report.json, bench/report.md, bench/report_*.png\n")
	pr("tools/bench_report.sh --quick    # one round, fewer shapes, shorter runs (a few minutes)\n")
	pr("cd bench/report && go run . -in ../report.json -out ..    # the page and charts again from the data\n")
	pr("```\n\n")
	if r.Command != "" {
		pr("This page: `%s`. ", r.Command)
	}
	pr("The script writes each step's raw output under its log directory (`--logs DIR`) and assembles them with `go run . assemble`; ")
	pr("bench/README.md describes each benchmark and its peers.\n")
	return nil
}

func cell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

// cellValue writes a row's median with the range of the rounds.
func cellValue(row *Row) string {
	if row == nil || math.IsNaN(row.Value) {
		return ""
	}
	if row.Min == row.Max || countSamples(row) < 2 {
		return formatValue(row.Value)
	}
	return fmt.Sprintf("%s (%s-%s)", formatValue(row.Value), formatValue(row.Min), formatValue(row.Max))
}

func countSamples(row *Row) int {
	n := 0
	for _, s := range row.Samples {
		if s != nil {
			n++
		}
	}
	return n
}

func formatRatio(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return fmt.Sprintf("%.2f", v)
}

// speedup is how many times faster a runs than b: the ratio of rates or
// the inverse ratio of times.
func speedup(a, b *Row, higher bool) float64 {
	if higher {
		return ratio(a, b)
	}
	return ratio(b, a)
}

func isVlmrt(runtime string) bool { return strings.HasPrefix(runtime, "vlmrt") }

func renderSection(r *Results, s section, dir string, w io.Writer) error {
	pr := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	cases := r.cases(s.bench)
	runtimes := r.runtimes(s.bench)
	if !slices.ContainsFunc(cases, func(c string) bool { return r.find(s.bench, c, s.ref) != nil }) {
		s.ref = ""
	}
	if s.ref != "" && !s.byRuntime {
		// Only the cases that the reference runtime measured.
		cases = slices.DeleteFunc(cases, func(c string) bool { return r.find(s.bench, c, s.ref) == nil })
	}
	var peers []string
	for _, rt := range runtimes {
		if !isVlmrt(rt) && s.ref != "" {
			peers = append(peers, rt)
		}
	}
	pr("## %s\n\n%s\n\n", s.title, s.intro)
	pr("![%s](%s)\n\n", s.title, s.chart)
	first := "case"
	if s.bench == "matmul" || s.bench == "matmul_int8" {
		first = "M x K x N"
	}
	pr("| %s (%s) |", first, r.unit(s.bench))
	for _, rt := range runtimes {
		pr(" %s |", rt)
	}
	for _, p := range peers {
		pr(" %s vs %s |", s.ref, p)
	}
	pr("\n|---|%s%s\n", strings.Repeat("---:|", len(runtimes)), strings.Repeat("---:|", len(peers)))
	for _, c := range cases {
		pr("| %s |", c)
		for _, rt := range runtimes {
			pr(" %s |", cellValue(r.find(s.bench, c, rt)))
		}
		for _, p := range peers {
			pr(" **%s** |", formatRatio(speedup(r.find(s.bench, c, s.ref), r.find(s.bench, c, p), s.higher)))
		}
		pr("\n")
	}
	if slices.Contains(cases, "float32") && slices.Contains(cases, "int8") {
		pr("| float32 / int8 |")
		for _, rt := range runtimes {
			pr(" %s |", formatRatio(speedup(r.find(s.bench, "int8", rt), r.find(s.bench, "float32", rt), s.higher)))
		}
		pr("%s\n", strings.Repeat(" |", len(peers)))
	}
	pr("\n")

	// The chart.
	ch := &chart{title: s.title, valueLabel: s.valueLabel}
	if s.byRuntime {
		ch.groups = runtimes
		for i, c := range cases {
			ch.series = append(ch.series, seriesOf(r, s.bench, c, runtimes, func(cas, rt string) *Row { return r.find(s.bench, cas, rt) }, i))
		}
		ch.width, ch.height = 8*vg.Inch, 4*vg.Inch
	} else {
		ch.groups = cases
		for i, rt := range runtimes {
			if slices.Contains(s.chartSkip, rt) {
				continue
			}
			ch.series = append(ch.series, seriesOf(r, s.bench, rt, cases, func(rt, cas string) *Row { return r.find(s.bench, cas, rt) }, i))
		}
	}
	return ch.save(filepath.Join(dir, s.chart))
}

// seriesOf collects name's rows over groups.
func seriesOf(r *Results, bench, name string, groups []string, get func(name, group string) *Row, i int) series {
	s := series{name: name, color: colorOf(name, i)}
	for _, g := range groups {
		row := get(name, g)
		if row == nil {
			s.values, s.lo, s.hi = append(s.values, math.NaN()), append(s.lo, math.NaN()), append(s.hi, math.NaN())
			continue
		}
		s.values, s.lo, s.hi = append(s.values, row.Value), append(s.lo, row.Min), append(s.hi, row.Max)
	}
	return s
}

// captionParts are the parts of the caption's time, in order.
var captionParts = []string{"decode", "preprocess", "encode + generate"}

func renderCaption(r *Results, dir string, w io.Writer) error {
	runtimes := r.runtimes("caption")
	if len(runtimes) == 0 {
		return nil
	}
	pr := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	pr("## Caption end to end: the shapes model, one image\n\n")
	pr("The trained shapes model (`models/shapes`: dl_techniques CLIP encoder, 3 layers x 64, and a MultiTaskVLMHead whose caption decoder has ")
	pr("2 layers x 64) captions each of the 8 demo images (`models/shapes/images/test_00N.png`, 128 x 128 PNG): decode the PNG, preprocess ")
	pr("(bicubic resize to 64 x 64, rescale, normalise), run the vision tower (65 tokens), decode greedily to EOS (at most 20 tokens; ")
	pr("11.0 tokens per image here, EOS included). CPU ms per image, one thread, and tokens/s over preprocess + encode + generate.\n\n")
	pr("- vlmrt: `BenchmarkCaptionShapes` (`pipeline.Load`, `CaptionTokens` + `CaptionText`, what `p.Caption` runs; the decode with Go's `preprocess.Decode`); ")
	pr("its greedy decoding keeps the keys and values of the prefix.\n")
	pr("- PyTorch: `tools/bench_caption.py` (Pillow decode and resize, `tools/shapes/model.py`'s `encode_image` and `greedy`, which recomputes the whole prefix at each step).\n")
	pr("- ONNX Runtime: `tools/bench_caption_ort.js`: the vision tower and one decoding step (the whole prefix recomputed) exported by torch, ")
	pr("the greedy loop in JavaScript, one `session.run` per token; decode and preprocess are Pillow's, as PyTorch's run measured them ")
	pr("(ONNX Runtime runs neither). int8: `tools/quantize_onnx.py`'s form of the two models.\n\n")
	pr("![caption end to end](report_caption.png)\n\n")
	base := r.find("caption", "total", "vlmrt")
	baseGen := r.find("caption", "encode + generate", "vlmrt")
	pr("| runtime | decode ms | preprocess ms | encode + generate ms | total ms per image | tokens/s | total: vlmrt faster by | encode + generate: vlmrt faster by |\n")
	pr("|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, rt := range runtimes {
		pr("| %s |", rt)
		for _, p := range append(slices.Clone(captionParts), "total") {
			pr(" %s |", cellValue(r.find("caption", p, rt)))
		}
		pr(" %s |", cellValue(r.find("caption_rate", "tokens/s", rt)))
		if isVlmrt(rt) {
			pr(" | |\n")
			continue
		}
		pr(" **%s** | %s |\n", formatRatio(speedup(base, r.find("caption", "total", rt), false)),
			formatRatio(speedup(baseGen, r.find("caption", "encode + generate", rt), false)))
	}
	pr("\n")
	for _, rt := range r.runtimes("caption_detail") {
		var parts []string
		for _, c := range r.cases("caption_detail") {
			if row := r.find("caption_detail", c, rt); row != nil {
				parts = append(parts, fmt.Sprintf("%s %s us", c, formatValue(row.Value)))
			}
		}
		pr("%s, CPU per call: %s. ", rt, strings.Join(parts, ", "))
	}
	if len(r.runtimes("caption_detail")) > 0 {
		pr("A step recomputes the whole prefix: the difference between its time at the shortest and at the longest prefix ")
		pr("bounds what a KV cache would save per step.\n\n")
	}
	ch := &chart{title: "Caption end to end: one 128 x 128 PNG to words (shapes model)", valueLabel: "CPU ms per image, one thread",
		groups: slices.Clone(runtimes), horizontal: true, stacked: true, unitSuffix: " ms",
		width: 8 * vg.Inch, height: vg.Length(1.2+0.45*float64(len(runtimes))) * vg.Inch}
	slices.Reverse(ch.groups) // the first runtime on top
	for _, rt := range ch.groups {
		t := math.NaN()
		if row := r.find("caption", "total", rt); row != nil {
			t = row.Value
		}
		ch.totals = append(ch.totals, t)
	}
	for i, p := range captionParts {
		ch.series = append(ch.series, seriesOf(r, "caption", p, ch.groups, func(p, rt string) *Row { return r.find("caption", p, rt) }, i))
	}
	return ch.save(filepath.Join(dir, "report_caption.png"))
}

func renderThreads(r *Results, dir string, w io.Writer) error {
	cases := r.cases("threads")
	if len(cases) == 0 {
		return nil
	}
	pr := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	pr("## Thread scaling\n\n")
	pr("vlmrt on two threads against one, wall clock (`BenchmarkMatMul/.../threads2` beside the one-thread avx512 run; `BenchmarkViTB16/threads1` and `threads2`). ")
	pr("On a machine whose other vCPU is busy with other jobs the second thread gets little time, and the speed-up says more about the load than about vlmrt: read it with the load above.\n\n")
	pr("![thread scaling](report_threads.png)\n\n")
	pr("| workload | one thread | two threads | speed-up |\n|---|---:|---:|---:|\n")
	for _, c := range cases {
		var one *Row
		for _, l := range []string{"1 thread", "1 thread, avx512", "1 thread, avx2", "1 thread, neon"} {
			if one = r.find("threads_raw", c, l); one != nil {
				break
			}
		}
		two := r.find("threads_raw", c, "2 threads")
		unit := ""
		if two != nil {
			unit = " " + two.Unit
		}
		pr("| %s | %s%s | %s%s | **%s** |\n", c, cellValue(one), unit, cellValue(two), unit, cellValue(r.find("threads", c, "2 threads")))
	}
	pr("\n")
	ch := &chart{title: "Thread scaling: two threads over one (wall clock)", valueLabel: "speed-up (x)", groups: cases,
		refLine: 2, refLabel: "ideal 2x", unitSuffix: "x", width: 8 * vg.Inch, height: 3.6 * vg.Inch,
		format: func(v float64) string { return fmt.Sprintf("%.2f", v) }}
	ch.series = append(ch.series, seriesOf(r, "threads", "2 threads", cases, func(rt, c string) *Row { return r.find("threads", c, rt) }, 0))
	return ch.save(filepath.Join(dir, "report_threads.png"))
}
