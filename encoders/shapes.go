package encoders

import "fmt"

// TensorShapes returns the name and shape of every tensor that Load reads
// for cfg, as a transformers state_dict holds them, projections included.
// It serves tools that write weights (random ones for benchmarks) or check
// a file before loading it.
func TensorShapes(cfg Config) map[string][]int {
	s := map[string][]int{}
	linear := func(name string, out, in int, bias bool) {
		s[name+".weight"] = []int{out, in}
		if bias {
			s[name+".bias"] = []int{out}
		}
	}
	norm := func(name string, d int) {
		s[name+".weight"] = []int{d}
		s[name+".bias"] = []int{d}
	}
	layers := func(prefix string, c *TowerConfig) {
		d := c.Hidden
		for i := range c.Layers {
			p := fmt.Sprintf("%s.%d.", prefix, i)
			norm(p+"layer_norm1", d)
			for _, n := range []string{"q_proj", "k_proj", "v_proj", "out_proj"} {
				linear(p+"self_attn."+n, d, d, true)
			}
			norm(p+"layer_norm2", d)
			linear(p+"mlp.fc1", c.Intermediate, d, true)
			linear(p+"mlp.fc2", d, c.Intermediate, true)
		}
	}
	if v := cfg.Vision; v != nil {
		const e = "vision_model.embeddings."
		d := v.Hidden
		s[e+"patch_embedding.weight"] = []int{d, v.Channels, v.PatchSize, v.PatchSize}
		tokens := v.Patches()
		if cfg.Family == CLIP {
			s[e+"class_embedding"] = []int{d}
			tokens++
			norm("vision_model.pre_layrnorm", d)
			linear("visual_projection", cfg.Projection, d, false)
		} else {
			s[e+"patch_embedding.bias"] = []int{d}
			const h = "vision_model.head."
			s[h+"probe"] = []int{1, 1, d}
			s[h+"attention.in_proj_weight"] = []int{3 * d, d}
			s[h+"attention.in_proj_bias"] = []int{3 * d}
			linear(h+"attention.out_proj", d, d, true)
			norm(h+"layernorm", d)
			linear(h+"mlp.fc1", v.Intermediate, d, true)
			linear(h+"mlp.fc2", d, v.Intermediate, true)
		}
		s[e+"position_embedding.weight"] = []int{tokens, d}
		layers("vision_model.encoder.layers", v)
		norm("vision_model.post_layernorm", d)
	}
	if t := cfg.Text; t != nil {
		const e = "text_model.embeddings."
		s[e+"token_embedding.weight"] = []int{t.Vocab, t.Hidden}
		s[e+"position_embedding.weight"] = []int{t.MaxPositions, t.Hidden}
		layers("text_model.encoder.layers", t)
		norm("text_model.final_layer_norm", t.Hidden)
		linear("text_projection", cfg.Projection, t.Hidden, false)
	}
	return s
}
