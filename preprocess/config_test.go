package preprocess

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestParseConfigReadsHuggingFaceFiles checks preprocessor_config.json
// files as the Hugging Face hub has them (old feature-extractor and new
// image-processor forms) and the shapes Hugging Face accepts for size and
// crop_size.
func TestParseConfigReadsHuggingFaceFiles(t *testing.T) {
	clip := CLIP(224)
	bilinear336 := CLIP(336)
	bilinear336.Resample = Bilinear
	rect := CLIP(224)
	rect.Size = Size{Height: 240, Width: 320}
	rect.CropSize = Size{Height: 200, Width: 300}
	scalarMean := SigLIP(384)
	scalarMean.ImageMean, scalarMean.ImageStd = [3]float64{0.5, 0.5, 0.5}, [3]float64{0.25, 0.25, 0.25}
	noCrop := CLIP(224)
	noCrop.DoCenterCrop = false
	cases := []struct {
		name string
		json string
		want Config
	}{
		{"openai/clip-vit-base-patch32 (feature extractor, int sizes)", `{
  "crop_size": 224, "do_center_crop": true, "do_normalize": true, "do_resize": true,
  "feature_extractor_type": "CLIPFeatureExtractor",
  "image_mean": [0.48145466, 0.4578275, 0.40821073],
  "image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 3, "size": 224}`, clip},
		{"CLIPImageProcessor with size dicts", `{
  "crop_size": {"height": 224, "width": 224}, "do_center_crop": true, "do_convert_rgb": true,
  "do_normalize": true, "do_rescale": true, "do_resize": true,
  "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_processor_type": "CLIPImageProcessor",
  "image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 3,
  "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 224}}`, clip},
		{"google/siglip-base-patch16-224", `{
  "do_normalize": true, "do_rescale": true, "do_resize": true, "image_mean": [0.5, 0.5, 0.5],
  "image_processor_type": "SiglipImageProcessor", "image_std": [0.5, 0.5, 0.5],
  "processor_class": "SiglipProcessor", "resample": 3, "rescale_factor": 0.00392156862745098,
  "size": {"height": 224, "width": 224}}`, SigLIP(224)},
		{"empty object: CLIPImageProcessor's defaults", `{}`, clip},
		{"nulls keep the defaults", `{"size": null, "crop_size": null, "image_mean": null, "resample": null}`, clip},
		{"unknown keys ignored", `{"processor_class": "CLIPProcessor", "foo": [1, {"bar": 2}]}`, clip},
		{"bilinear, 336, float-typed integers", `{"size": 336.0, "crop_size": 336, "resample": 2}`, bilinear336},
		{"size and crop as [height, width] lists", `{"size": [240, 320], "crop_size": [200, 300]}`, rect},
		{"scalar mean and std, SigLIP 384", `{"image_processor_type": "SiglipImageProcessor",
  "size": {"height": 384, "width": 384}, "image_mean": 0.5, "image_std": 0.25}`, scalarMean},
		{"SigLIP ignores crop keys", `{"image_processor_type": "SiglipImageProcessorFast",
  "do_center_crop": true, "crop_size": 100}`, SigLIP(224)},
		{"no crop", `{"do_center_crop": false}`, noCrop},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseConfig([]byte(c.json))
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
}

// TestParseConfigRefusesBadValues checks that each bad value is an error
// that names its key.
func TestParseConfigRefusesBadValues(t *testing.T) {
	cases := []struct {
		name, json, errHas string
	}{
		{"not JSON", `{"size": 224`, "not a JSON object"},
		{"a JSON array", `[1, 2]`, "not a JSON object"},
		{"null", `null`, "not a JSON object"},
		{"data after the object", `{} {}`, "after the JSON object"},
		{"size a string", `{"size": "224"}`, "size"},
		{"size fractional", `{"size": 224.5}`, "size"},
		{"size zero", `{"size": 0}`, "size"},
		{"size negative", `{"size": -3}`, "size"},
		{"size too large", `{"size": 20000}`, "size"},
		{"size longest_edge", `{"size": {"shortest_edge": 224, "longest_edge": 400}}`, `"longest_edge"`},
		{"size dict without width", `{"size": {"height": 224}}`, "size"},
		{"size dict with both forms", `{"size": {"shortest_edge": 224, "height": 224}}`, "size"},
		{"size list of three", `{"size": [1, 2, 3]}`, "size"},
		{"crop as shortest edge", `{"crop_size": {"shortest_edge": 224}}`, "crop_size"},
		{"crop width a string", `{"crop_size": {"height": 224, "width": "224"}}`, "crop_size.width"},
		{"resample 6", `{"resample": 6}`, "resample"},
		{"resample a string", `{"resample": "bicubic"}`, "resample"},
		{"do_resize a string", `{"do_resize": "yes"}`, "do_resize"},
		{"do_normalize a number", `{"do_normalize": 1}`, "do_normalize"},
		{"rescale_factor a string", `{"rescale_factor": "1/255"}`, "rescale_factor"},
		{"image_mean of two", `{"image_mean": [0.5, 0.5]}`, "image_mean"},
		{"image_std with a zero", `{"image_std": [0.5, 0, 0.5]}`, "image_std[1]"},
		{"image_std scalar zero", `{"image_std": 0}`, "image_std"},
		{"image_mean beyond float32", `{"image_mean": 1e300}`, "image_mean"},
		{"processor type a number", `{"image_processor_type": 3}`, "image_processor_type"},
		{"SigLIP with a shortest edge", `{"image_processor_type": "SiglipImageProcessor", "size": 224}`, "size"},
		{"SigLIP 2", `{"image_processor_type": "Siglip2ImageProcessor"}`, "Siglip2ImageProcessor"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(c.json))
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.errHas)
			assert.Contains(t, err.Error(), "preprocess: preprocessor config: ")
		})
	}
}

