package encoders_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vlmrt/vlmrt/encoders"
	"github.com/vlmrt/vlmrt/internal/leveltest"
	"github.com/vlmrt/vlmrt/runtime"
	"github.com/vlmrt/vlmrt/weights"
)

// TestDLCLIPReference runs dl_techniques' CLIP (grouped-query attention,
// rotary positions, RMSNorm, SwiGLU; tools/encref/dl_clip.py) on the
// fixture's images and ids at every level and checks the towers' hidden
// states and normalised features, and the logit scale.
func TestDLCLIPReference(t *testing.T) {
	path := filepath.Join(fixtureDir, "dl_clip_tiny.safetensors")
	leveltest.ForEach(t, func(t *testing.T) {
		m, err := encoders.LoadDLCLIP(path)
		require.NoError(t, err)
		ref, err := weights.Open(path)
		require.NoError(t, err)
		defer ref.Close()
		images, err := ref.Float32("input.image")
		require.NoError(t, err)
		ids32, err := ref.Int32("input.text")
		require.NoError(t, err)
		ii, _ := ref.Info("input.image")
		ti, _ := ref.Info("input.text")

		b := runtime.NewBuilder()
		vis, err := m.BuildVision(b, b.Input("image", ii.Shape...))
		require.NoError(t, err)
		txt, err := m.BuildText(b, b.Input("text", ti.Shape...))
		require.NoError(t, err)
		b.Output("vision_hidden", vis[encoders.OutputHidden])
		b.Output("image_features", vis[encoders.OutputImageEmbed])
		b.Output("text_hidden", txt[encoders.OutputHidden])
		b.Output("text_features", txt[encoders.OutputTextEmbed])
		plan, err := b.Compile()
		require.NoError(t, err)
		s := plan.NewSession()
		dst, _ := s.Input("image")
		copy(dst, images)
		dst, _ = s.Input("text")
		for i, id := range ids32 {
			dst[i] = float32(id)
		}
		s.Run()
		for got, want := range map[string]string{
			"vision_hidden": "debug.vision_last_hidden_state", "image_features": "output.image_features",
			"text_hidden": "debug.text_last_hidden_state", "text_features": "output.text_features",
		} {
			w, err := ref.Float32(want)
			require.NoError(t, err)
			g, _ := s.Output(got)
			assertWithin(t, want, w, g, 1e-4)
		}
		scale, err := ref.Float32("output.logit_scale")
		require.NoError(t, err)
		require.InDelta(t, scale[0], m.LogitScale(), 1e-5*float64(scale[0]))
	})
}
