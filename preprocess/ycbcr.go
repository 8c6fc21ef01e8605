package preprocess

import (
	"image"

	"github.com/vlmrt/vlmrt/preprocess/internal/jpeg"
)

// YCbCr to RGB as libjpeg-turbo's decoder does it (jdsample.c, jdcolor.c),
// which is what Pillow reads a JPEG with: subsampled chroma is upsampled with
// the "fancy" triangle filter (do_fancy_upsampling, Pillow's default), then
// each pixel is converted with fixed-point tables of 16 fractional bits.

const (
	ycScaleBits = 16
	ycOneHalf   = 1 << (ycScaleBits - 1)
)

// ycFix is libjpeg's FIX(x): x in 16.16 fixed point, rounded.
func ycFix(x float64) int32 { return int32(x*(1<<ycScaleBits) + 0.5) }

// The tables of build_ycc_rgb_table, indexed by the Cb or Cr sample.
var crToR, cbToB, crToG, cbToG [256]int32

func init() {
	for i := range 256 {
		x := int32(i - 128)
		crToR[i] = (ycFix(1.40200)*x + ycOneHalf) >> ycScaleBits
		cbToB[i] = (ycFix(1.77200)*x + ycOneHalf) >> ycScaleBits
		crToG[i] = -ycFix(0.71414) * x
		cbToG[i] = -ycFix(0.34414)*x + ycOneHalf
	}
}

func clampByte(v int32) byte {
	if uint32(v) > 255 {
		if v < 0 {
			return 0
		}
		return 255
	}
	return byte(v)
}

// clampTable is clampByte of i-384, for sums from -384 to 639 (a Y sample
// plus a table entry stays within -179..433), indexed with & 1023 so that
// the compiler needs no bounds check.
var clampTable [1024]byte

func init() {
	for i := range clampTable {
		clampTable[i] = clampByte(int32(i - 384))
	}
}

// ycbcrRowToRGB converts one row (ys, cbs and crs of equal length, chroma
// already upsampled) to interleaved RGB in dst.
func ycbcrRowToRGB(dst, ys, cbs, crs []byte) {
	cbs = cbs[:len(ys)]
	crs = crs[:len(ys)]
	dst = dst[:3*len(ys)]
	for i, yv := range ys {
		y := int32(yv) + 384
		cb, cr := cbs[i], crs[i]
		d := dst[3*i : 3*i+3 : 3*i+3]
		d[0] = clampTable[(y+crToR[cr])&1023]
		d[1] = clampTable[(y+(cbToG[cb]+crToG[cr])>>ycScaleBits)&1023]
		d[2] = clampTable[(y+cbToB[cb])&1023]
	}
}

// chromaUpsampler makes full-width chroma rows from a subsampled plane as
// libjpeg-turbo's upsampler does for its factors.
type chromaUpsampler struct {
	hf, vf int // horizontal and vertical subsampling factor (1, 2 or 4)
	// The chroma samples covering the image, in absolute chroma
	// coordinates: columns cx0..cx1 and rows cy0..cy1, inclusive.
	cx0, cx1, cy0, cy1 int
	fancy              bool  // the triangle filter (else replication)
	colsum             []int // scratch: h2v2's 3*near+far per chroma column
}

func newChromaUpsampler(r image.Rectangle, hf, vf int) *chromaUpsampler {
	u := &chromaUpsampler{
		hf: hf, vf: vf,
		cx0: r.Min.X / hf, cx1: (r.Max.X - 1) / hf,
		cy0: r.Min.Y / vf, cy1: (r.Max.Y - 1) / vf,
	}
	width := u.cx1 - u.cx0 + 1
	switch {
	case hf == 2 && vf == 1, hf == 2 && vf == 2:
		// jdsample.c: the horizontal fancy kernels need more than two
		// samples per row; narrower components are replicated.
		u.fancy = width > 2
	case hf == 1 && vf == 2:
		u.fancy = true
	}
	u.colsum = make([]int, width)
	return u
}

