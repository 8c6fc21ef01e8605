package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The logs that tools/bench_report.sh writes, and what assemble reads:
//
//	LOGS/meta.txt        "key: value" lines: machine, cpu, date_start, date_end, mode,
//	                     rounds, commit, go, command, peer.NAME, note (repeatable)
//	LOGS/load.txt        "<step> <load1> <load5> <load15>" before each step
//	LOGS/roundN/go_*.txt `go test -bench` text output (any of the bench/ benchmarks below)
//	LOGS/roundN/openblas.txt      tools/bench_openblas.py
//	LOGS/roundN/torch.txt         tools/bench_torch.py (matmul, decoder layer)
//	LOGS/roundN/torch_int8.txt    tools/bench_torch.py --int8
//	LOGS/roundN/vit_torch.txt     tools/bench_vit.py; vit_torch_int8.txt with --int8
//	LOGS/roundN/ort.txt           tools/bench_ort.sh on the float models; ort_int8.txt: int8
//	LOGS/roundN/caption_torch.txt tools/bench_caption.py
//	LOGS/roundN/caption_ort.txt   tools/bench_caption_ort.js; caption_ort_int8.txt: int8

// collector gathers each round's values into rows.
type collector struct {
	rounds int
	round  int
	rows   []*Row
	checks map[string][]string // check name -> each round's outcome
	order  []string
}

func (c *collector) add(bench, cas, runtime, unit string, v float64) {
	var row *Row
	for _, r := range c.rows {
		if r.Bench == bench && r.Case == cas && r.Runtime == runtime {
			row = r
			break
		}
	}
	if row == nil {
		row = &Row{Bench: bench, Case: cas, Runtime: runtime, Unit: unit, Samples: make([]*float64, c.rounds)}
		c.rows = append(c.rows, row)
	}
	row.Samples[c.round] = &v
}

func (c *collector) get(bench, cas, runtime string) (float64, bool) {
	for _, r := range c.rows {
		if r.Bench == bench && r.Case == cas && r.Runtime == runtime && r.Samples[c.round] != nil {
			return *r.Samples[c.round], true
		}
	}
	return 0, false
}

func (c *collector) check(name, outcome string) {
	if c.checks == nil {
		c.checks = map[string][]string{}
	}
	if _, ok := c.checks[name]; !ok {
		c.order = append(c.order, name)
	}
	c.checks[name] = append(c.checks[name], outcome)
}

// assemble reads the logs of dir into Results.
func assemble(dir string) (*Results, error) {
	meta, notes, err := readMeta(filepath.Join(dir, "meta.txt"))
	if err != nil {
		return nil, err
	}
	roundDirs, _ := filepath.Glob(filepath.Join(dir, "round*"))
	slices.SortFunc(roundDirs, func(a, b string) int { return roundNumber(a) - roundNumber(b) })
	if len(roundDirs) == 0 {
		return nil, fmt.Errorf("%s: no round* directory", dir)
	}
	c := &collector{rounds: len(roundDirs)}
	for i, rd := range roundDirs {
		c.round = i
		if err := c.readRound(rd); err != nil {
			return nil, err
		}
	}
	r := &Results{
		Machine: meta["machine"], CPU: meta["cpu"], Mode: meta["mode"], Rounds: len(roundDirs),
		Commit: meta["commit"], Go: meta["go"], Command: meta["command"], Notes: notes,
		Date: strings.TrimSpace(meta["date_start"] + " to " + meta["date_end"]),
		Load: loadSummary(filepath.Join(dir, "load.txt")),
	}
	for k, v := range meta {
		if name, ok := strings.CutPrefix(k, "peer."); ok {
			if r.Peers == nil {
				r.Peers = map[string]string{}
			}
			r.Peers[name] = v
		}
	}
	for _, row := range c.rows {
		row.finish()
		r.Rows = append(r.Rows, *row)
	}
	for _, name := range c.order {
		r.Checks = append(r.Checks, fmt.Sprintf("%s: %s", name, summarize(c.checks[name])))
	}
	return r, nil
}

func roundNumber(path string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(filepath.Base(path), "round"))
	return n
}

// summarize gives each round's outcome, or the one outcome of every round.
func summarize(outcomes []string) string {
	same := true
	for _, o := range outcomes {
		same = same && o == outcomes[0]
	}
	if same {
		if len(outcomes) == 1 {
			return outcomes[0]
		}
		return fmt.Sprintf("%s (every round of %d)", outcomes[0], len(outcomes))
	}
	return strings.Join(outcomes, "; ") + " (by round)"
}

