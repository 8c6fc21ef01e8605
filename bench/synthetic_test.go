package bench

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/vlmrt/vlmrt/heads"
)

// syntheticSource serves random weights of whatever shape a head asks for,
// so that heads of any size can be benchmarked without a model file.
// Kernels are scaled by 1/sqrt(in), vectors and norms sit near 1.
type syntheticSource struct {
	rng      *rand.Rand
	optional map[string][]int // optional tensors to serve (token_embedding, ...)
}

func (s *syntheticSource) Float32(path string, shape ...int) ([]float32, error) {
	if len(shape) == 0 {
		if opt, ok := s.optional[path]; ok {
			shape = opt
		} else {
			shape = []int{1} // a scalar: the temperatures
		}
	}
	n := 1
	for _, d := range shape {
		n *= d
	}
	scale := float32(0.1)
	if len(shape) == 2 {
		scale = float32(1 / math.Sqrt(float64(shape[0])))
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = scale * float32(s.rng.NormFloat64())
	}
	if len(shape) <= 1 && (len(v) == 1) {
		v[0] = 1 + float32(math.Abs(float64(v[0]))) // temperatures and lambdas stay positive
	}
	return v, nil
}

func (s *syntheticSource) Has(path string) bool {
	_, ok := s.optional[path]
	return ok
}

// syntheticModel builds a head of class with the given head keys and
// task_config, its weights random.
func syntheticModel(tb testing.TB, class string, headKeys, task map[string]any, optional map[string][]int, opts ...heads.LoadOption) *heads.Model {
	tb.Helper()
	cfg := map[string]any{}
	for k, v := range headKeys {
		cfg[k] = v
	}
	cfg["task_config"] = task
	js, err := json.Marshal(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	src := &syntheticSource{rng: rand.New(rand.NewPCG(1, 2)), optional: optional}
	m, err := heads.NewFromSource(map[string]string{"class_name": class, "config": string(js)},
		func(string) heads.Source { return src }, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// randomInputs returns random values for every input of shapes.
func randomInputs(shapes map[string][]int) heads.Inputs {
	rng := rand.New(rand.NewPCG(3, 4))
	in := heads.Inputs{Shapes: shapes, Values: map[string][]float32{}}
	for k, s := range shapes {
		n := 1
		for _, d := range s {
			n *= d
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		in.Values[k] = v
	}
	return in
}
