package encoders_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vlmrt/vlmrt/encoders"
)

// FuzzParseHFConfig feeds arbitrary bytes to the config.json parser, seeded
// with the committed fixtures' configs: it must return a config that
// validates or an error wrapping ErrConfig, never panic, and never accept
// sizes beyond its bounds (which would let Load size buffers by them).
func FuzzParseHFConfig(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join(fixtureDir, "*", encoders.ConfigFile))
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"model_type":"siglip_vision_model","image_size":1048576,"patch_size":1}`))
	f.Add([]byte(`{"model_type":"clip","vision_config":null,"text_config":{"vocab_size":-1}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := encoders.ParseHFConfig(data)
		if err != nil {
			return
		}
		for _, tc := range []*encoders.TowerConfig{c.Vision, c.Text} {
			if tc == nil {
				continue
			}
			if tc.Hidden <= 0 || tc.Heads <= 0 || tc.Hidden%tc.Heads != 0 || tc.Layers <= 0 || tc.Hidden > 1<<20 {
				t.Fatalf("accepted %+v", *tc)
			}
		}
		if c.Vision != nil && c.Vision.Patches()*c.Vision.Hidden > 1<<31 {
			t.Fatalf("accepted %d patches of %d", c.Vision.Patches(), c.Vision.Hidden)
		}
	})
}