func readMeta(path string) (map[string]string, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	meta := map[string]string{}
	var notes []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k == "note" {
			notes = append(notes, v)
		} else {
			meta[k] = v
		}
	}
	return meta, notes, sc.Err()
}

// loadSummary gives the range of the 1-minute load averages in path.
func loadSummary(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var loads []float64
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 4 {
			if v, err := strconv.ParseFloat(f[len(f)-3], 64); err == nil {
				loads = append(loads, v)
			}
		}
	}
	if len(loads) == 0 {
		return ""
	}
	return fmt.Sprintf("1-minute load average %.1f-%.1f (median %.1f, %d samples, one before each step)",
		slices.Min(loads), slices.Max(loads), median(loads), len(loads))
}

func (c *collector) readRound(dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return err
	}
	slices.Sort(files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		text := string(data)
		switch base := strings.TrimSuffix(filepath.Base(f), ".txt"); {
		case strings.HasPrefix(base, "go_"):
			c.goBench(text)
		case base == "openblas":
			c.openblas(text)
		case base == "torch":
			c.torch(nameValues(text))
		case base == "torch_int8":
			c.torchInt8(nameValues(text))
		case base == "vit_torch" || base == "vit_torch_int8":
			c.vitTorch(nameValues(text))
		case base == "ort" || base == "ort_int8":
			c.ort(nameValues(text), base == "ort_int8")
		}
	}
	// The caption peers last: ONNX Runtime's front end is the PyTorch run's.
	for _, name := range []string{"caption_torch", "caption_ort", "caption_ort_int8"} {
		data, err := os.ReadFile(filepath.Join(dir, name+".txt"))
		if err != nil {
			continue
		}
		nv := nameValues(string(data))
		if name == "caption_torch" {
			c.captionTorch(nv)
		} else {
			c.captionORT(nv, name == "caption_ort_int8")
		}
	}
	c.threadScaling()
	return nil
}

// goBenchLine is one result line of `go test -bench`.
var goBenchLine = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

type goResult struct {
	name    string
	metrics map[string]float64
}

func parseGoBench(text string) []goResult {
	var out []goResult
	for _, line := range strings.Split(text, "\n") {
		m := goBenchLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		f := strings.Fields(m[2])
		r := goResult{name: m[1], metrics: map[string]float64{}}
		for i := 0; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				r.metrics[f[i+1]] = v
			}
		}
		out = append(out, r)
	}
	return out
}

func (c *collector) goBench(text string) {
	for _, r := range parseGoBench(text) {
		p := strings.Split(r.name, "/")
		m := r.metrics
		switch {
		case p[0] == "MatMul" && len(p) == 3 && (p[2] == "avx512" || p[2] == "avx2" || p[2] == "neon"):
			c.add("matmul", p[1], "vlmrt "+p[2], "GFLOP/s", m["cpu-GFLOP/s"])
			c.add("threads_raw", "matmul "+p[1], "1 thread, "+p[2], "GFLOP/s", m["GFLOP/s"])
		case p[0] == "MatMul" && len(p) == 3 && p[2] == "threads2":
			c.add("threads_raw", "matmul "+p[1], "2 threads", "GFLOP/s", m["GFLOP/s"])
		case p[0] == "Int8MatMul" && len(p) == 4:
			c.add("matmul_int8", p[1], "vlmrt "+p[2]+" "+p[3], "GOP/s", m["cpu-GOP/s"])
		case p[0] == "Int8DecoderLayer" && len(p) == 3:
			c.add("decoder_layer", p[2], "vlmrt "+p[1], "ms", m["cpu-ms/run"])
		case p[0] == "Int8ViTB16" && len(p) == 3:
			c.add("vit_b16", p[2], "vlmrt "+p[1], "ms", m["cpu-ms/image"])
		case p[0] == "ViTB16" && len(p) == 2:
			if n := strings.TrimPrefix(p[1], "threads"); n == "1" {
				c.add("threads_raw", "ViT-B/16", "1 thread", "ms", m["ms/image"])
			} else {
				c.add("threads_raw", "ViT-B/16", n+" threads", "ms", m["ms/image"])
			}
		case p[0] == "CaptionShapes" && len(p) == 2:
			rt := "vlmrt"
			if p[1] != "float32" {
				rt += " " + p[1]
			}
			total, prep, capt := m["cpu-ms/image"], m["preprocess-cpu-ms"], m["caption-cpu-ms"]
			c.add("caption", "decode", rt, "ms", m["decode-cpu-ms"])
			c.add("caption", "preprocess", rt, "ms", prep)
			c.add("caption", "encode + generate", rt, "ms", capt-prep)
			c.add("caption", "total", rt, "ms", total)
			c.add("caption_rate", "tokens/s", rt, "tokens/s", m["cpu-tokens/s"])
			c.add("caption_rate", "tokens/image", rt, "tokens", m["tokens/image"])
			if n, ok := m["torch-identical/8"]; ok {
				c.check("caption tokens equal to PyTorch's, "+rt, fmt.Sprintf("%.0f/8", n))
			}
		}
	}
}

