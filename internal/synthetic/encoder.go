// Package synthetic writes models with random weights, so that tests and
// benchmarks can run encoders of any size without a trained checkpoint.
package synthetic

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/vlmrt/vlmrt/encoders"
	"github.com/vlmrt/vlmrt/weights"
)

// WriteEncoder writes a Hugging Face model directory for cfg into dir:
// config.json and model.safetensors with every tensor encoders.Load reads,
// drawn from a seeded normal distribution at the scales of a trained model
// (0.02 for matrices and embeddings, 1 + 0.1 n for norm scales), so that
// activations stay O(1) through any depth.
func WriteEncoder(dir string, cfg encoders.Config, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	w := weights.NewWriter()
	shapes := encoders.TensorShapes(cfg)
	names := make([]string, 0, len(shapes))
	for n := range shapes {
		names = append(names, n)
	}
	sort.Strings(names) // the draw order, so that a seed gives one file
	for _, name := range names {
		shape := shapes[name]
		n := 1
		for _, d := range shape {
			n *= d
		}
		v := make([]float32, n)
		isNorm := strings.Contains(name, "norm") || strings.Contains(name, "layrnorm")
		for i := range v {
			switch {
			case isNorm && strings.HasSuffix(name, ".weight"):
				v[i] = float32(1 + 0.1*rng.NormFloat64())
			default:
				v[i] = float32(0.02 * rng.NormFloat64())
			}
		}
		if err := w.AddFloat32(name, shape, v); err != nil {
			return fmt.Errorf("synthetic: %s: %w", name, err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("synthetic: %w", err)
	}
	if err := w.WriteFile(filepath.Join(dir, encoders.WeightsFile)); err != nil {
		return fmt.Errorf("synthetic: %w", err)
	}
	js, err := json.MarshalIndent(hfConfig(cfg), "", "  ")
	if err != nil {
		return fmt.Errorf("synthetic: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, encoders.ConfigFile), js, 0o644)
}

// hfConfig is cfg as a config.json.
func hfConfig(cfg encoders.Config) map[string]any {
	tower := func(c *encoders.TowerConfig) map[string]any {
		m := map[string]any{
			"hidden_size": c.Hidden, "intermediate_size": c.Intermediate,
			"num_hidden_layers": c.Layers, "num_attention_heads": c.Heads,
			"hidden_act": c.Act.String(), "layer_norm_eps": c.Eps,
		}
		if c.PatchSize > 0 {
			m["num_channels"], m["image_size"], m["patch_size"] = c.Channels, c.ImageSize, c.PatchSize
		} else {
			m["vocab_size"], m["max_position_embeddings"], m["eos_token_id"] = c.Vocab, c.MaxPositions, c.EOS
		}
		return m
	}
	top := map[string]any{"model_type": cfg.Family.String(), "projection_dim": cfg.Projection}
	if cfg.Vision != nil {
		top["vision_config"] = tower(cfg.Vision)
	}
	if cfg.Text != nil {
		top["text_config"] = tower(cfg.Text)
	}
	return top
}
