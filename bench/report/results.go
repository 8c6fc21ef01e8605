package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
)

// Results is the report's data (bench/report.json): where and when the
// benchmarks ran, and one row per benchmark, case and runtime.
type Results struct {
	Machine string `json:"machine"`           // e.g. "2 vCPUs, shared with other jobs"
	CPU     string `json:"cpu"`               // model name, family and model, vector features
	Date    string `json:"date"`              // UTC, start and end
	Load    string `json:"load"`              // load averages seen during the run
	Mode    string `json:"mode"`              // "full" or "quick"
	Rounds  int    `json:"rounds"`            // rounds run back to back
	Commit  string `json:"commit,omitempty"`  // vlmrt's commit
	Go      string `json:"go,omitempty"`      // go version
	Command string `json:"command,omitempty"` // how the results were made
	// Peers names each peer's version and settings.
	Peers  map[string]string `json:"peers,omitempty"`
	Notes  []string          `json:"notes,omitempty"`  // what to know when reading
	Checks []string          `json:"checks,omitempty"` // the outputs' agreement
	Rows   []Row             `json:"rows"`
}

// Row is one measured value: the median of the rounds, their least and
// most, and each round's value (null where that round has none).
type Row struct {
	Bench   string     `json:"bench"`   // matmul, matmul_int8, decoder_layer, vit_b16, caption, caption_rate, threads
	Case    string     `json:"case"`    // a shape, a precision, a part of the caption's time
	Runtime string     `json:"runtime"` // vlmrt avx512, ONNX Runtime int8, PyTorch, OpenBLAS, ...
	Value   float64    `json:"value"`
	Min     float64    `json:"min"`
	Max     float64    `json:"max"`
	Unit    string     `json:"unit"`
	Samples []*float64 `json:"samples,omitempty"`
}

// finish sets Value, Min and Max from the samples.
func (r *Row) finish() {
	var v []float64
	for _, s := range r.Samples {
		if s != nil {
			v = append(v, *s)
		}
	}
	r.Value, r.Min, r.Max = median(v), slices.Min(v), slices.Max(v)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func readResults(path string) (*Results, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Results
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for i := range r.Rows {
		row := &r.Rows[i]
		if row.Bench == "" || row.Runtime == "" || row.Unit == "" {
			return nil, fmt.Errorf("%s: row %d: bench, runtime and unit are required", path, i)
		}
		if len(row.Samples) == 0 {
			v := row.Value
			row.Samples = []*float64{&v}
			if row.Min == 0 && row.Max == 0 {
				row.Min, row.Max = v, v
			}
		}
	}
	return &r, nil
}

func writeResults(path string, r *Results) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// find returns the row of bench, case and runtime, or nil.
func (r *Results) find(bench, cas, runtime string) *Row {
	for i := range r.Rows {
		row := &r.Rows[i]
		if row.Bench == bench && row.Case == cas && row.Runtime == runtime {
			return row
		}
	}
	return nil
}

// cases and runtimes list bench's cases and runtimes in the order of
// their first row.
func (r *Results) cases(bench string) []string {
	var out []string
	for _, row := range r.Rows {
		if row.Bench == bench && !slices.Contains(out, row.Case) {
			out = append(out, row.Case)
		}
	}
	return out
}

func (r *Results) runtimes(bench string) []string {
	var out []string
	for _, row := range r.Rows {
		if row.Bench == bench && !slices.Contains(out, row.Runtime) {
			out = append(out, row.Runtime)
		}
	}
	rank := func(rt string) int {
		if i := slices.Index(runtimeOrder, rt); i >= 0 {
			return i
		}
		return len(runtimeOrder)
	}
	slices.SortStableFunc(out, func(a, b string) int { return rank(a) - rank(b) })
	return out
}

// runtimeOrder is the order of the runtimes in tables and charts: vlmrt
// first, best level first, then the peers.
var runtimeOrder = []string{
	"vlmrt avx512", "vlmrt avx512 float32", "vlmrt avx512 int8",
	"vlmrt avx2", "vlmrt avx2 float32", "vlmrt avx2 int8",
	"vlmrt neon", "vlmrt neon float32", "vlmrt neon int8",
	"vlmrt", "vlmrt int8",
	"OpenBLAS", "PyTorch", "PyTorch int8", "ONNX Runtime", "ONNX Runtime int8",
}

// ratio is the median over the rounds of num's value over den's, each
// round with both; NaN when no round has both.
func ratio(num, den *Row) float64 {
	if num == nil || den == nil {
		return math.NaN()
	}
	var v []float64
	for i := range min(len(num.Samples), len(den.Samples)) {
		if a, b := num.Samples[i], den.Samples[i]; a != nil && b != nil && *b != 0 {
			v = append(v, *a / *b)
		}
	}
	if len(v) == 0 && num.Value > 0 && den.Value > 0 {
		return num.Value / den.Value
	}
	return median(v)
}

// unit is the unit of bench's rows.
func (r *Results) unit(bench string) string {
	for _, row := range r.Rows {
		if row.Bench == bench {
			return row.Unit
		}
	}
	return ""
}