// threadScaling turns the wall-clock rates of one and two threads into
// speed-ups: a matmul's two threads run at the best level (avx512, else
// avx2, else neon).
func (c *collector) threadScaling() {
	for _, r := range c.rows {
		if r.Bench != "threads_raw" || r.Runtime != "2 threads" || r.Samples[c.round] == nil {
			continue
		}
		two := *r.Samples[c.round]
		if r.Case == "ViT-B/16" {
			if one, ok := c.get("threads_raw", r.Case, "1 thread"); ok && two > 0 {
				c.add("threads", r.Case, "2 threads", "x", one/two)
			}
			continue
		}
		for _, level := range []string{"avx512", "avx2", "neon"} {
			if one, ok := c.get("threads_raw", r.Case, "1 thread, "+level); ok && one > 0 {
				c.add("threads", r.Case, "2 threads", "x", two/one)
				break
			}
		}
	}
}

// nameValues reads `name: value` lines; the value is the first field
// after the colon.
func nameValues(text string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, ": ")
		if !ok || strings.ContainsAny(k, " \t") {
			continue
		}
		out[k] = strings.TrimSpace(v)
	}
	return out
}

func num(nv map[string]string, key string) (float64, bool) {
	f := strings.Fields(nv[key])
	if len(f) == 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	return v, err == nil
}

var openblasLine = regexp.MustCompile(`^openblas (\d+x\d+x\d+): cpu-time ([0-9.]+) GFLOP/s`)

func (c *collector) openblas(text string) {
	for _, line := range strings.Split(text, "\n") {
		if m := openblasLine.FindStringSubmatch(line); m != nil {
			v, _ := strconv.ParseFloat(m[2], 64)
			c.add("matmul", m[1], "OpenBLAS", "GFLOP/s", v)
		}
	}
}

var shapeKey = regexp.MustCompile(`^matmul_(\d+x\d+x\d+)`)

func (c *collector) torch(nv map[string]string) {
	for _, k := range sortedKeys(nv) {
		if m := shapeKey.FindStringSubmatch(k); m != nil && strings.HasSuffix(k, "_bias_cpu_gflops") {
			if v, ok := num(nv, k); ok {
				c.add("matmul", m[1], "PyTorch", "GFLOP/s", v)
			}
		}
	}
	if v, ok := num(nv, "transformer_decoder_layer_16x197_cpu_us"); ok {
		c.add("decoder_layer", "float32", "PyTorch", "ms", v/1e3)
	}
}

func (c *collector) torchInt8(nv map[string]string) {
	for _, k := range sortedKeys(nv) {
		if s, ok := strings.CutPrefix(k, "int8_"); ok && strings.HasSuffix(k, "_cpu_gflops") {
			if m := shapeKey.FindStringSubmatch(s); m != nil {
				if v, ok := num(nv, k); ok {
					c.add("matmul_int8", m[1], "PyTorch int8", "GOP/s", v)
				}
			}
		}
	}
	if v, ok := num(nv, "int8_transformer_decoder_layer_16x197_cpu_us"); ok {
		c.add("decoder_layer", "int8", "PyTorch", "ms", v/1e3)
	}
}

func (c *collector) vitTorch(nv map[string]string) {
	if v, ok := num(nv, "torch_cpu_ms_p50"); ok {
		c.add("vit_b16", "float32", "PyTorch", "ms", v)
	}
	if v, ok := num(nv, "torch_int8_cpu_ms_p50"); ok {
		c.add("vit_b16", "int8", "PyTorch", "ms", v)
	}
}

