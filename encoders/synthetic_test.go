package encoders_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlmrt/vlmrt/encoders"
	"github.com/vlmrt/vlmrt/internal/synthetic"
	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/weights"
)

// tinyCLIP is a CLIP with both towers at test size.
func tinyCLIP() encoders.Config {
	return encoders.Config{
		Family: encoders.CLIP, Projection: 8,
		Vision: &encoders.TowerConfig{Hidden: 16, Intermediate: 32, Layers: 2, Heads: 2,
			Act: kernels.ActQuickGELU, Eps: 1e-5, Channels: 3, ImageSize: 12, PatchSize: 4},
		Text: &encoders.TowerConfig{Hidden: 16, Intermediate: 32, Layers: 2, Heads: 4,
			Act: kernels.ActQuickGELU, Eps: 1e-5, Vocab: 20, MaxPositions: 6, EOS: 19},
	}
}

func tinySigLIP() encoders.Config {
	return encoders.Config{Family: encoders.SigLIP, Projection: 8,
		Vision: &encoders.TowerConfig{Hidden: 16, Intermediate: 32, Layers: 2, Heads: 2,
			Act: kernels.ActGELUTanh, Eps: 1e-6, Channels: 3, ImageSize: 12, PatchSize: 4}}
}

// TestSyntheticRunsWithoutAllocating loads random CLIP and SigLIP models,
// runs each tower with a session twice and checks the outputs' shapes, that
// they are finite and not constant, and that Run allocates nothing.
func TestSyntheticRunsWithoutAllocating(t *testing.T) {
	for name, cfg := range map[string]encoders.Config{"clip": tinyCLIP(), "siglip": tinySigLIP()} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, synthetic.WriteEncoder(dir, cfg, 1))
			m, err := encoders.Load(dir)
			require.NoError(t, err)
			plan, err := m.CompileVision(2)
			require.NoError(t, err)
			s := plan.NewSession()
			px, err := s.Input(encoders.InputPixels)
			require.NoError(t, err)
			for i := range px {
				px[i] = float32(math.Sin(float64(i)))
			}
			s.Run()
			assert.Zero(t, testing.AllocsPerRun(3, s.Run))
			for _, o := range plan.Outputs() {
				v, _ := s.Output(o.Name)
				assertVaried(t, o.Name, v)
			}
			hidden := plan.Outputs()
			wantTokens := 9
			if cfg.Family == encoders.CLIP {
				wantTokens = 10
			}
			for _, o := range hidden {
				if o.Name == encoders.OutputHidden {
					assert.Equal(t, []int{2, wantTokens, 16}, o.Shape)
				}
			}
			if cfg.Text == nil {
				return
			}
			tp, err := m.CompileText(2, 5)
			require.NoError(t, err)
			ts := tp.NewSession()
			ids, _ := ts.Input(encoders.InputIDs)
			copy(ids, []float32{18, 3, 4, 19, 0, 18, 7, 19, 0, 0})
			require.NoError(t, m.CheckIDs(ids))
			ts.Run()
			assert.Zero(t, testing.AllocsPerRun(3, ts.Run))
			emb, _ := ts.Output(encoders.OutputTextEmbed)
			assertVaried(t, "text_embeds", emb)
			ids[0] = 20
			assert.ErrorIs(t, m.CheckIDs(ids), encoders.ErrShape)
		})
	}
}

func assertVaried(t *testing.T, name string, v []float32) {
	t.Helper()
	require.NotEmpty(t, v, name)
	lo, hi := v[0], v[0]
	for _, x := range v {
		require.False(t, math.IsNaN(float64(x)) || math.IsInf(float64(x), 0), "%s holds %v", name, x)
		lo, hi = min(lo, x), max(hi, x)
	}
	assert.Greater(t, hi-lo, float32(1e-3), "%s is constant", name)
}

