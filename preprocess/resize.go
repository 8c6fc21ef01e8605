package preprocess

import (
	"errors"
	"fmt"
	"image"
	"math"
)

// Pillow's Resample.c in integer arithmetic on RGB8, bit for bit: the
// coefficients of each output pixel are computed in float64 exactly as
// precompute_coeffs does, rounded to fixed point with 22 fractional bits
// (normalize_coeffs_8bpc), and applied with int32 accumulators that start at
// one half; each pass clips its result to 0..255. The horizontal pass runs
// first, over the source rows the vertical pass needs; a pass whose size is
// unchanged is skipped, and an unchanged image is copied.

// precisionBits is Resample.c's PRECISION_BITS: 32 bits less 8 for the
// sample and 2 for the overshoot of filters with negative lobes.
const precisionBits = 32 - 8 - 2

// axisCoeffs holds the fixed-point coefficients of one axis, resized from
// inSize to outSize with filter, for the outputs lo..hi-1 (a crop needs only
// those; each output's coefficients depend on its index alone). A Resizer
// keeps one per axis and recomputes it only when these change.
type axisCoeffs struct {
	inSize, outSize int
	lo, hi          int
	filter          Resample
	ksize           int     // coefficients per output (a stride of coeffs)
	first           []int32 // per output lo+i: the first input index it reads
	count           []int32 // per output lo+i: how many inputs it reads
	coeffs          []int32 // (hi-lo)*ksize, fixed point
	weights         []float64
	nearest         []int32 // Nearest: the input index of each output, or -1
	valid           bool
}

// prepare makes c hold the coefficients of outputs lo..hi-1 for inSize to
// outSize with filter f, allocating only when the buffers are too small.
func (c *axisCoeffs) prepare(inSize, outSize, lo, hi int, f Resample) {
	if c.valid && c.inSize == inSize && c.outSize == outSize && c.lo == lo && c.hi == hi && c.filter == f {
		return
	}
	c.inSize, c.outSize, c.lo, c.hi, c.filter, c.valid = inSize, outSize, lo, hi, f, true
	c.first = growInt32(c.first, hi-lo)
	c.count = growInt32(c.count, hi-lo)
	if f == Nearest {
		c.prepareNearest()
		return
	}
	filter := f.conv()
	// precompute_coeffs with box (0, inSize): in0 = 0, in1 - in0 = inSize
	// (float arithmetic, exact for these sizes).
	scale := float64(inSize) / float64(outSize)
	filterscale := scale
	if filterscale < 1 {
		filterscale = 1
	}
	support := float64(filter.support * filterscale)
	c.ksize = int(math.Ceil(support))*2 + 1
	c.coeffs = growInt32(c.coeffs, (hi-lo)*c.ksize)
	if cap(c.weights) < c.ksize {
		c.weights = make([]float64, c.ksize)
	}
	ss := 1 / filterscale
	for xx := lo; xx < hi; xx++ {
		// Explicit conversions round each product, so that no multiply-add
		// is fused (see filter.go): center - support and x - center must
		// see the rounded center.
		center := float64(float64(float64(xx)+0.5) * scale)
		xmin := int(center - support + 0.5) // C's (int): truncation toward zero
		if xmin < 0 {
			xmin = 0
		}
		xmax := int(center + support + 0.5)
		if xmax > inSize {
			xmax = inSize
		}
		xmax -= xmin
		w := c.weights[:c.ksize]
		ww := 0.0
		for x := range xmax {
			v := filter.kernel(float64(float64(float64(x+xmin)-center+0.5) * ss))
			w[x] = v
			ww += v
		}
		k := c.coeffs[(xx-lo)*c.ksize : (xx-lo+1)*c.ksize]
		for x := range k {
			v := 0.0
			if x < xmax {
				v = w[x]
				if ww != 0 {
					v /= ww
				}
			}
			// normalize_coeffs_8bpc: round half away from zero, then
			// truncate to int.
			if v < 0 {
				k[x] = int32(-0.5 + float64(v*(1<<precisionBits)))
			} else {
				k[x] = int32(0.5 + float64(v*(1<<precisionBits)))
			}
		}
		c.first[xx-lo] = int32(xmin)
		c.count[xx-lo] = int32(max(xmax, 0))
	}
}

