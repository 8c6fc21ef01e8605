package heads

import (
	"path/filepath"
	"sort"
	"testing"

	"github.com/vlmrt/vlmrt/generate"
	"github.com/vlmrt/vlmrt/weights"
)

// FuzzConfig loads a real head's weights under an arbitrary class and config:
// every input must give a model or an error, never a panic or an allocation
// sized by the config alone. Models that load are compiled and run on the
// fixture's inputs.
func FuzzConfig(f *testing.F) {
	fixtures := []string{"captioning_mlp", "vqa_attention", "grounding_gated", "matching_swiglu_rms", "multitask"}
	files := make([]*weights.File, len(fixtures))
	for i, name := range fixtures {
		file, err := weights.Open(filepath.Join(kerasDir, name+".safetensors"))
		if err != nil {
			f.Fatal(err)
		}
		defer file.Close()
		files[i] = file
		md := file.Metadata()
		f.Add(uint8(i), md["class_name"], md["config"])
	}
	f.Add(uint8(0), ClassCaptioning, `{"num_layers":1e12,"task_config":{"name":"cap","hidden_size":4e9,"vocab_size":-3}}`)
	f.Add(uint8(2), ClassDenseCaptioning, `{"num_regions":0,"task_config":{"name":"grounding","vocab_size":1e15}}`)
	f.Fuzz(func(t *testing.T, which uint8, class, config string) {
		file := files[int(which)%len(files)]
		md := file.Metadata()
		md["class_name"], md["config"] = class, config
		m, err := NewFromSource(md, func(head string) Source { return file.Scope(head) })
		if err != nil {
			return
		}
		in, err := ReadInputs(file)
		if err != nil {
			t.Fatal(err)
		}
		plan, err := m.Compile(in.Shapes)
		if err != nil || plan.ArenaBytes() > 64<<20 {
			return
		}
		s := plan.NewSession()
		if in.Fill(s) == nil {
			s.Run()
		}
	})
}

// FuzzShapes compiles real heads for arbitrary input shapes: each input
// gets a rank and dimensions from the fuzzer (each dimension up to 1023),
// and every shape must give a plan (and, for a decoder with token
// embeddings, a generator) or an error, never a panic. Plans that compile
// with a small arena run once on zero inputs.
func FuzzShapes(f *testing.F) {
	fixtures := []string{
		filepath.Join(kerasDir, "captioning_mlp"), filepath.Join(kerasDir, "vqa_attention"),
		filepath.Join(kerasDir, "grounding_gated"), filepath.Join(kerasDir, "matching_swiglu_rms"),
		filepath.Join(kerasDir, "multitask"), filepath.Join(referenceDir, "captioning_differential"),
		filepath.Join(referenceDir, "dense_captioning_k4"), filepath.Join(referenceDir, "dialogue_candidates"),
		filepath.Join(referenceDir, "generation_mlp"),
	}
	type loaded struct {
		m  *Model
		in Inputs
	}
	var models []loaded
	for _, name := range fixtures {
		_, m, in := openModel(f, name+".safetensors")
		models = append(models, loaded{m, in})
	}
	f.Add(uint8(0), []byte{3, 1, 0, 197, 0, 3, 1, 0, 16, 3})
	f.Add(uint8(1), []byte{2, 0, 0, 0, 0})
	f.Add(uint8(4), []byte{1, 255, 255, 4, 0, 0, 0, 1, 0, 1, 0, 1})
	f.Add(uint8(8), []byte{})                  // generation with the fixture's shapes
	f.Add(uint8(8), []byte{3, 2, 0, 5, 0, 32}) // generation over 2 images of 5 tokens of 32
	f.Fuzz(func(t *testing.T, which uint8, dims []byte) {
		l := models[int(which)%len(models)]
		keys := make([]string, 0, len(l.in.Shapes))
		for k := range l.in.Shapes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		shapes := map[string][]int{}
		for _, k := range keys {
			if len(dims) == 0 {
				shapes[k] = l.in.Shapes[k]
				continue
			}
			rank := int(dims[0]) % 5
			dims = dims[1:]
			shape := make([]int, 0, rank)
			for range rank {
				if len(dims) < 2 {
					break
				}
				shape = append(shape, int(dims[0])|int(dims[1]&3)<<8)
				dims = dims[2:]
			}
			shapes[k] = shape
		}
		if plan, err := l.m.Compile(shapes); err == nil && plan.ArenaBytes() <= 64<<20 {
			plan.NewSession().Run()
		}
		// Heads with a decoder and token embeddings also generate: a
		// generator or an error for the same shapes, and a few tokens from
		// zero inputs when the memory is small.
		g, err := l.m.NewGenerator(shapes, MaxLength(3), Beam(2))
		if err != nil || g.plan.ArenaBytes() > 64<<20 {
			return
		}
		in := Inputs{Shapes: shapes, Values: map[string][]float32{}}
		for k, shape := range shapes {
			n := 1
			for _, d := range shape {
				n *= d
			}
			in.Values[k] = make([]float32, n)
		}
		_, _ = g.Generate(in, generate.Options{BOS: 1, EOS: 2, MaxLength: 3, Beam: 2})
	})
}
