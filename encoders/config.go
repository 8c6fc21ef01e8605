package encoders

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/vlmrt/vlmrt/kernels"
)

// Family is the architecture of an encoder's towers.
type Family uint8

const (
	// CLIP is OpenAI's CLIP as Hugging Face's CLIPModel lays it out: a
	// class token, pre- and post-layernorm, quick_gelu by default, and a
	// causal text tower pooled at its end-of-text token.
	CLIP Family = iota + 1
	// SigLIP is Google's SigLIP vision tower (SiglipVisionModel): no class
	// token, a post-layernorm over every token, and an attention-pooling
	// head.
	SigLIP
)

// String returns the family's Hugging Face model_type.
func (f Family) String() string {
	switch f {
	case CLIP:
		return "clip"
	case SigLIP:
		return "siglip"
	}
	return fmt.Sprintf("Family(%d)", uint8(f))
}

// TowerConfig is one tower of an encoder: the keys of a Hugging Face
// vision_config or text_config that the math depends on.
type TowerConfig struct {
	Hidden       int                // hidden_size
	Intermediate int                // intermediate_size
	Layers       int                // num_hidden_layers
	Heads        int                // num_attention_heads
	Act          kernels.Activation // hidden_act
	Eps          float32            // layer_norm_eps

	// Vision towers.
	Channels  int // num_channels
	ImageSize int // image_size
	PatchSize int // patch_size

	// Text towers.
	Vocab        int // vocab_size
	MaxPositions int // max_position_embeddings
	EOS          int // eos_token_id; 2 selects the legacy arg-max pooling
}

// Patches returns the number of patch tokens of a vision tower.
func (c TowerConfig) Patches() int {
	g := c.ImageSize / c.PatchSize
	return g * g
}

// Config is an encoder's configuration: its family, its towers (nil when
// absent) and the width of its shared embedding space.
type Config struct {
	Family     Family
	Vision     *TowerConfig
	Text       *TowerConfig
	Projection int // projection_dim
}

// ErrConfig is wrapped by every error about an encoder's configuration.
var ErrConfig = errors.New("invalid encoder config")

// maxDim bounds every width, count and size a config may declare, so that a
// hostile file cannot make the loader size buffers by it before the weights
// are checked.
const maxDim = 1 << 20

// ParseHFConfig parses a Hugging Face config.json: model_type clip (with
// vision_config and text_config), clip_vision_model, clip_text_model,
// siglip (its vision_config) or siglip_vision_model. Missing keys take the
// defaults of the transformers classes; unknown keys are ignored.
func ParseHFConfig(data []byte) (Config, error) {
	var top map[string]json.RawMessage
	if err := strictJSON(data, &top); err != nil {
		return Config{}, fmt.Errorf("%w: config.json: %v", ErrConfig, err)
	}
	var kind string
	if raw, ok := top["model_type"]; !ok {
		return Config{}, fmt.Errorf("%w: config.json has no model_type", ErrConfig)
	} else if err := json.Unmarshal(raw, &kind); err != nil {
		return Config{}, fmt.Errorf("%w: model_type: %v", ErrConfig, err)
	}
	var c Config
	var err error
	switch kind {
	case "clip":
		c.Family = CLIP
		if c.Vision, err = parseTower(top["vision_config"], clipVisionDefaults, "vision_config"); err != nil {
			return Config{}, err
		}
		if c.Text, err = parseTower(top["text_config"], clipTextDefaults, "text_config"); err != nil {
			return Config{}, err
		}
		c.Projection, err = intKey(top, "projection_dim", 512)
	case "clip_vision_model":
		c.Family = CLIP
		if c.Vision, err = parseTower(json.RawMessage(data), clipVisionDefaults, "config"); err != nil {
			return Config{}, err
		}
		c.Projection, err = intKey(top, "projection_dim", 512)
	case "clip_text_model":
		c.Family = CLIP
		if c.Text, err = parseTower(json.RawMessage(data), clipTextDefaults, "config"); err != nil {
			return Config{}, err
		}
		c.Projection, err = intKey(top, "projection_dim", 512)
	case "siglip":
		c.Family = SigLIP
		c.Vision, err = parseTower(top["vision_config"], siglipVisionDefaults, "vision_config")
	case "siglip_vision_model":
		c.Family = SigLIP
		c.Vision, err = parseTower(json.RawMessage(data), siglipVisionDefaults, "config")
	default:
		return Config{}, fmt.Errorf("%w: model_type %q (want clip, clip_vision_model, clip_text_model, siglip or siglip_vision_model)", ErrConfig, kind)
	}
	if err != nil {
		return Config{}, err
	}
	return c, c.validate()
}

// towerJSON is a tower's keys as config.json spells them; nil is unset.
type towerJSON struct {
	Hidden       *int     `json:"hidden_size"`
	Intermediate *int     `json:"intermediate_size"`
	Layers       *int     `json:"num_hidden_layers"`
	Heads        *int     `json:"num_attention_heads"`
	Act          *string  `json:"hidden_act"`
	Eps          *float64 `json:"layer_norm_eps"`
	Channels     *int     `json:"num_channels"`
	ImageSize    *int     `json:"image_size"`
	PatchSize    *int     `json:"patch_size"`
	Vocab        *int     `json:"vocab_size"`
	MaxPositions *int     `json:"max_position_embeddings"`
	EOS          *int     `json:"eos_token_id"`
}

