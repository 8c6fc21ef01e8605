package preprocess

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
)

// Config holds the fields of a Hugging Face CLIPImageProcessor or
// SiglipImageProcessor (preprocessor_config.json) that decide the pixels.
// Its JSON form (encoding/json) uses the same keys, so that a marshalled
// Config parses back to itself.
type Config struct {
	// DoResize resizes the image to Size with Resample.
	DoResize bool `json:"do_resize"`
	// Size is the resize target: the shorter side (ShortestEdge) or both
	// sides (Height and Width).
	Size Size `json:"size"`
	// Resample is the resize filter, by its Pillow number (3: bicubic).
	Resample Resample `json:"resample"`
	// DoCenterCrop crops the centre CropSize.Height x CropSize.Width of the
	// resized image (zero padded where the crop is larger).
	DoCenterCrop bool `json:"do_center_crop"`
	// CropSize is the crop (Height and Width; ShortestEdge is not allowed).
	CropSize Size `json:"crop_size"`
	// DoRescale multiplies each 8-bit value by RescaleFactor (in float64,
	// rounded to float32).
	DoRescale     bool    `json:"do_rescale"`
	RescaleFactor float64 `json:"rescale_factor"`
	// DoNormalize maps each value v of channel c to
	// (v - ImageMean[c]) / ImageStd[c] in float32.
	DoNormalize bool       `json:"do_normalize"`
	ImageMean   [3]float64 `json:"image_mean"`
	ImageStd    [3]float64 `json:"image_std"`
	// DoConvertRGB is kept for completeness: Image is always RGB, converted
	// as Pillow's convert("RGB") does whatever this says.
	DoConvertRGB bool `json:"do_convert_rgb"`
}

// Size is a resize or crop target in Hugging Face's size-dict form: either
// ShortestEdge (the shorter side becomes ShortestEdge, the other keeps the
// aspect ratio, rounded down) or Height and Width.
type Size struct {
	ShortestEdge int `json:"shortest_edge,omitempty"`
	Height       int `json:"height,omitempty"`
	Width        int `json:"width,omitempty"`
}

// String gives the size as Hugging Face writes it.
func (s Size) String() string {
	if s.ShortestEdge != 0 {
		return fmt.Sprintf("{shortest_edge: %d}", s.ShortestEdge)
	}
	return fmt.Sprintf("{height: %d, width: %d}", s.Height, s.Width)
}

// MarshalJSON writes the size as Hugging Face's size dict, or null for the
// zero Size (no size given).
func (s Size) MarshalJSON() ([]byte, error) {
	switch {
	case s == Size{}:
		return []byte("null"), nil
	case s.ShortestEdge != 0 && s.Height == 0 && s.Width == 0:
		return fmt.Appendf(nil, `{"shortest_edge":%d}`, s.ShortestEdge), nil
	}
	type plain Size
	return json.Marshal(plain(s))
}

// maxConfigSide bounds the sizes a config may ask for.
const maxConfigSide = 1 << 14

// OpenAI CLIP's normalisation, CLIPImageProcessor's defaults.
var (
	clipMean = [3]float64{0.48145466, 0.4578275, 0.40821073}
	clipStd  = [3]float64{0.26862954, 0.26130258, 0.27577711}
)

// CLIP returns CLIPImageProcessor's defaults for images of size x size:
// resize the shorter side to size (bicubic), center crop size x size,
// rescale by 1/255, normalise with OpenAI CLIP's mean and std.
func CLIP(size int) Config {
	return Config{
		DoResize:      true,
		Size:          Size{ShortestEdge: size},
		Resample:      Bicubic,
		DoCenterCrop:  true,
		CropSize:      Size{Height: size, Width: size},
		DoRescale:     true,
		RescaleFactor: 1.0 / 255,
		DoNormalize:   true,
		ImageMean:     clipMean,
		ImageStd:      clipStd,
		DoConvertRGB:  true,
	}
}

// SigLIP returns SiglipImageProcessor's defaults for images of size x size:
// resize both sides to size (bicubic, the aspect ratio not kept), no crop,
// rescale by 1/255, normalise with mean 0.5 and std 0.5.
func SigLIP(size int) Config {
	return Config{
		DoResize:      true,
		Size:          Size{Height: size, Width: size},
		Resample:      Bicubic,
		DoRescale:     true,
		RescaleFactor: 1.0 / 255,
		DoNormalize:   true,
		ImageMean:     [3]float64{0.5, 0.5, 0.5},
		ImageStd:      [3]float64{0.5, 0.5, 0.5},
		DoConvertRGB:  true,
	}
}

