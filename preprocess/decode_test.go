package preprocess

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDecodeMatchesPillow decodes every fixture image and compares it with
// Pillow's Image.open(...).convert("RGB"): every byte must be equal, for
// PNGs of each colour type and JPEGs of each subsampling, progressive,
// grayscale and CMYK.
func TestDecodeMatchesPillow(t *testing.T) {
	m := loadManifest(t)
	for _, c := range m.Decode {
		t.Run(c.Name, func(t *testing.T) {
			got, err := DecodeFile(filepath.Join("testdata", c.File))
			require.NoError(t, err)
			want := readRGBPNG(t, filepath.Join("decoded", c.Name+".png"))
			require.Equal(t, want.Width, got.Width, "width")
			require.Equal(t, want.Height, got.Height, "height")
			maxDiff, sum, n := 0, 0, 0
			for i := range want.Pix {
				d := int(got.Pix[i]) - int(want.Pix[i])
				if d < 0 {
					d = -d
				}
				maxDiff = max(maxDiff, d)
				sum += d
				if d != 0 {
					n++
				}
			}
			mean := float64(sum) / float64(len(want.Pix))
			t.Logf("%-40s %-5s max %d mean %.5f differing %d of %d", c.Name, c.PillowMode, maxDiff, mean, n, len(want.Pix))
			assert.Zero(t, maxDiff, "bytes differing from Pillow")
		})
	}
}