// The defaults of transformers' CLIPVisionConfig, CLIPTextConfig and
// SiglipVisionConfig.
var (
	clipVisionDefaults = TowerConfig{Hidden: 768, Intermediate: 3072, Layers: 12, Heads: 12,
		Act: kernels.ActQuickGELU, Eps: 1e-5, Channels: 3, ImageSize: 224, PatchSize: 32}
	clipTextDefaults = TowerConfig{Hidden: 512, Intermediate: 2048, Layers: 12, Heads: 8,
		Act: kernels.ActQuickGELU, Eps: 1e-5, Vocab: 49408, MaxPositions: 77, EOS: 2}
	siglipVisionDefaults = TowerConfig{Hidden: 768, Intermediate: 3072, Layers: 12, Heads: 12,
		Act: kernels.ActGELUTanh, Eps: 1e-6, Channels: 3, ImageSize: 224, PatchSize: 16}
)

func parseTower(raw json.RawMessage, def TowerConfig, where string) (*TowerConfig, error) {
	c := def
	if raw == nil || string(raw) == "null" {
		return &c, nil
	}
	var j towerJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrConfig, where, err)
	}
	set := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	set(&c.Hidden, j.Hidden)
	set(&c.Intermediate, j.Intermediate)
	set(&c.Layers, j.Layers)
	set(&c.Heads, j.Heads)
	set(&c.Channels, j.Channels)
	set(&c.ImageSize, j.ImageSize)
	set(&c.PatchSize, j.PatchSize)
	set(&c.Vocab, j.Vocab)
	set(&c.MaxPositions, j.MaxPositions)
	set(&c.EOS, j.EOS)
	if j.Eps != nil {
		if !(*j.Eps > 0 && *j.Eps < 1) {
			return nil, fmt.Errorf("%w: %s.layer_norm_eps %g", ErrConfig, where, *j.Eps)
		}
		c.Eps = float32(*j.Eps)
	}
	if j.Act != nil {
		act, ok := activations[*j.Act]
		if !ok {
			return nil, fmt.Errorf("%w: %s.hidden_act %q (want quick_gelu, gelu, gelu_new, gelu_pytorch_tanh, silu or swish)", ErrConfig, where, *j.Act)
		}
		c.Act = act
	}
	return &c, nil
}

// activations maps hidden_act names to epilogues. gelu_new and
// gelu_pytorch_tanh are both the tanh approximation.
var activations = map[string]kernels.Activation{
	"quick_gelu":        kernels.ActQuickGELU,
	"gelu":              kernels.ActGELU,
	"gelu_new":          kernels.ActGELUTanh,
	"gelu_pytorch_tanh": kernels.ActGELUTanh,
	"silu":              kernels.ActSiLU,
	"swish":             kernels.ActSiLU,
}

func intKey(top map[string]json.RawMessage, key string, def int) (int, error) {
	raw, ok := top[key]
	if !ok || string(raw) == "null" {
		return def, nil
	}
	var v int
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, fmt.Errorf("%w: %s: %v", ErrConfig, key, err)
	}
	return v, nil
}

// strictJSON decodes one JSON object and refuses trailing data.
func strictJSON(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("data after the JSON object")
	}
	return nil
}

func (c Config) validate() error {
	if c.Family == CLIP && !(c.Projection > 0 && c.Projection <= maxDim) {
		return fmt.Errorf("%w: projection_dim %d", ErrConfig, c.Projection)
	}
	for _, t := range []struct {
		name string
		c    *TowerConfig
	}{{"vision_config", c.Vision}, {"text_config", c.Text}} {
		if t.c == nil {
			continue
		}
		if err := t.c.validate(t.c == c.Vision); err != nil {
			return fmt.Errorf("%w: %s.%v", ErrConfig, t.name, err)
		}
	}
	return nil
}

func (c *TowerConfig) validate(vision bool) error {
	positive := []struct {
		key string
		v   int
	}{{"hidden_size", c.Hidden}, {"intermediate_size", c.Intermediate}, {"num_hidden_layers", c.Layers},
		{"num_attention_heads", c.Heads}}
	if vision {
		positive = append(positive, []struct {
			key string
			v   int
		}{{"num_channels", c.Channels}, {"image_size", c.ImageSize}, {"patch_size", c.PatchSize}}...)
	} else {
		positive = append(positive, []struct {
			key string
			v   int
		}{{"vocab_size", c.Vocab}, {"max_position_embeddings", c.MaxPositions}}...)
	}
	for _, p := range positive {
		if p.v <= 0 || p.v > maxDim {
			return fmt.Errorf("%s %d is not in [1, %d]", p.key, p.v, maxDim)
		}
	}
	if c.Hidden%c.Heads != 0 {
		return fmt.Errorf("num_attention_heads: hidden_size %d is not a multiple of num_attention_heads %d", c.Hidden, c.Heads)
	}
	if vision {
		if c.PatchSize > c.ImageSize {
			return fmt.Errorf("patch_size %d is larger than image_size %d", c.PatchSize, c.ImageSize)
		}
		if n := float64(c.Patches()) * float64(c.Hidden); n > math.MaxInt32 {
			return fmt.Errorf("image_size %d: %d patches of %d values is too many", c.ImageSize, c.Patches(), c.Hidden)
		}
	}
	return nil
}