func (c *collector) ort(nv map[string]string, int8 bool) {
	prec, mm, rt := "float32", "matmul", "ONNX Runtime"
	unit := "GFLOP/s"
	if int8 {
		prec, mm, rt, unit = "int8", "matmul_int8", "ONNX Runtime int8", "GOP/s"
	}
	pass, total := 0, 0
	for _, k := range sortedKeys(nv) {
		if strings.HasSuffix(k, ".ort_check") {
			total++
			if strings.HasPrefix(nv[k], "PASS") {
				pass++
			}
		}
		if m := shapeKey.FindStringSubmatch(k); m != nil && strings.HasSuffix(k, ".ort_cpu_gflops") {
			if v, ok := num(nv, k); ok {
				c.add(mm, m[1], rt, unit, v)
			}
		}
	}
	if v, ok := num(nv, "transformer_decoder_layer_16x197.ort_cpu_ms_p50"); ok {
		c.add("decoder_layer", prec, "ONNX Runtime", "ms", v)
	}
	if v, ok := num(nv, "vit_b16.ort_cpu_ms_p50"); ok {
		c.add("vit_b16", prec, "ONNX Runtime", "ms", v)
	}
	if total > 0 {
		what := "ONNX Runtime outputs against PyTorch's float32 (tolerance 1e-4)"
		if int8 {
			what = "ONNX Runtime int8 outputs against PyTorch's float32 (tolerance 0.05)"
		}
		c.check(what, fmt.Sprintf("%d/%d PASS", pass, total))
	}
}

func (c *collector) captionTorch(nv map[string]string) {
	parts := []struct{ key, cas string }{
		{"caption.torch_decode_cpu_ms_p50", "decode"},
		{"caption.torch_preprocess_cpu_ms_p50", "preprocess"},
		{"caption.torch_generate_cpu_ms_p50", "encode + generate"},
		{"caption.torch_cpu_ms_p50", "total"},
	}
	for _, p := range parts {
		if v, ok := num(nv, p.key); ok {
			c.add("caption", p.cas, "PyTorch", "ms", v)
		}
	}
	if v, ok := num(nv, "caption.torch_cpu_tokens_per_s"); ok {
		c.add("caption_rate", "tokens/s", "PyTorch", "tokens/s", v)
	}
	if v, ok := num(nv, "caption.torch_tokens_per_image"); ok {
		c.add("caption_rate", "tokens/image", "PyTorch", "tokens", v)
	}
	if s := nv["caption.torch_identical_to_captions_torch"]; s != "" {
		c.check("caption tokens equal to models/shapes/captions_torch.jsonl, PyTorch", s)
	}
}

// captionORT: ONNX Runtime runs the tower and the decoding loop; the PNG
// decode and the preprocessing are Pillow's, as PyTorch's front end in
// the same round measured them.
func (c *collector) captionORT(nv map[string]string, int8 bool) {
	prefix, rt := "caption.", "ONNX Runtime"
	if int8 {
		prefix, rt = "caption_int8.", "ONNX Runtime int8"
	}
	gen, ok := num(nv, prefix+"ort_cpu_ms_p50")
	if !ok {
		return
	}
	dec, okd := c.get("caption", "decode", "PyTorch")
	prep, okp := c.get("caption", "preprocess", "PyTorch")
	c.add("caption", "encode + generate", rt, "ms", gen)
	if okd && okp {
		c.add("caption", "decode", rt, "ms", dec)
		c.add("caption", "preprocess", rt, "ms", prep)
		c.add("caption", "total", rt, "ms", dec+prep+gen)
	}
	if tpi, ok := num(nv, prefix+"ort_tokens_per_image"); ok {
		c.add("caption_rate", "tokens/image", rt, "tokens", tpi)
		if okp {
			c.add("caption_rate", "tokens/s", rt, "tokens/s", tpi/(prep+gen)*1e3)
		}
	}
	keys := sortedKeys(nv)
	// The vision run first, then the steps by prefix length.
	slices.SortStableFunc(keys, func(a, b string) int {
		rank := func(k string) int {
			if strings.Contains(k, "vision") {
				return 0
			}
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(k, prefix+"ort_step_prefix"), "_cpu_us"))
			return 1 + n
		}
		return rank(a) - rank(b)
	})
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix+"ort_") || !strings.HasSuffix(k, "_cpu_us") {
			continue
		}
		part := strings.TrimSuffix(strings.TrimPrefix(k, prefix+"ort_"), "_cpu_us")
		if p, ok := strings.CutPrefix(part, "step_prefix"); ok {
			part = "one step, prefix of " + p
		} else if part == "vision" {
			part = "one vision run"
		}
		if v, ok := num(nv, k); ok {
			c.add("caption_detail", part, rt, "us", v)
		}
	}
	if s := nv[prefix+"ort_identical_to_torch"]; s != "" {
		c.check("caption tokens equal to PyTorch's, "+rt, s)
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
