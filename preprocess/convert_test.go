package preprocess

import (
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFromImageOfStdlibJPEGIsClose decodes the fixture JPEGs with the
// standard library's image/jpeg and converts them with FromImage: the
// upsampling and colour conversion are libjpeg's, the IDCT is Go's, so the
// result is within 3 levels of Pillow (a level of Cb is 1.772 of blue), and
// on average far closer. (RGB and CMYK JPEGs, which image/jpeg converts
// itself, are skipped.)
func TestFromImageOfStdlibJPEGIsClose(t *testing.T) {
	m := loadManifest(t)
	for _, c := range m.Decode {
		if !strings.HasSuffix(c.File, ".jpg") || c.PillowMode == "CMYK" {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", c.File))
			require.NoError(t, err)
			defer f.Close()
			img, err := jpeg.Decode(f)
			require.NoError(t, err)
			switch img.(type) {
			case *image.YCbCr, *image.Gray:
			default:
				t.Skipf("image/jpeg converts this one itself (%T)", img)
			}
			got := FromImage(img)
			want := readRGBPNG(t, filepath.Join("decoded", c.Name+".png"))
			maxDiff, sum := 0, 0
			for i := range want.Pix {
				d := int(got.Pix[i]) - int(want.Pix[i])
				d = max(d, -d)
				maxDiff, sum = max(maxDiff, d), sum+d
			}
			assert.LessOrEqual(t, maxDiff, 3)
			if len(want.Pix) >= 3000 {
				assert.Less(t, float64(sum)/float64(len(want.Pix)), 0.05)
			}
		})
	}
}

// TestFromImageConvertsEachType checks FromImage on each image type against
// the colour Pillow's convert("RGB") gives for the same pixel.
func TestFromImageConvertsEachType(t *testing.T) {
	rect := image.Rect(0, 0, 2, 1)
	gray := image.NewGray(rect)
	gray.Pix = []byte{7, 250}
	gray16 := image.NewGray16(rect)
	gray16.Pix = []byte{0x00, 0xfe, 0x01, 0x00} // 254 stays, 256 clips to 255
	nrgba := image.NewNRGBA(rect)
	nrgba.Pix = []byte{10, 20, 30, 0, 40, 50, 60, 128} // alpha dropped, colour kept
	rgba := image.NewRGBA(rect)
	rgba.Pix = []byte{10, 20, 30, 255, 50, 25, 0, 100} // premultiplied: 50*255/100 = 127.5 -> 128
	nrgba64 := image.NewNRGBA64(rect)
	nrgba64.Pix = []byte{0x12, 0xff, 0x34, 0x00, 0x56, 0x80, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0}
	rgba64 := image.NewRGBA64(rect)
	rgba64.Pix = []byte{0x12, 0xff, 0x34, 0x00, 0x56, 0x80, 0xff, 0xff, 0xab, 0xcd, 0, 0, 0x01, 0x02, 0xff, 0xff}
	paletted := image.NewPaletted(rect, color.Palette{color.RGBA{1, 2, 3, 255}, color.NRGBA{4, 5, 6, 0}})
	paletted.Pix = []byte{1, 0}
	cmyk := image.NewCMYK(rect)
	cmyk.Pix = []byte{0, 0, 0, 0, 255, 128, 0, 100}
	sub := syntheticImageRGBA(5, 4).SubImage(image.Rect(1, 1, 3, 2))

	cases := []struct {
		name string
		img  image.Image
		want []byte
	}{
		{"gray replicated", gray, []byte{7, 7, 7, 250, 250, 250}},
		{"16-bit gray clipped as Pillow's mode I", gray16, []byte{254, 254, 254, 255, 255, 255}},
		{"NRGBA alpha dropped, colour kept even at alpha 0", nrgba, []byte{10, 20, 30, 40, 50, 60}},
		{"RGBA un-premultiplied", rgba, []byte{10, 20, 30, 128, 64, 0}},
		{"NRGBA64 high bytes", nrgba64, []byte{0x12, 0x34, 0x56, 0xff, 0, 0}},
		{"RGBA64 high bytes", rgba64, []byte{0x12, 0x34, 0x56, 0xab, 0, 0x01}},
		{"paletted colours, alpha ignored", paletted, []byte{4, 5, 6, 1, 2, 3}},
		{"CMYK by Pillow's formula", cmyk, []byte{255, 255, 255, 0, 77, 155}},
		{"sub-image of an RGBA", sub, nil},
		{"an *Image copied", syntheticImage(3, 2), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := FromImage(c.img)
			b := c.img.Bounds()
			require.Equal(t, b.Dx(), got.Width)
			require.Equal(t, b.Dy(), got.Height)
			want := c.want
			if want == nil {
				for y := b.Min.Y; y < b.Max.Y; y++ {
					for x := b.Min.X; x < b.Max.X; x++ {
						r, g, bl, _ := c.img.At(x, y).RGBA()
						want = append(want, byte(r>>8), byte(g>>8), byte(bl>>8))
					}
				}
			}
			assert.Equal(t, want, got.Pix)
		})
	}
}

func syntheticImageRGBA(w, h int) *image.RGBA {
	src := syntheticImage(w, h)
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range w * h {
		copy(m.Pix[4*i:], src.Pix[3*i:3*i+3])
		m.Pix[4*i+3] = 255
	}
	return m
}

// TestFromImageOfYCbCrSubImage checks the upsampler off the chroma grid: a
// sub-image starting at odd coordinates converts to the same pixels as the
// whole image, cropped (the chroma samples and the edges they clamp to are
// the same), for each subsampling.
func TestFromImageOfYCbCrSubImage(t *testing.T) {
	ratios := []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	}
	for _, ratio := range ratios {
		t.Run(ratio.String(), func(t *testing.T) {
			full := image.NewYCbCr(image.Rect(0, 0, 13, 9), ratio)
			seed := uint32(7)
			for _, plane := range [][]byte{full.Y, full.Cb, full.Cr} {
				for i := range plane {
					seed = seed*1664525 + 1013904223
					plane[i] = byte(seed >> 24)
				}
			}
			whole := FromImage(full)
			r := image.Rect(1, 1, 13, 9)
			sub := FromImage(full.SubImage(r))
			cropped := cropRGB(whole, r)
			assert.Equal(t, cropped, sub.Pix)
		})
	}
}