// Validate reports the first setting that the processor cannot apply:
// sizes outside 1..16384, a crop given as a shortest edge, a filter Pillow
// lacks, a non-finite factor, mean or std, or a zero std.
func (c Config) Validate() error {
	if err := c.validate(); err != nil {
		return fmt.Errorf("preprocess: config: %w", err)
	}
	return nil
}

func (c Config) validate() error {
	if c.DoResize {
		if err := c.Size.validate("size", true); err != nil {
			return err
		}
		if err := c.Resample.valid(); err != nil {
			return err
		}
	}
	if c.DoCenterCrop {
		if err := c.CropSize.validate("crop_size", false); err != nil {
			return err
		}
	}
	if c.DoRescale && (math.IsNaN(c.RescaleFactor) || math.IsInf(c.RescaleFactor, 0)) {
		return fmt.Errorf("rescale_factor %v: not a finite number", c.RescaleFactor)
	}
	if c.DoNormalize {
		for i := range 3 {
			m, s := c.ImageMean[i], c.ImageStd[i]
			if math.IsNaN(m) || math.IsInf(m, 0) || math.Abs(m) > math.MaxFloat32 {
				return fmt.Errorf("image_mean[%d] %v: not a finite float32", i, m)
			}
			if math.IsNaN(s) || math.IsInf(s, 0) || math.Abs(s) > math.MaxFloat32 || float32(s) == 0 {
				return fmt.Errorf("image_std[%d] %v: not a finite, nonzero float32", i, s)
			}
		}
	}
	return nil
}

func (s Size) validate(key string, shortestEdgeOK bool) error {
	inRange := func(v int) bool { return v >= 1 && v <= maxConfigSide }
	switch {
	case s.ShortestEdge != 0:
		if !shortestEdgeOK {
			return fmt.Errorf("%s %v: want height and width", key, s)
		}
		if s.Height != 0 || s.Width != 0 {
			return fmt.Errorf("%s %v: shortest_edge with height or width", key, s)
		}
		if !inRange(s.ShortestEdge) {
			return fmt.Errorf("%s %v: shortest_edge outside 1..%d", key, s, maxConfigSide)
		}
	case !inRange(s.Height) || !inRange(s.Width):
		return fmt.Errorf("%s %v: want height and width in 1..%d", key, s, maxConfigSide)
	}
	return nil
}

// ParseConfig reads a preprocessor_config.json. Missing keys (and null
// values) take CLIPImageProcessor's defaults, or SiglipImageProcessor's when
// "image_processor_type" (or "feature_extractor_type") names a SigLIP
// processor, which has no center crop. "size" may be an int (the shortest
// edge; not for SigLIP, which needs both sides), a list [height, width] or a
// dict {"shortest_edge": n} or {"height": h, "width": w}; "crop_size" an int
// (a square), a list or a dict {"height", "width"}; "image_mean" and
// "image_std" a number or a list of three. Unknown keys are ignored; a value
// of the wrong type or range is an error naming its key.
func ParseConfig(data []byte) (Config, error) {
	cfg, err := parseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("preprocess: preprocessor config: %w", err)
	}
	return cfg, nil
}

// LoadConfig reads and parses the preprocessor_config.json at path; errors
// name the file.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("preprocess: %w", err)
	}
	cfg, err := parseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("preprocess: %s: %w", path, err)
	}
	return cfg, nil
}

