// Command synth writes a model file with random weights for a head config,
// so that heads of any size can be run and measured without a trained model:
//
//	go run ./bench/synth -class ImageCaptioningHead \
//	    -config '{"num_layers":6,"num_heads":12,"ffn_type":"mlp","vision_dim":768,
//	              "task_config":{"name":"cap","hidden_size":768,"vocab_size":32000}}' \
//	    -inputs vision_features=1x197x768,text_features=1x16x768 -out cap.safetensors
//
// The file holds the weights under the paths the head reads, the metadata,
// and random inputs named "input.<key>", so "vlmrt bench --model" runs it
// as it is.
package main

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/vlmrt/vlmrt/heads"
	"github.com/vlmrt/vlmrt/weights"
)

// recorder answers every weight a head asks for with zeros of the asked
// shape and remembers the full path and shape.
type recorder struct {
	head  string
	seen  map[string][]int
	extra map[string][]int // optional tensors to add (token_embedding, ...)
}

func (r *recorder) Float32(path string, shape ...int) ([]float32, error) {
	if s, ok := r.extra[path]; ok && len(shape) == 0 {
		shape = s
	}
	n := 1
	for _, d := range shape {
		n *= d
	}
	r.seen[r.head+"/"+path] = append([]int{}, shape...)
	return make([]float32, n), nil
}

func (r *recorder) Has(path string) bool { _, ok := r.extra[path]; return ok }

func main() {
	class := flag.String("class", heads.ClassCaptioning, "head class_name")
	config := flag.String("config", "", "head config JSON (get_config() form, with task_config)")
	inputs := flag.String("inputs", "", "inputs as key=AxBxC,... (random values)")
	out := flag.String("out", "", "file to write")
	vocabEmbedding := flag.Int("embedding", 0, "add token_embedding [V, D] and position_embedding [this, D] for generation")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if err := run(*class, *config, *inputs, *out, *vocabEmbedding, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "synth:", err)
		os.Exit(1)
	}
}

func run(class, config, inputs, out string, positions int, seed uint64) error {
	if config == "" || out == "" {
		return fmt.Errorf("-config and -out are required")
	}
	md := map[string]string{"class_name": class, "config": config}
	seen := map[string][]int{}
	var extra map[string][]int
	if positions > 0 {
		if err := probeEmbedding(md, &extra, positions); err != nil {
			return err
		}
	}
	if _, err := heads.NewFromSource(md, func(head string) heads.Source {
		return &recorder{head: head, seen: seen, extra: extra}
	}); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, seed+1))
	w := weights.NewWriter()
	for k, v := range md {
		w.SetMetadata(k, v)
	}
	names := make([]string, 0, len(seen))
	for name := range seen {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		shape := seen[name]
		if err := w.AddFloat32(name, shape, random(rng, shape)); err != nil {
			return err
		}
	}
	if inputs != "" {
		for _, spec := range strings.Split(inputs, ",") {
			key, dims, ok := strings.Cut(spec, "=")
			if !ok {
				return fmt.Errorf("input %q: want key=AxBxC", spec)
			}
			var shape []int
			for _, d := range strings.Split(dims, "x") {
				n, err := strconv.Atoi(d)
				if err != nil || n < 1 {
					return fmt.Errorf("input %q: bad dimension %q", spec, d)
				}
				shape = append(shape, n)
			}
			if err := w.AddFloat32(heads.InputPrefix+key, shape, random(rng, shape)); err != nil {
				return err
			}
		}
	}
	return w.WriteFile(out)
}

// probeEmbedding learns the hidden size and vocabulary from a first build
// and asks for embedding tables of that size.
func probeEmbedding(md map[string]string, extra *map[string][]int, positions int) error {
	seen := map[string][]int{}
	if _, err := heads.NewFromSource(md, func(head string) heads.Source {
		return &recorder{head: head, seen: seen}
	}); err != nil {
		return err
	}
	for name, shape := range seen {
		if strings.HasSuffix(name, "_output_proj/kernel") {
			*extra = map[string][]int{
				"token_embedding":    {shape[1], shape[0]},
				"position_embedding": {positions, shape[0]},
			}
			return nil
		}
	}
	return fmt.Errorf("the head has no decoder to generate with")
}

// random returns values for shape: kernels scaled by 1/sqrt(fan-in), other
// tensors near 1 (norm scales, temperatures) or small.
func random(rng *rand.Rand, shape []int) []float32 {
	n := 1
	for _, d := range shape {
		n *= d
	}
	v := make([]float32, n)
	scale := 0.1
	if len(shape) >= 2 && shape[0] > 0 {
		scale = 1 / math.Sqrt(float64(shape[0]))
	}
	for i := range v {
		v[i] = float32(scale * rng.NormFloat64())
	}
	if len(shape) <= 1 {
		for i := range v {
			v[i] += 1
		}
	}
	return v
}