// row writes into dst the chroma values of image row y (absolute) for
// columns x0..x0+len(dst)-1; plane(cy) returns the chroma row cy (absolute
// chroma coordinates) indexed from cx0.
func (u *chromaUpsampler) row(dst []byte, y, x0 int, plane func(cy int) []byte) {
	clampRow := func(cy int) int { return min(max(cy, u.cy0), u.cy1) }
	clampCol := func(cx int) int { return min(max(cx, u.cx0), u.cx1) - u.cx0 }
	cy := y / u.vf
	switch {
	case u.fancy && u.hf == 2 && u.vf == 2:
		// h2v2_fancy_upsample: 9/16 nearest, 3/16 each neighbour, 1/16 the
		// diagonal; rounding alternates (+8 even columns, +7 odd).
		far := cy - 1
		if y%2 == 1 {
			far = cy + 1
		}
		near, farRow := plane(cy), plane(clampRow(far))
		cs := u.colsum
		farRow = farRow[:len(near)]
		cs = cs[:len(near)]
		for i, v := range near {
			cs[i] = 3*int(v) + int(farRow[i])
		}
		if x0%2 == 0 && x0/2 == u.cx0 {
			// The row starts on a chroma sample (always, for a decoded
			// JPEG): two outputs per chroma column.
			fancyRow(dst, cs, 8, 7, 4)
			return
		}
		for j := range dst {
			x := x0 + j
			c := x/2 - u.cx0
			if x%2 == 0 {
				dst[j] = byte((3*cs[c] + cs[clampCol(x/2-1)] + 8) >> 4)
			} else {
				dst[j] = byte((3*cs[c] + cs[clampCol(x/2+1)] + 7) >> 4)
			}
		}
	case u.fancy && u.hf == 2:
		// h2v1_fancy_upsample: 3/4 nearest, 1/4 neighbour (+1 even, +2 odd).
		in := plane(cy)
		if x0%2 == 0 && x0/2 == u.cx0 {
			cs := u.colsum[:len(in)]
			for i, v := range in {
				cs[i] = int(v)
			}
			fancyRow(dst, cs, 1, 2, 2)
			return
		}
		for j := range dst {
			x := x0 + j
			c := x/2 - u.cx0
			if x%2 == 0 {
				dst[j] = byte((3*int(in[c]) + int(in[clampCol(x/2-1)]) + 1) >> 2)
			} else {
				dst[j] = byte((3*int(in[c]) + int(in[clampCol(x/2+1)]) + 2) >> 2)
			}
		}
	case u.fancy && u.vf == 2:
		// h1v2_fancy_upsample: the row above with bias 1, below with 2.
		far, bias := cy-1, 1
		if y%2 == 1 {
			far, bias = cy+1, 2
		}
		near, farRow := plane(cy), plane(clampRow(far))
		for j := range dst {
			c := clampCol(x0 + j)
			dst[j] = byte((3*int(near[c]) + int(farRow[c]) + bias) >> 2)
		}
	default:
		// fullsize, h2v1_upsample, h2v2_upsample, int_upsample: replication.
		in := plane(cy)
		for j := range dst {
			dst[j] = in[(x0+j)/u.hf-u.cx0]
		}
	}
}

// fancyRow writes the horizontal triangle filter of libjpeg's h2v1 and
// h2v2 upsamplers: output 2i is (3*cs[i] + cs[i-1] + even) >> shift, output
// 2i+1 is (3*cs[i] + cs[i+1] + odd) >> shift, the neighbours clamped to
// the row; dst holds 2*len(cs) or 2*len(cs)-1 outputs.
func fancyRow(dst []byte, cs []int, even, odd int, shift uint) {
	n := len(cs)
	if n == 0 {
		return
	}
	if n == 1 {
		dst[0] = byte((4*cs[0] + even) >> shift)
		if len(dst) > 1 {
			dst[1] = byte((4*cs[0] + odd) >> shift)
		}
		return
	}
	dst[0] = byte((4*cs[0] + even) >> shift)
	dst[1] = byte((3*cs[0] + cs[1] + odd) >> shift)
	for i := 1; i < n-1; i++ {
		c := 3 * cs[i]
		d := dst[2*i : 2*i+2 : 2*i+2]
		d[0] = byte((c + cs[i-1] + even) >> shift)
		d[1] = byte((c + cs[i+1] + odd) >> shift)
	}
	c := 3 * cs[n-1]
	dst[2*n-2] = byte((c + cs[n-2] + even) >> shift)
	if len(dst) > 2*n-1 {
		dst[2*n-1] = byte((c + cs[n-1] + odd) >> shift)
	}
}

