package preprocess

import (
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// The fixtures of tools/make_preprocess_fixtures.py (see testdata/README.md).

type decodeCase struct {
	Name       string `json:"name"`
	File       string `json:"file"`
	PillowMode string `json:"pillow_mode"`
	Width      int    `json:"width"`
	Height     int    `json:"height"`
}

type resizeCase struct {
	Name     string `json:"name"`
	Source   string `json:"source"`
	Filter   string `json:"filter"`
	Resample int    `json:"resample"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
}

type processCase struct {
	Name         string          `json:"name"`
	Source       string          `json:"source"`
	Config       json.RawMessage `json:"config"`
	Width        int             `json:"width"`
	Height       int             `json:"height"`
	SourceWidth  int             `json:"source_width"`
	SourceHeight int             `json:"source_height"`
	Resized      [2]int          `json:"resized"`
	Crop         [2]int          `json:"crop"`
	PixelValues  string          `json:"pixel_values"`
}

type fixtureManifest struct {
	Pillow  string        `json:"pillow"`
	Decode  []decodeCase  `json:"decode"`
	Resize  []resizeCase  `json:"resize"`
	Process []processCase `json:"process"`
}

var (
	manifestOnce sync.Once
	manifestData fixtureManifest
	manifestErr  error
)

func loadManifest(t testing.TB) *fixtureManifest {
	t.Helper()
	manifestOnce.Do(func() {
		data, err := os.ReadFile(filepath.Join("testdata", "manifest.json"))
		if err != nil {
			manifestErr = err
			return
		}
		manifestErr = json.Unmarshal(data, &manifestData)
	})
	require.NoError(t, manifestErr)
	return &manifestData
}

// readRGBPNG reads an 8-bit RGB PNG of the fixtures without going through
// the package's own conversions.
func readRGBPNG(t testing.TB, rel string) *Image {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", rel))
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err, rel)
	b := img.Bounds()
	out := NewImage(b.Dx(), b.Dy())
	i := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			require.Equal(t, uint32(0xffff), a, "%s: fixture pixels are opaque", rel)
			out.Pix[i], out.Pix[i+1], out.Pix[i+2] = byte(r>>8), byte(g>>8), byte(bl>>8)
			i += 3
		}
	}
	return out
}
