package preprocess

import (
	"fmt"
	"image"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestResizeMatchesPillow resizes the fixture images with every filter and
// size of the manifest (shrinking, enlarging, one axis only, 1-pixel and
// extreme aspect ratios) and wants Pillow's bytes exactly.
func TestResizeMatchesPillow(t *testing.T) {
	m := loadManifest(t)
	sources := map[string]*Image{}
	resizers := map[int]*Resizer{}
	for _, c := range m.Resize {
		t.Run(c.Name, func(t *testing.T) {
			src := sources[c.Source]
			if src == nil {
				src = readRGBPNG(t, c.Source)
				sources[c.Source] = src
			}
			r := resizers[c.Resample]
			if r == nil {
				var err error
				r, err = NewResizer(Resample(c.Resample))
				require.NoError(t, err)
				require.Equal(t, c.Filter, r.Filter().String())
				resizers[c.Resample] = r
			}
			want := readRGBPNG(t, "resize/"+c.Name+".png")
			var got Image
			require.NoError(t, r.Resize(&got, src, c.Width, c.Height))
			require.Equal(t, c.Width, got.Width)
			require.Equal(t, c.Height, got.Height)
			assert.Zero(t, countDiff(got.Pix, want.Pix), "bytes differing from Pillow")
		})
	}
}

// countDiff returns how many bytes of a and b differ (and len mismatch as
// all of them).
func countDiff(a, b []byte) int {
	if len(a) != len(b) {
		return max(len(a), len(b))
	}
	n := 0
	for i := range a {
		if a[i] != b[i] {
			n++
		}
	}
	return n
}

// TestResizeWindowMatchesFullResize checks that computing a window of the
// resized image (what the processor does for a center crop) gives the same
// bytes as resizing everything and cropping, for every filter and for
// windows touching each edge.
func TestResizeWindowMatchesFullResize(t *testing.T) {
	src := syntheticImage(53, 31)
	sizes := [][2]int{{20, 11}, {53, 80}, {120, 31}, {97, 64}, {7, 7}}
	for f := Nearest; f <= Hamming; f++ {
		for _, sz := range sizes {
			w, h := sz[0], sz[1]
			t.Run(fmt.Sprintf("%v to %dx%d", f, w, h), func(t *testing.T) {
				r, err := NewResizer(f)
				require.NoError(t, err)
				var full Image
				require.NoError(t, r.Resize(&full, src, w, h))
				wins := []image.Rectangle{
					image.Rect(0, 0, w, h), image.Rect(0, 0, 1, 1), image.Rect(w-1, h-1, w, h),
					image.Rect(w/4, h/3, w-w/5, h-h/4+0), image.Rect(w/2, 0, w/2+1, h),
				}
				for _, win := range wins {
					if win.Empty() {
						continue
					}
					got := make([]byte, 3*win.Dx()*win.Dy())
					r.resizeWindow(got, src, w, h, win)
					want := cropRGB(&full, win)
					assert.Zero(t, countDiff(got, want), "window %v", win)
				}
			})
		}
	}
}

func cropRGB(m *Image, r image.Rectangle) []byte {
	out := make([]byte, 0, 3*r.Dx()*r.Dy())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		out = append(out, m.Pix[3*(y*m.Width+r.Min.X):3*(y*m.Width+r.Max.X)]...)
	}
	return out
}

// syntheticImage is a deterministic photo-like test image: gradients, a
// disc, stripes and a little pseudo-random noise.
func syntheticImage(w, h int) *Image {
	m := NewImage(w, h)
	seed := uint32(12345)
	for y := range h {
		for x := range w {
			seed = seed*1664525 + 1013904223
			noise := int(seed>>27) - 16
			r := 128 + (x*200)/max(w, 1) - 100 + noise
			g := 40 + noise
			if dx, dy := x-w/2, y-h/2; dx*dx+dy*dy < w*h/8 {
				g = 220 + noise
			}
			b := (y*255)/max(h, 1) + 30*((x/5)%2) + noise
			i := 3 * (y*w + x)
			m.Pix[i], m.Pix[i+1], m.Pix[i+2] = byte(min(max(r, 0), 255)), byte(min(max(g, 0), 255)), byte(min(max(b, 0), 255))
		}
	}
	return m
}

// TestResizeRefusesBadArguments checks the errors of Resize.
func TestResizeRefusesBadArguments(t *testing.T) {
	src := syntheticImage(4, 3)
	cases := []struct {
		name          string
		src           *Image
		width, height int
		filter        Resample
	}{
		{"unknown filter 6", src, 2, 2, Resample(6)},
		{"negative filter", src, 2, 2, Resample(-1)},
		{"zero width", src, 0, 2, Bicubic},
		{"negative height", src, 2, -1, Bicubic},
		{"nil source", nil, 2, 2, Bicubic},
		{"short pixel buffer", &Image{Width: 4, Height: 3, Pix: make([]byte, 35)}, 2, 2, Bicubic},
		{"zero-size source", &Image{}, 2, 2, Bicubic},
		{"huge output", src, 1 << 21, 1, Bicubic},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Resize(c.src, c.width, c.height, c.filter)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "preprocess: ")
		})
	}
}

// TestResizeUnchangedSizeCopies checks Pillow's shortcut: the same size
// gives a copy, not a filtered image, and not the source's memory.
func TestResizeUnchangedSizeCopies(t *testing.T) {
	src := syntheticImage(9, 5)
	for f := Nearest; f <= Hamming; f++ {
		got, err := Resize(src, 9, 5, f)
		require.NoError(t, err)
		assert.Equal(t, src.Pix, got.Pix, f.String())
		got.Pix[0]++
		assert.NotEqual(t, src.Pix[0], got.Pix[0], "a copy")
	}
}

// TestResizeStaysInItsBuffer checks that Resize writes dst.Pix[:3*w*h] and
// nothing beyond, when dst.Pix has room to spare, for every filter and for
// shrinking, enlarging and one-axis resizes.
func TestResizeStaysInItsBuffer(t *testing.T) {
	const sentinel = 0xa5
	src := syntheticImage(29, 13)
	for f := Nearest; f <= Hamming; f++ {
		r, err := NewResizer(f)
		require.NoError(t, err)
		for _, sz := range [][2]int{{7, 5}, {60, 30}, {29, 40}, {3, 13}, {1, 1}} {
			buf := make([]byte, 3*60*40+64)
			for i := range buf {
				buf[i] = sentinel
			}
			n := 3 * sz[0] * sz[1]
			dst := &Image{Pix: buf[:0]}
			require.NoError(t, r.Resize(dst, src, sz[0], sz[1]))
			require.Len(t, dst.Pix, n)
			for i := n; i < len(buf); i++ {
				if buf[i] != sentinel {
					t.Fatalf("%v to %dx%d: byte %d (of %d written) changed", f, sz[0], sz[1], i, n)
				}
			}
		}
	}
}

// TestResizerAllocatesNothing checks that a Resizer reuses its
// coefficients and scratch: after the first image of a size, no allocation.
func TestResizerAllocatesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts are unreliable under -race (CI's -short run)")
	}
	src := syntheticImage(301, 199)
	for f := Nearest; f <= Hamming; f++ {
		r, err := NewResizer(f)
		require.NoError(t, err)
		var dst Image
		require.NoError(t, r.Resize(&dst, src, 224, 148))
		allocs := testing.AllocsPerRun(3, func() {
			if err := r.Resize(&dst, src, 224, 148); err != nil {
				t.Fatal(err)
			}
		})
		assert.Zero(t, allocs, f.String())
	}
}