// ycbcrToRGB converts the planes of a YCbCr image (a JPEG as Go's
// image/jpeg returns it) into out, sized as src's bounds.
func ycbcrToRGB(out *Image, src *image.YCbCr) {
	planesToRGB(out, src, nil, 0, jpeg.YCbCr)
}

// jpegToRGB converts a decoded JPEG to RGB8 as libjpeg-turbo and Pillow do:
// upsampling, libjpeg's colour conversion to RGB, or to CMYK which Pillow
// inverts (Adobe's convention) and converts with its own formula.
func jpegToRGB(p *jpeg.Planes) *Image {
	out := NewImage(p.Width, p.Height)
	if p.ColorSpace == jpeg.Grayscale {
		fromGray(out, p.Gray)
		return out
	}
	planesToRGB(out, p.Planes, p.Black, p.BlackStride, p.ColorSpace)
	return out
}

// planesToRGB converts three planes (the second and third possibly
// subsampled) and, for CMYK and YCCK, a fourth full-size plane black into
// out. The planes hold the components as stored: Y, Cb, Cr for YCbCr and
// YCCK, R, G, B for RGB, C, M, Y for CMYK.
func planesToRGB(out *Image, src *image.YCbCr, black []byte, blackStride int, cs jpeg.ColorSpace) {
	b := src.Rect
	w := b.Dx()
	hf, vf := 1, 1
	switch src.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		hf = 2
	case image.YCbCrSubsampleRatio420:
		hf, vf = 2, 2
	case image.YCbCrSubsampleRatio440:
		vf = 2
	case image.YCbCrSubsampleRatio411:
		hf = 4
	case image.YCbCrSubsampleRatio410:
		hf, vf = 4, 2
	}
	up := newChromaUpsampler(b, hf, vf)
	// Row cy (absolute chroma coordinates) of a subsampled plane, from
	// chroma column cx0 on.
	rowOf := func(plane []byte) func(cy int) []byte {
		return func(cy int) []byte {
			i := (cy-b.Min.Y/vf)*src.CStride + up.cx0 - b.Min.X/hf
			return plane[i : i+up.cx1-up.cx0+1]
		}
	}
	p1, p2 := rowOf(src.Cb), rowOf(src.Cr)
	c1, c2 := make([]byte, w), make([]byte, w)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		yi := src.YOffset(b.Min.X, y)
		c0 := src.Y[yi : yi+w]
		if hf == 1 && vf == 1 {
			ci := src.COffset(b.Min.X, y)
			c1, c2 = src.Cb[ci:ci+w], src.Cr[ci:ci+w]
		} else {
			up.row(c1, y, b.Min.X, p1)
			up.row(c2, y, b.Min.X, p2)
		}
		dst := out.Pix[3*w*(y-b.Min.Y) : 3*w*(y-b.Min.Y+1)]
		switch cs {
		case jpeg.YCbCr:
			ycbcrRowToRGB(dst, c0, c1, c2)
		case jpeg.RGB:
			for x := range c0 {
				dst[3*x], dst[3*x+1], dst[3*x+2] = c0[x], c1[x], c2[x]
			}
		case jpeg.CMYK:
			// Pillow reads CMYK JPEGs inverted ("CMYK;I", Adobe's
			// convention), then converts with cmyk2rgb.
			k := black[(y-b.Min.Y)*blackStride:][:w]
			for x := range c0 {
				dst[3*x], dst[3*x+1], dst[3*x+2] = cmykToRGB(255-c0[x], 255-c1[x], 255-c2[x], 255-k[x])
			}
		case jpeg.YCCK:
			// libjpeg's ycck_cmyk_convert gives C = 255 - R (R of the YCbCr
			// conversion, clamped), likewise M and Y, and K as stored;
			// Pillow inverts all four.
			k := black[(y-b.Min.Y)*blackStride:][:w]
			ycbcrRowToRGB(dst, c0, c1, c2)
			for x := range c0 {
				d := dst[3*x : 3*x+3 : 3*x+3]
				d[0], d[1], d[2] = cmykToRGB(d[0], d[1], d[2], 255-k[x])
			}
		}
	}
}
