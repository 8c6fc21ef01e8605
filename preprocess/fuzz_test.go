package preprocess

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// fuzzMaxPixels bounds what FuzzDecode may decode, so that no input makes it
// allocate more than a few megabytes.
const fuzzMaxPixels = 1 << 16

// FuzzDecode feeds arbitrary bytes to the decoder: it must never panic,
// every error must be ErrFormat or ErrTooLarge, and a decoded image must be
// consistent and within the limit.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{
		"coffee_33x17_q95_420.jpg", "coffee_5x3_q90_422.jpg", "chelsea_97x1_q90_422.jpg",
		"astronaut_50x37_q90_420.jpg", "png_palette4.png", "png_gray1.png", "png_rgba16.png",
		"png_gray_alpha8.png",
	} {
		data, err := os.ReadFile(filepath.Join("testdata", "src", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(pngHeader(100000, 100000))
	f.Add(pngHeader(0, 0))
	f.Add([]byte{0xff, 0xd8, 0xff, 0xc2, 0x00, 0x11, 0x08, 0xff, 0xff, 0xff, 0xff, 0x03})
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := DecodeLimited(bytes.NewReader(data), fuzzMaxPixels)
		if err != nil {
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error neither ErrFormat nor ErrTooLarge: %v", err)
			}
			if img != nil {
				t.Fatal("an image with an error")
			}
			return
		}
		if img.Width <= 0 || img.Height <= 0 || img.Width*img.Height > fuzzMaxPixels {
			t.Fatalf("decoded %dx%d", img.Width, img.Height)
		}
		if len(img.Pix) != 3*img.Width*img.Height {
			t.Fatalf("%dx%d image with %d bytes", img.Width, img.Height, len(img.Pix))
		}
	})
}

// FuzzParseConfig feeds arbitrary JSON to ParseConfig: it must never panic,
// an accepted config must be valid and make a processor, and marshalling it
// must parse back to the same config (up to the fields its switches make
// irrelevant).
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"crop_size": 224, "do_center_crop": true, "size": 224, "resample": 3}`))
	f.Add([]byte(`{"image_processor_type": "SiglipImageProcessor", "size": {"height": 384, "width": 384}}`))
	f.Add([]byte(`{"size": [240, 320], "crop_size": {"height": 1, "width": 16384}, "image_mean": 0.5}`))
	f.Add([]byte(`{"do_resize": false, "do_rescale": false, "image_std": [1e-30, 2, 3]}`))
	f.Add([]byte(`{"size": {"shortest_edge": 7}, "rescale_factor": -1e308, "resample": 1.0}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(data)
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("accepted an invalid config: %v", err)
		}
		p, err := NewProcessor(cfg)
		if err != nil {
			t.Fatalf("NewProcessor refused a parsed config: %v", err)
		}
		if _, err := p.Geometry(3, 2); err != nil && cfg.DoResize && cfg.Size.ShortestEdge == 0 {
			t.Fatalf("Geometry: %v", err)
		}
		out, err := json.Marshal(cfg)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseConfig(out)
		if err != nil {
			t.Fatalf("marshalled config %s does not parse: %v", out, err)
		}
		if canonical(again) != canonical(cfg) {
			t.Fatalf("round trip changed the config:\n%+v\n%+v", cfg, again)
		}
	})
}