// prepareNearest tabulates Pillow's ImagingScaleAffine: the source
// coordinate starts at half a step and grows by the step (accumulated in
// float64, as Pillow does), truncated; outside the image is -1 (Pillow fills
// zeros there).
func (c *axisCoeffs) prepareNearest() {
	c.nearest = growInt32(c.nearest, c.hi-c.lo)
	step := float64(c.inSize) / float64(c.outSize)
	pos := float64(step * 0.5)
	for x := range c.hi {
		if x >= c.lo {
			in := int32(-1)
			if pos >= 0 && pos < float64(c.inSize) {
				in = int32(pos)
			}
			c.nearest[x-c.lo] = in
		}
		pos += step
	}
}

func growInt32(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}

// Resizer resizes RGB8 images exactly as Pillow 9.4's Image.resize does
// with one filter. It caches the coefficients of the last sizes it saw and
// its scratch buffers, so that resizing many images of one size allocates
// nothing after the first. A Resizer is not safe for concurrent use.
type Resizer struct {
	filter      Resample
	horiz, vert axisCoeffs
	tmp         []byte     // the horizontal pass's rows
	packed      [][3]int64 // two source rows, packed (horizontalPass)
	acc         []int32    // the vertical pass's accumulators, one output row
}

// NewResizer returns a Resizer for filter, or an error if filter is not one
// of Pillow's.
func NewResizer(filter Resample) (*Resizer, error) {
	if err := filter.valid(); err != nil {
		return nil, fmt.Errorf("preprocess: %w", err)
	}
	return &Resizer{filter: filter}, nil
}

// Filter returns the resampling filter of r.
func (r *Resizer) Filter() Resample { return r.filter }

// Resize writes src resized to width x height into dst, setting dst's sizes
// and reusing dst.Pix when it is large enough. dst must not share memory
// with src. The result is Pillow's img.resize((width, height), filter),
// byte for byte.
func (r *Resizer) Resize(dst, src *Image, width, height int) error {
	if err := src.valid(); err != nil {
		return fmt.Errorf("preprocess: resize: source %w", err)
	}
	if dst == nil {
		return errors.New("preprocess: resize: nil destination")
	}
	if width <= 0 || height <= 0 || width > maxSide || height > maxSide || int64(width)*int64(height) > MaxPixels {
		return fmt.Errorf("preprocess: resize to %dx%d: want sizes from 1 to %d and at most %d pixels", width, height, maxSide, MaxPixels)
	}
	n := 3 * width * height
	if cap(dst.Pix) < n {
		dst.Pix = make([]byte, n)
	}
	dst.Width, dst.Height, dst.Pix = width, height, dst.Pix[:n]
	r.resizeWindow(dst.Pix, src, width, height, image.Rect(0, 0, width, height))
	return nil
}

// Resize returns src resized to width x height with filter, as Pillow's
// Image.resize does; see Resizer for resizing many images.
func Resize(src *Image, width, height int, filter Resample) (*Image, error) {
	r, err := NewResizer(filter)
	if err != nil {
		return nil, err
	}
	dst := &Image{}
	if err := r.Resize(dst, src, width, height); err != nil {
		return nil, err
	}
	return dst, nil
}

// resizeWindow writes the window win (within 0,0-outW,outH) of src resized
// to outW x outH into dst, rows of 3*win.Dx() bytes. Only the window's
// pixels are computed; they equal those of the whole resized image.
func (r *Resizer) resizeWindow(dst []byte, src *Image, outW, outH int, win image.Rectangle) {
	cw := win.Dx()
	rowBytes := 3 * cw
	srcStride := 3 * src.Width
	needH, needV := outW != src.Width, outH != src.Height
	if !needH && !needV {
		for y := win.Min.Y; y < win.Max.Y; y++ {
			copy(dst[(y-win.Min.Y)*rowBytes:(y-win.Min.Y+1)*rowBytes], src.Pix[y*srcStride+3*win.Min.X:])
		}
		return
	}
	if r.filter == Nearest {
		r.nearest(dst, src, outW, outH, win)
		return
	}
	if !needH {
		r.vert.prepare(src.Height, outH, win.Min.Y, win.Max.Y, r.filter)
		r.verticalPass(dst, src.Pix, srcStride, 3*win.Min.X, 0, rowBytes)
		return
	}
	r.horiz.prepare(src.Width, outW, win.Min.X, win.Max.X, r.filter)
	if !needV {
		r.horizontalPass(dst, src, win.Min.Y, win.Max.Y)
		return
	}
	r.vert.prepare(src.Height, outH, win.Min.Y, win.Max.Y, r.filter)
	// The source rows the vertical pass reads for the window's rows
	// (Resample.c's ybox_first and ybox_last).
	last := len(r.vert.first) - 1
	yFirst := int(r.vert.first[0])
	yLast := int(r.vert.first[last] + r.vert.count[last])
	need := (yLast - yFirst) * rowBytes
	if cap(r.tmp) < need {
		r.tmp = make([]byte, need)
	}
	tmp := r.tmp[:need]
	r.horizontalPass(tmp, src, yFirst, yLast)
	r.verticalPass(dst, tmp, rowBytes, 0, yFirst, rowBytes)
}

