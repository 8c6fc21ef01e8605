package heads

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlmrt/vlmrt/weights"
)

// rewrite copies a fixture with its config edited by edit and its tensors
// filtered by keep (nil keeps all), and parses the result.
func rewrite(t *testing.T, fixture string, edit func(cfg map[string]any, md map[string]string), keep func(name string) (shape []int, ok bool)) *weights.File {
	t.Helper()
	f, err := weights.Open(filepath.Join(kerasDir, fixture))
	require.NoError(t, err)
	defer f.Close()
	md := f.Metadata()
	var cfg map[string]any
	require.NoError(t, json.Unmarshal([]byte(md["config"]), &cfg))
	if edit != nil {
		edit(cfg, md)
	}
	js, err := json.Marshal(cfg)
	require.NoError(t, err)
	w := weights.NewWriter()
	for k, v := range md {
		w.SetMetadata(k, v)
	}
	w.SetMetadata("config", string(js))
	for _, info := range f.Tensors() {
		v, err := f.Float32(info.Name)
		require.NoError(t, err)
		shape := info.Shape
		if keep != nil {
			s, ok := keep(info.Name)
			if !ok {
				continue
			}
			if s != nil {
				shape, v = s, make([]float32, s[0]*s[1])
			}
		}
		require.NoError(t, w.AddFloat32(info.Name, shape, v))
	}
	var buf bytes.Buffer
	_, err = w.WriteTo(&buf)
	require.NoError(t, err)
	out, err := weights.Parse(buf.Bytes(), fixture)
	require.NoError(t, err)
	return out
}

// TestLoadErrors checks that invalid configs, missing and mis-shaped tensors
// are errors that name the key or tensor, never panics.
func TestLoadErrors(t *testing.T) {
	dropTensor := func(drop string) func(string) ([]int, bool) {
		return func(name string) ([]int, bool) { return nil, name != drop }
	}
	reshape := func(target string, shape []int) func(string) ([]int, bool) {
		return func(name string) ([]int, bool) {
			if name == target {
				return shape, true
			}
			return nil, true
		}
	}
	tests := []struct {
		name    string
		fixture string
		edit    func(cfg map[string]any, md map[string]string)
		keep    func(string) ([]int, bool)
		is      error
		mention string
	}{
		{"unknown class", "vqa_mean.safetensors",
			func(_ map[string]any, md map[string]string) { md["class_name"] = "SegmentationHead" }, nil,
			ErrUnknownClass, "SegmentationHead"},
		{"num_heads of the wrong type", "captioning_mlp.safetensors",
			func(c map[string]any, _ map[string]string) { c["num_heads"] = "four" }, nil,
			ErrConfig, "num_heads"},
		{"hidden size not a multiple of the heads", "captioning_mlp.safetensors",
			func(c map[string]any, _ map[string]string) { c["num_heads"] = 5 }, nil,
			ErrConfig, "num_heads"},
		{"unknown ffn type", "captioning_mlp.safetensors",
			func(c map[string]any, _ map[string]string) { c["ffn_type"] = "moe" }, nil,
			ErrConfig, "ffn_type"},
		{"unknown attention type", "captioning_mlp.safetensors",
			func(c map[string]any, _ map[string]string) { c["attention_type"] = "linear" }, nil,
			ErrConfig, "attention_type"},
		{"cross-attention fusion is refused", "grounding_gated.safetensors",
			func(c map[string]any, _ map[string]string) { c["fusion_strategy"] = "cross_attention" }, nil,
			ErrConfig, "fusion_strategy"},
		{"unknown pooling", "vqa_mean.safetensors",
			func(c map[string]any, _ map[string]string) { c["pooling_strategy"] = "cls" }, nil,
			ErrConfig, "pooling_strategy"},
		{"hidden_dims of the wrong type", "vqa_mean.safetensors",
			func(c map[string]any, _ map[string]string) { c["hidden_dims"] = "128" }, nil,
			ErrConfig, "hidden_dims"},
		{"vocabulary far beyond the file's", "captioning_mlp.safetensors",
			func(c map[string]any, _ map[string]string) {
				c["task_config"].(map[string]any)["vocab_size"] = 100_000_000_000
			}, nil, weights.ErrShape, "cap_head_output_proj"},
		{"missing tensor", "captioning_mlp.safetensors", nil,
			dropTensor("cap_head/ffn_1/fc2/bias"), weights.ErrNotFound, "ffn_1/fc2/bias"},
		{"mis-shaped tensor", "captioning_mlp.safetensors", nil,
			reshape("cap_head/ffn_0/fc1/kernel", []int{48, 256}), weights.ErrShape, "cap_head/ffn_0/fc1/kernel"},
		{"missing temperature", "matching_gated.safetensors", nil,
			dropTensor("matching_head/matching_head_temperature"), weights.ErrNotFound, "matching_head_temperature"},
		{"multi-task with an unknown task type", "multitask.safetensors",
			func(c map[string]any, _ map[string]string) {
				c["task_configs"].(map[string]any)["vqa"].(map[string]any)["task_type"] = "ocr"
			}, nil, ErrConfig, "ocr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := rewrite(t, tt.fixture, tt.edit, tt.keep)
			_, err := New(f)
			require.Error(t, err)
			assert.True(t, errors.Is(err, tt.is), "error %q is not %v", err, tt.is)
			assert.Contains(t, err.Error(), tt.mention)
			assert.Contains(t, err.Error(), tt.fixture, "error names the file")
		})
	}
}

// TestCompileErrors checks that inputs of the wrong shape, missing inputs
// and unknown tasks are errors.
func TestCompileErrors(t *testing.T) {
	m, _, in := loadFixture(t, filepath.Join(kerasDir, "multitask.safetensors"))
	_, err := m.Compile(map[string][]int{"vision_features": {2, 10, 48}}, ForTask("cap"))
	assert.ErrorIs(t, err, ErrShape)
	assert.ErrorContains(t, err, "text_features")

	_, err = m.Compile(map[string][]int{"vision_features": {2, 10, 40}, "text_features": {2, 7, 48}}, ForTask("cap"))
	assert.ErrorIs(t, err, ErrShape)
	assert.ErrorContains(t, err, "vision_features")

	_, err = m.Compile(in.Shapes, ForTask("segmentation"))
	assert.ErrorIs(t, err, ErrUnknownTask)

	plan, err := m.Compile(in.Shapes, ForTask("vqa"))
	require.NoError(t, err)
	require.Len(t, plan.Outputs(), 1)
	assert.Equal(t, "vqa.answer_logits", plan.Outputs()[0].Name)
	assert.Equal(t, []string{"cap", "grounding", "matching", "vqa"}, m.Tasks())
}