func parseConfig(data []byte) (Config, error) {
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&fields); err != nil {
		return Config{}, fmt.Errorf("not a JSON object: %w", err)
	}
	if fields == nil {
		return Config{}, errors.New("not a JSON object: null")
	}
	if dec.More() {
		return Config{}, errors.New("data after the JSON object")
	}
	siglip := false
	for _, key := range []string{"image_processor_type", "feature_extractor_type"} {
		var name string
		if raw, ok := present(fields, key); ok {
			if err := json.Unmarshal(raw, &name); err != nil {
				return Config{}, fmt.Errorf("%s: want a string, got %s", key, raw)
			}
			lower := strings.ToLower(name)
			if strings.HasPrefix(lower, "siglip2") {
				return Config{}, fmt.Errorf("%s %q: not supported (SigLIP 2 cuts variable-size patches)", key, name)
			}
			siglip = siglip || strings.HasPrefix(lower, "siglip")
		}
	}
	cfg := CLIP(224)
	if siglip {
		cfg = SigLIP(224)
	}
	for _, b := range []struct {
		key string
		dst *bool
	}{
		{"do_resize", &cfg.DoResize},
		{"do_center_crop", &cfg.DoCenterCrop},
		{"do_rescale", &cfg.DoRescale},
		{"do_normalize", &cfg.DoNormalize},
		{"do_convert_rgb", &cfg.DoConvertRGB},
	} {
		if raw, ok := present(fields, b.key); ok {
			if err := json.Unmarshal(raw, b.dst); err != nil {
				return Config{}, fmt.Errorf("%s: want true or false, got %s", b.key, raw)
			}
		}
	}
	if siglip {
		cfg.DoCenterCrop = false // SiglipImageProcessor has no crop step
	}
	if raw, ok := present(fields, "size"); ok {
		s, err := parseSize(raw, "size", false)
		if err != nil {
			return Config{}, err
		}
		if siglip && s.ShortestEdge != 0 {
			return Config{}, fmt.Errorf("size %s: SiglipImageProcessor resizes to a height and width", raw)
		}
		cfg.Size = s
	}
	if raw, ok := present(fields, "crop_size"); ok && !siglip {
		s, err := parseSize(raw, "crop_size", true)
		if err != nil {
			return Config{}, err
		}
		cfg.CropSize = s
	}
	if raw, ok := present(fields, "resample"); ok {
		v, err := parseInt(raw, "resample")
		if err != nil {
			return Config{}, err
		}
		cfg.Resample = Resample(v)
		if v < int64(Nearest) || v > int64(Hamming) {
			return Config{}, fmt.Errorf("resample %s: not a Pillow filter (0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming)", raw)
		}
	}
	if raw, ok := present(fields, "rescale_factor"); ok {
		if err := json.Unmarshal(raw, &cfg.RescaleFactor); err != nil {
			return Config{}, fmt.Errorf("rescale_factor: want a number, got %s", raw)
		}
	}
	for _, v := range []struct {
		key string
		dst *[3]float64
	}{
		{"image_mean", &cfg.ImageMean},
		{"image_std", &cfg.ImageStd},
	} {
		if raw, ok := present(fields, v.key); ok {
			triple, err := parseTriple(raw, v.key)
			if err != nil {
				return Config{}, err
			}
			*v.dst = triple
		}
	}
	if err := cfg.validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// present returns the raw value of key unless it is absent or null.
func present(fields map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	raw, ok := fields[key]
	if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, false
	}
	return raw, true
}

// parseInt reads an integral JSON number (224 or 224.0) within the range of
// a config size.
func parseInt(raw json.RawMessage, key string) (int64, error) {
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<31 {
		return 0, fmt.Errorf("%s: want an integer, got %s", key, raw)
	}
	return int64(f), nil
}

// parseSize reads Hugging Face's size forms (see ParseConfig). square says
// that a bare int means height = width (crop_size) rather than the
// shortest edge (size).
func parseSize(raw json.RawMessage, key string, square bool) (Size, error) {
	trimmed := bytes.TrimSpace(raw)
	var s Size
	switch {
	case len(trimmed) > 0 && trimmed[0] == '{':
		var dict map[string]json.RawMessage
		if err := json.Unmarshal(raw, &dict); err != nil {
			return Size{}, fmt.Errorf("%s: %w", key, err)
		}
		for k, v := range dict {
			if bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
				continue
			}
			n, err := parseInt(v, key+"."+k)
			if err != nil {
				return Size{}, err
			}
			switch k {
			case "shortest_edge":
				s.ShortestEdge = int(n)
			case "height":
				s.Height = int(n)
			case "width":
				s.Width = int(n)
			default:
				return Size{}, fmt.Errorf("%s %s: key %q not supported (want shortest_edge, or height and width)", key, raw, k)
			}
		}
	case len(trimmed) > 0 && trimmed[0] == '[':
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil || len(list) != 2 {
			return Size{}, fmt.Errorf("%s %s: want [height, width]", key, raw)
		}
		h, err := parseInt(list[0], key+"[0]")
		if err != nil {
			return Size{}, err
		}
		w, err := parseInt(list[1], key+"[1]")
		if err != nil {
			return Size{}, err
		}
		s.Height, s.Width = int(h), int(w)
	default:
		n, err := parseInt(raw, key)
		if err != nil {
			return Size{}, fmt.Errorf("%s: want an integer, a [height, width] list or a dict, got %s", key, raw)
		}
		if square {
			s.Height, s.Width = int(n), int(n)
		} else {
			s.ShortestEdge = int(n)
		}
	}
	if err := s.validate(key, !square); err != nil {
		return Size{}, err
	}
	return s, nil
}

// parseTriple reads a number (used for the three channels) or a list of
// three numbers.
func parseTriple(raw json.RawMessage, key string) ([3]float64, error) {
	var one float64
	if err := json.Unmarshal(raw, &one); err == nil {
		return [3]float64{one, one, one}, nil
	}
	var list []float64
	if err := json.Unmarshal(raw, &list); err != nil || len(list) != 3 {
		return [3]float64{}, fmt.Errorf("%s: want a number or a list of 3 numbers, got %s", key, raw)
	}
	return [3]float64(list), nil
}