// clip8 is Resample.c's clip8: the accumulator shifted down (arithmetic
// shift, as C's on int), clamped to 0..255.
func clip8(v int32) byte {
	v >>= precisionBits
	if uint32(v) > 255 {
		if v < 0 {
			return 0
		}
		return 255
	}
	return byte(v)
}

// horizontalPass resamples source rows y0..y1 horizontally, writing the
// output columns r.horiz was prepared for into dst (rows of 3 bytes per
// column).
//
// Rows are taken two at a time, packed as int64 pairs (row y in the low 32
// bits, row y+1 in the high): one multiply by a coefficient then advances
// both rows' int32 sums at once. The sums are exact in two's complement:
// the packed sum is lo + hi<<32 with lo and hi the int32 sums Pillow
// computes, so lo is its low 32 bits and hi what remains, shifted down.
func (r *Resizer) horizontalPass(dst []byte, src *Image, y0, y1 int) {
	c := &r.horiz
	ks := c.ksize
	srcStride := 3 * src.Width
	first, count, coeffs := c.first, c.count, c.coeffs
	rowBytes := 3 * len(first)
	if cap(r.packed) < src.Width {
		r.packed = make([][3]int64, src.Width)
	}
	packed := r.packed[:src.Width]
	const half = 1 << (precisionBits - 1)
	y := y0
	for ; y+1 < y1; y += 2 {
		row0 := src.Pix[y*srcStride : (y+1)*srcStride]
		row1 := src.Pix[(y+1)*srcStride : (y+2)*srcStride]
		row0, row1 = row0[:3*len(packed)], row1[:3*len(packed)]
		for x := range packed {
			p := &packed[x]
			p[0] = int64(row0[3*x]) | int64(row1[3*x])<<32
			p[1] = int64(row0[3*x+1]) | int64(row1[3*x+1])<<32
			p[2] = int64(row0[3*x+2]) | int64(row1[3*x+2])<<32
		}
		out0 := dst[(y-y0)*rowBytes : (y-y0+1)*rowBytes]
		out1 := dst[(y-y0+1)*rowBytes : (y-y0+2)*rowBytes]
		for j := range first {
			xmin, n := int(first[j]), int(count[j])
			k := coeffs[j*ks : j*ks+n]
			a0, a1, a2 := dotPacked(packed[xmin:xmin+n], k)
			lo0, lo1, lo2 := int32(a0), int32(a1), int32(a2)
			o := out0[3*j : 3*j+3 : 3*j+3]
			o[0], o[1], o[2] = clip8(lo0), clip8(lo1), clip8(lo2)
			o = out1[3*j : 3*j+3 : 3*j+3]
			o[0] = clip8(int32((a0 - int64(lo0)) >> 32))
			o[1] = clip8(int32((a1 - int64(lo1)) >> 32))
			o[2] = clip8(int32((a2 - int64(lo2)) >> 32))
		}
	}
	if y < y1 { // an odd row left
		row := src.Pix[y*srcStride : (y+1)*srcStride]
		out := dst[(y-y0)*rowBytes : (y-y0+1)*rowBytes]
		for j := range first {
			xmin, n := int(first[j]), int(count[j])
			k := coeffs[j*ks : j*ks+n]
			s := row[3*xmin : 3*(xmin+n)]
			ss0, ss1, ss2 := int32(half), int32(half), int32(half)
			for i, w := range k {
				p := s[3*i : 3*i+3 : 3*i+3]
				ss0 += int32(p[0]) * w
				ss1 += int32(p[1]) * w
				ss2 += int32(p[2]) * w
			}
			o := out[3*j : 3*j+3 : 3*j+3]
			o[0], o[1], o[2] = clip8(ss0), clip8(ss1), clip8(ss2)
		}
	}
}

