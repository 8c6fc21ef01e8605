package heads

import (
	"path/filepath"
	"testing"

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
		plan, err := m.Compile(in.Shapes, "")
		if err != nil || plan.ArenaBytes() > 64<<20 {
			return
		}
		s := plan.NewSession(nil)
		if in.Fill(s) == nil {
			s.Run()
		}
	})
}