// TestLoadConfigNamesTheFile checks LoadConfig on a good and a bad file.
func TestLoadConfigNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "preprocessor_config.json")
	require.NoError(t, os.WriteFile(good, []byte(`{"image_processor_type": "SiglipImageProcessor"}`), 0o644))
	cfg, err := LoadConfig(good)
	require.NoError(t, err)
	assert.Equal(t, SigLIP(224), cfg)

	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"resample": 9}`), 0o644))
	_, err = LoadConfig(bad)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "preprocess: "+bad+": resample")

	_, err = LoadConfig(filepath.Join(dir, "missing.json"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "missing.json")
}

// TestConfigJSONRoundTrips checks that a marshalled Config parses back to
// itself, for CLIP's and SigLIP's defaults and a config without a crop.
func TestConfigJSONRoundTrips(t *testing.T) {
	noCrop := CLIP(100)
	noCrop.DoCenterCrop, noCrop.CropSize = false, Size{}
	for _, cfg := range []Config{CLIP(224), CLIP(336), noCrop} {
		data, err := json.Marshal(cfg)
		require.NoError(t, err)
		got, err := ParseConfig(data)
		require.NoError(t, err, string(data))
		assert.Equal(t, canonical(cfg), canonical(got), string(data))
	}
}

// canonical clears the fields a config's switches make irrelevant.
func canonical(c Config) Config {
	if !c.DoResize {
		c.Size, c.Resample = Size{}, 0
	}
	if !c.DoCenterCrop {
		c.CropSize = Size{}
	}
	if !c.DoRescale {
		c.RescaleFactor = 0
	}
	if !c.DoNormalize {
		c.ImageMean, c.ImageStd = [3]float64{}, [3]float64{}
	}
	return c
}

// TestNewProcessorRefusesInvalidConfigs checks Validate through
// NewProcessor.
func TestNewProcessorRefusesInvalidConfigs(t *testing.T) {
	bad := []struct {
		name   string
		modify func(*Config)
	}{
		{"crop as shortest edge", func(c *Config) { c.CropSize = Size{ShortestEdge: 10} }},
		{"zero size", func(c *Config) { c.Size = Size{} }},
		{"unknown filter", func(c *Config) { c.Resample = 9 }},
		{"zero std", func(c *Config) { c.ImageStd[2] = 0 }},
		{"NaN rescale factor", func(c *Config) { c.RescaleFactor = math.NaN() }},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			cfg := CLIP(224)
			c.modify(&cfg)
			_, err := NewProcessor(cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "preprocess: config: ")
		})
	}
}
