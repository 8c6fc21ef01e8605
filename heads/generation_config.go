package heads

import "fmt"

// GenerationConfig is the metadata key "generation" (SPEC.md 1, 6): the
// defaults of text generation, which command-line flags override.
type GenerationConfig struct {
	BOS, EOS    int32
	MaxLength   int
	BeamSize    int
	Temperature float32
	present     bool
}

// Generation returns the model's generation defaults and whether the file
// set any.
func (m *Model) Generation() (GenerationConfig, bool) { return m.generation, m.generation.present }

func parseGenerationConfig(s string) (GenerationConfig, error) {
	c, err := parseConfig("generation", []byte(s))
	if err != nil {
		return GenerationConfig{}, err
	}
	g := GenerationConfig{
		BOS:         int32(c.Int("bos_id", 1)),
		EOS:         int32(c.Int("eos_id", 2)),
		MaxLength:   c.PositiveInt("max_length", 32),
		BeamSize:    c.PositiveInt("beam_size", 1),
		Temperature: float32(c.Float("temperature", 1)),
		present:     true,
	}
	if g.BOS < 0 || g.EOS < 0 {
		c.fail("bos_id", "token ids must not be negative (bos %d, eos %d)", g.BOS, g.EOS)
	}
	if g.Temperature <= 0 {
		c.fail("temperature", "must be positive, got %v", g.Temperature)
	}
	if err := c.Err(); err != nil {
		return GenerationConfig{}, fmt.Errorf("metadata: %w", err)
	}
	return g, nil
}