// dotPacked returns the sums, starting at one half in each lane, of the
// packed pixels s weighted by k (len(s) >= len(k)). It is a function of its
// own so that its three accumulators stay in registers.
//
//go:noinline
func dotPacked(s [][3]int64, k []int32) (a0, a1, a2 int64) {
	const half = 1 << (precisionBits - 1)
	a0, a1, a2 = half|half<<32, half|half<<32, half|half<<32
	s = s[:len(k)]
	for i, w := range k {
		p := &s[i]
		w64 := int64(w)
		a0 += p[0] * w64
		a1 += p[1] * w64
		a2 += p[2] * w64
	}
	return a0, a1, a2
}

// verticalPass writes the output rows r.vert was prepared for into dst
// (rows of rowBytes): each is the weighted sum of input rows, read from in
// at (row-rowBase)*inStride + inOffset, rowBytes bytes each. Four input
// rows are summed per sweep over the accumulators (int32 arithmetic wraps,
// so the order of the additions cannot change the exact final sums).
func (r *Resizer) verticalPass(dst, in []byte, inStride, inOffset, rowBase, rowBytes int) {
	c := &r.vert
	ks := c.ksize
	if cap(r.acc) < rowBytes {
		r.acc = make([]int32, rowBytes)
	}
	acc := r.acc[:rowBytes]
	inRow := func(row int) []byte {
		off := row*inStride + inOffset
		return in[off : off+len(acc)]
	}
	for j := range c.first {
		ymin, n := int(c.first[j])-rowBase, int(c.count[j])
		k := c.coeffs[j*ks : j*ks+n]
		for i := range acc {
			acc[i] = 1 << (precisionBits - 1)
		}
		t := 0
		for ; t+4 <= len(k); t += 4 {
			w0, w1, w2, w3 := k[t], k[t+1], k[t+2], k[t+3]
			r0, r1, r2, r3 := inRow(ymin+t), inRow(ymin+t+1), inRow(ymin+t+2), inRow(ymin+t+3)
			r0, r1, r2, r3 = r0[:len(acc)], r1[:len(acc)], r2[:len(acc)], r3[:len(acc)]
			for i := range acc {
				acc[i] += int32(r0[i])*w0 + int32(r1[i])*w1 + int32(r2[i])*w2 + int32(r3[i])*w3
			}
		}
		for ; t < len(k); t++ {
			w, row := k[t], inRow(ymin+t)
			row = row[:len(acc)]
			for i := range acc {
				acc[i] += int32(row[i]) * w
			}
		}
		out := dst[j*rowBytes : (j+1)*rowBytes]
		out = out[:len(acc)]
		for i, v := range acc {
			out[i] = clip8(v)
		}
	}
}

// nearest is Pillow's NEAREST resize (ImagingScaleAffine) for the window.
func (r *Resizer) nearest(dst []byte, src *Image, outW, outH int, win image.Rectangle) {
	r.horiz.prepare(src.Width, outW, win.Min.X, win.Max.X, Nearest)
	r.vert.prepare(src.Height, outH, win.Min.Y, win.Max.Y, Nearest)
	rowBytes := 3 * win.Dx()
	srcStride := 3 * src.Width
	cols := r.horiz.nearest
	for j, yi := range r.vert.nearest {
		out := dst[j*rowBytes : (j+1)*rowBytes]
		if yi < 0 {
			clear(out)
			continue
		}
		row := src.Pix[int(yi)*srcStride : (int(yi)+1)*srcStride]
		for j, xi := range cols {
			o := out[3*j : 3*j+3 : 3*j+3]
			if xi < 0 {
				o[0], o[1], o[2] = 0, 0, 0
				continue
			}
			p := row[3*xi : 3*xi+3 : 3*xi+3]
			o[0], o[1], o[2] = p[0], p[1], p[2]
		}
	}
}