// TestTensorShapesMatchLoad checks that a file holding exactly
// TensorShapes loads, and that a file missing any one tensor, or holding it
// one value short, gives an error naming the tensor and the file.
func TestTensorShapesMatchLoad(t *testing.T) {
	cfg := tinyCLIP()
	dir := t.TempDir()
	require.NoError(t, synthetic.WriteEncoder(dir, cfg, 2))
	_, err := encoders.Load(dir)
	require.NoError(t, err)
	src, err := weights.Open(filepath.Join(dir, encoders.WeightsFile))
	require.NoError(t, err)
	defer src.Close()
	require.Len(t, src.Tensors(), len(encoders.TensorShapes(cfg)))
	config, err := os.ReadFile(filepath.Join(dir, encoders.ConfigFile))
	require.NoError(t, err)

	for _, name := range []string{"vision_model.encoder.layers.1.mlp.fc2.weight", "text_model.final_layer_norm.bias",
		"vision_model.embeddings.class_embedding", "text_model.embeddings.position_embedding.weight", "visual_projection.weight"} {
		for _, mode := range []string{"missing", "short"} {
			w := weights.NewWriter()
			for _, info := range src.Tensors() {
				v, err := src.Float32(info.Name)
				require.NoError(t, err)
				switch {
				case info.Name != name:
					require.NoError(t, w.AddFloat32(info.Name, info.Shape, v))
				case mode == "short":
					require.NoError(t, w.AddFloat32(name, []int{len(v) - 1}, v[:len(v)-1]))
				}
			}
			bad := t.TempDir()
			require.NoError(t, w.WriteFile(filepath.Join(bad, encoders.WeightsFile)))
			require.NoError(t, os.WriteFile(filepath.Join(bad, encoders.ConfigFile), config, 0o644))
			m, err := encoders.Load(bad)
			if name == "visual_projection.weight" && mode == "missing" {
				// a CLIPModel without its projection is a CLIPVisionModel
				require.NoError(t, err)
				plan, err := m.CompileVision(1)
				require.NoError(t, err)
				for _, o := range plan.Outputs() {
					assert.NotEqual(t, encoders.OutputImageEmbed, o.Name)
				}
				continue
			}
			require.Error(t, err, "%s %s", mode, name)
			assert.Contains(t, err.Error(), name, "%s: the error names the tensor", mode)
			assert.Contains(t, err.Error(), bad, "%s: the error names the file", mode)
		}
	}
}

// TestBadConfig checks config.json errors: each names the key.
func TestBadConfig(t *testing.T) {
	cases := map[string]struct {
		config map[string]any
		want   string
	}{
		"unknown model type": {map[string]any{"model_type": "bert"}, "bert"},
		"no model type":      {map[string]any{"vision_config": map[string]any{}}, "model_type"},
		"heads":              {map[string]any{"model_type": "clip_vision_model", "hidden_size": 48, "num_attention_heads": 5}, "num_attention_heads"},
		"activation":         {map[string]any{"model_type": "clip_vision_model", "hidden_act": "relu6"}, "relu6"},
		"huge image":         {map[string]any{"model_type": "siglip_vision_model", "image_size": 1 << 30}, "image_size"},
		"patch over image":   {map[string]any{"model_type": "siglip_vision_model", "image_size": 16, "patch_size": 32}, "patch_size"},
		"wrong type":         {map[string]any{"model_type": "clip", "vision_config": map[string]any{"hidden_size": "768"}}, "vision_config"},
	}
	for name, c := range cases {
		data, err := json.Marshal(c.config)
		require.NoError(t, err)
		_, err = encoders.ParseHFConfig(data)
		require.ErrorIs(t, err, encoders.ErrConfig, name)
		assert.Contains(t, err.Error(), c.want, name)
	}
	_, err := encoders.ParseHFConfig([]byte(`{"model_type": "clip"} trailing`))
	assert.ErrorIs(t, err, encoders.ErrConfig)
	_, err = encoders.Load(filepath.Join(t.TempDir(), "absent"))
	assert.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "absent"))
}
