package preprocess

import (
	"compress/gzip"
	"encoding/binary"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readFloat32Gz(t *testing.T, rel string) []float32 {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", rel))
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	raw, err := io.ReadAll(zr)
	require.NoError(t, err)
	require.Zero(t, len(raw)%4)
	out := make([]float32, len(raw)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return out
}

// hfValues is the pixel_values of an RGB8 crop by Hugging Face's formulas,
// written independently of Processor's tables: [3, H, W].
func hfValues(cfg Config, crop *Image) []float32 {
	plane := crop.Width * crop.Height
	out := make([]float32, 3*plane)
	for i := range plane {
		for c := range 3 {
			x := float32(crop.Pix[3*i+c])
			if cfg.DoRescale {
				x = float32(float64(crop.Pix[3*i+c]) * cfg.RescaleFactor)
			}
			if cfg.DoNormalize {
				x = (x - float32(cfg.ImageMean[c])) / float32(cfg.ImageStd[c])
			}
			out[c*plane+i] = x
		}
	}
	return out
}

// TestProcessMatchesHuggingFace runs each processor config of the fixtures
// on Pillow's decoded image (so that the RGB8 inputs are equal) and wants
// Hugging Face's geometry and pixel_values: the NumPy ones where stored,
// else those of the fixture's RGB8 crop, within 1e-6 (they are in fact
// bit-identical: the same float32 operations on the same bytes).
func TestProcessMatchesHuggingFace(t *testing.T) {
	m := loadManifest(t)
	for _, c := range m.Process {
		t.Run(c.Name, func(t *testing.T) {
			cfg, err := ParseConfig(c.Config)
			require.NoError(t, err)
			p, err := NewProcessor(cfg)
			require.NoError(t, err)
			src := readRGBPNG(t, c.Source)
			require.Equal(t, c.SourceWidth, src.Width)

			g, err := p.Geometry(src.Width, src.Height)
			require.NoError(t, err)
			assert.Equal(t, c.Resized, [2]int{g.ResizedWidth, g.ResizedHeight}, "resized size")
			assert.Equal(t, c.Crop, [2]int{g.CropLeft, g.CropTop}, "crop offsets")
			assert.Equal(t, [2]int{c.Width, c.Height}, [2]int{g.Width, g.Height}, "output size")
			if h, w := p.OutputSize(); h != 0 {
				assert.Equal(t, [2]int{c.Height, c.Width}, [2]int{h, w}, "OutputSize")
			}

			got := make([]float32, 3*g.Width*g.Height)
			require.NoError(t, p.Process(got, src, NCHW))
			want := hfValues(cfg, readRGBPNG(t, "process/"+c.Name+".png"))
			if c.PixelValues != "" {
				stored := readFloat32Gz(t, c.PixelValues)
				require.Len(t, stored, len(want))
				assert.InDeltaSlice(t, stored, want, 1e-6, "the test's formulas against NumPy's")
				want = stored
			}
			requireCloseFloats(t, want, got, 1e-6)

			hwc := make([]float32, len(got))
			require.NoError(t, p.Process(hwc, src, NHWC))
			plane := g.Width * g.Height
			for i := range plane {
				for ch := range 3 {
					if hwc[3*i+ch] != got[ch*plane+i] {
						t.Fatalf("NHWC [%d, %d] = %v, NCHW [%d, %d] = %v", i, ch, hwc[3*i+ch], ch, i, got[ch*plane+i])
					}
				}
			}
		})
	}
}

func requireCloseFloats(t *testing.T, want, got []float32, tol float64) {
	t.Helper()
	require.Len(t, got, len(want))
	worst, at := 0.0, -1
	for i := range want {
		if d := math.Abs(float64(want[i]) - float64(got[i])); d > worst || math.IsNaN(d) {
			worst, at = d, i
		}
	}
	if worst > tol {
		t.Fatalf("max abs error %g at %d (want %v, got %v), tolerance %g", worst, at, want[at], got[at], tol)
	}
}

// TestProcessAllocatesNothing checks that after the first image of a size,
// processing allocates nothing: coefficients, tables and scratch are kept.
func TestProcessAllocatesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts are unreliable under -race (CI's -short run)")
	}
	src := syntheticImage(301, 199)
	for _, cfg := range []Config{CLIP(224), SigLIP(224), func() Config { c := CLIP(64); c.Resample = Nearest; return c }()} {
		p, err := NewProcessor(cfg)
		require.NoError(t, err)
		g, err := p.Geometry(src.Width, src.Height)
		require.NoError(t, err)
		dst := make([]float32, 3*g.Width*g.Height)
		require.NoError(t, p.Process(dst, src, NCHW))
		allocs := testing.AllocsPerRun(5, func() {
			if err := p.Process(dst, src, NCHW); err != nil {
				t.Fatal(err)
			}
			if err := p.Process(dst, src, NHWC); err != nil {
				t.Fatal(err)
			}
		})
		assert.Zero(t, allocs, "allocations per image")
	}
}

// TestProcessRefusesBadArguments checks Process's errors.
func TestProcessRefusesBadArguments(t *testing.T) {
	p, err := NewProcessor(CLIP(8))
	require.NoError(t, err)
	good := syntheticImage(10, 12)
	cases := []struct {
		name   string
		dst    []float32
		img    *Image
		layout Layout
		errHas string
	}{
		{"dst one value short", make([]float32, 3*8*8-1), good, NCHW, "want 192"},
		{"dst one value long", make([]float32, 3*8*8+1), good, NCHW, "want 192"},
		{"nil image", make([]float32, 192), nil, NCHW, "nil image"},
		{"zero-size image", make([]float32, 192), &Image{}, NCHW, "positive"},
		{"short pixel buffer", make([]float32, 192), &Image{Width: 10, Height: 12, Pix: good.Pix[:10]}, NCHW, "bytes of pixels"},
		{"unknown layout", make([]float32, 192), good, Layout(7), "layout"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := p.Process(c.dst, c.img, c.layout)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.errHas)
			assert.Contains(t, err.Error(), "preprocess: process: ")
		})
	}
}

// TestGeometryMapsBack checks Hugging Face's resize and crop arithmetic and
// the mapping of processed points and boxes back to the source.
func TestGeometryMapsBack(t *testing.T) {
	clip, err := NewProcessor(CLIP(224))
	require.NoError(t, err)
	siglip, err := NewProcessor(SigLIP(224))
	require.NoError(t, err)
	cases := []struct {
		name          string
		p             *Processor
		w, h          int
		want          Geometry
		box, wantBox  [4]float64
		point, wantPt [2]float64
	}{
		{
			name: "landscape 1920x1080: long side int(224*1920/1080)=398, crop left 87",
			p:    clip, w: 1920, h: 1080,
			want: Geometry{1920, 1080, 398, 224, 87, 0, 224, 224},
			box:  [4]float64{0, 0, 1, 1}, wantBox: [4]float64{87 * 1920 / 398.0, 0, 311 * 1920 / 398.0, 1080},
			point: [2]float64{112, 112}, wantPt: [2]float64{199 * 1920 / 398.0, 540},
		},
		{
			name: "portrait 427x640: long side int(224*640/427)=335, crop top 55",
			p:    clip, w: 427, h: 640,
			want: Geometry{427, 640, 224, 335, 0, 55, 224, 224},
			box:  [4]float64{0.25, 0.5, 0.75, 1}, wantBox: [4]float64{56 * 427 / 224.0, 167 * 640 / 335.0, 168 * 427 / 224.0, 279 * 640 / 335.0},
			point: [2]float64{0, 0}, wantPt: [2]float64{0, 55 * 640 / 335.0},
		},
		{
			name: "square smaller than the crop: enlarged, no offset",
			p:    clip, w: 50, h: 50,
			want: Geometry{50, 50, 224, 224, 0, 0, 224, 224},
			box:  [4]float64{0, 0, 1, 1}, wantBox: [4]float64{0, 0, 50, 50},
			point: [2]float64{224, 224}, wantPt: [2]float64{50, 50},
		},
		{
			name: "SigLIP squashes 1920x1080 to 224x224",
			p:    siglip, w: 1920, h: 1080,
			want: Geometry{1920, 1080, 224, 224, 0, 0, 224, 224},
			box:  [4]float64{0.5, 0.5, 1, 1}, wantBox: [4]float64{960, 540, 1920, 1080},
			point: [2]float64{22.4, 0}, wantPt: [2]float64{192, 0},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, err := c.p.Geometry(c.w, c.h)
			require.NoError(t, err)
			assert.Equal(t, c.want, g)
			x0, y0, x1, y1 := g.BoxToSource(c.box[0], c.box[1], c.box[2], c.box[3])
			assert.InDeltaSlice(t, c.wantBox[:], []float64{x0, y0, x1, y1}, 1e-9)
			px, py := g.ToSource(c.point[0], c.point[1])
			assert.InDeltaSlice(t, c.wantPt[:], []float64{px, py}, 1e-9)
		})
	}
}

// TestProcessPadsWhenCropIsLarger checks the zero padding of a crop larger
// than the resized image: padded values are those of a zero byte, and the
// image sits at Hugging Face's offsets.
func TestProcessPadsWhenCropIsLarger(t *testing.T) {
	cfg := CLIP(4)
	cfg.CropSize = Size{Height: 7, Width: 9}
	p, err := NewProcessor(cfg)
	require.NoError(t, err)
	src := syntheticImage(6, 4) // resized to 6x4: crop offsets floor(-3/2)=-2, floor(-3/2)=-2
	g, err := p.Geometry(6, 4)
	require.NoError(t, err)
	assert.Equal(t, Geometry{6, 4, 6, 4, -2, -2, 9, 7}, g)
	dst := make([]float32, 3*9*7)
	require.NoError(t, p.Process(dst, src, NCHW))
	zero := (float32(0) - float32(cfg.ImageMean[0])) / float32(cfg.ImageStd[0])
	for y := range 7 {
		for x := range 9 {
			v := dst[y*9+x]
			sx, sy := x-2, y-2
			if sx < 0 || sx >= 6 || sy < 0 || sy >= 4 {
				assert.Equal(t, zero, v, "pad at %d,%d", x, y)
				continue
			}
			want := (float32(float64(src.Pix[3*(sy*6+sx)])*cfg.RescaleFactor) - float32(cfg.ImageMean[0])) / float32(cfg.ImageStd[0])
			assert.Equal(t, want, v, "image at %d,%d", x, y)
		}
	}
}

// TestProcessStaysInItsWindow gives Process a window of a larger slice
// filled with a sentinel (gonum's guard bands): nothing outside the window
// may change, whatever the layout, crop, padding or filter.
func TestProcessStaysInItsWindow(t *testing.T) {
	const guard = 37
	sentinel := float32(-12345.5)
	padded := CLIP(20)
	padded.CropSize = Size{Height: 23, Width: 27}
	nearest := SigLIP(16)
	nearest.Resample = Nearest
	for _, cfg := range []Config{CLIP(20), SigLIP(24), padded, nearest} {
		p, err := NewProcessor(cfg)
		require.NoError(t, err)
		for _, layout := range []Layout{NCHW, NHWC} {
			src := syntheticImage(31, 17)
			g, err := p.Geometry(src.Width, src.Height)
			require.NoError(t, err)
			n := 3 * g.Width * g.Height
			buf := make([]float32, n+2*guard)
			for i := range buf {
				buf[i] = sentinel
			}
			require.NoError(t, p.Process(buf[guard:guard+n], src, layout))
			for i, v := range buf {
				inside := i >= guard && i < guard+n
				if inside == (v == sentinel) {
					t.Fatalf("%+v %v: value %v at %d (window %d..%d)", cfg.Size, layout, v, i, guard, guard+n)
				}
			}
		}
	}
}
