package preprocess

import (
	"fmt"
	"image"
	"math"
)

// Layout is the order of the values Process writes for one image.
type Layout int

const (
	// NCHW writes channels first, [3, H, W] (a batch of one of NCHW): what
	// PyTorch vision encoders and Hugging Face's pixel_values take.
	NCHW Layout = iota
	// NHWC writes channels last, [H, W, 3], for channels-last models such
	// as Keras ones.
	NHWC
)

// String returns "NCHW" or "NHWC".
func (l Layout) String() string {
	switch l {
	case NCHW:
		return "NCHW"
	case NHWC:
		return "NHWC"
	}
	return fmt.Sprintf("Layout(%d)", int(l))
}

// maxResizedSide bounds the resized image's sides. With a crop only the
// crop's window is computed, so the resized image may be far larger than
// anything allocated (a 1 x 97 image resized to 224 x 21728); this bound
// keeps the per-axis tables (Nearest walks every output) small.
const maxResizedSide = 1 << 24

// Geometry says where a processed image's pixels come from: the source
// image of SourceWidth x SourceHeight was resized to ResizedWidth x
// ResizedHeight (equal to the source without a resize), then the
// Width x Height crop at (CropLeft, CropTop) of the resized image was kept.
// CropLeft or CropTop is negative when the crop is larger than the resized
// image: the outside is zero padding, as in Hugging Face's center_crop.
type Geometry struct {
	SourceWidth, SourceHeight   int
	ResizedWidth, ResizedHeight int
	CropLeft, CropTop           int
	Width, Height               int
}

// ToSource maps a point of the processed image, in its pixel units (0 to
// Width, 0 to Height; the centre of pixel (i, j) is (i+0.5, j+0.5)), to the
// same point in pixels of the source image, as the resize maps them (the
// centre of output pixel x reads the source around (x+0.5)*scale). Points
// in the zero padding map outside the source.
func (g Geometry) ToSource(x, y float64) (sx, sy float64) {
	sx = (x + float64(g.CropLeft)) * float64(g.SourceWidth) / float64(g.ResizedWidth)
	sy = (y + float64(g.CropTop)) * float64(g.SourceHeight) / float64(g.ResizedHeight)
	return sx, sy
}

// BoxToSource maps a box given in [0, 1] coordinates of the processed image
// (x0, y0 the top left corner, x1, y1 the bottom right, as a grounding head
// returns it) to pixels of the source image, clamped to the source's
// bounds.
func (g Geometry) BoxToSource(x0, y0, x1, y1 float64) (sx0, sy0, sx1, sy1 float64) {
	clamp := func(v, hi float64) float64 { return math.Min(math.Max(v, 0), hi) }
	w, h := float64(g.SourceWidth), float64(g.SourceHeight)
	sx0, sy0 = g.ToSource(x0*float64(g.Width), y0*float64(g.Height))
	sx1, sy1 = g.ToSource(x1*float64(g.Width), y1*float64(g.Height))
	return clamp(sx0, w), clamp(sy0, h), clamp(sx1, w), clamp(sy1, h)
}

// Processor turns RGB8 images into pixel_values as a Hugging Face
// CLIPImageProcessor or SiglipImageProcessor with its Config does: resize
// (Pillow's filter, bit-exact), center crop, rescale, normalise. It keeps
// the resize coefficients of the last image size, a table of the 256 output
// values of each channel and its scratch buffers, so that processing images
// of one size allocates nothing after the first. A Processor is not safe
// for concurrent use; make one per goroutine.
type Processor struct {
	cfg     Config
	resizer *Resizer
	values  [3][256]float32 // the output value of each channel and byte
	window  []byte          // the RGB8 crop (the part inside the resized image)
}

// NewProcessor returns a Processor for cfg, or the error of cfg.Validate.
func NewProcessor(cfg Config) (*Processor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Processor{cfg: cfg}
	if cfg.DoResize {
		r, err := NewResizer(cfg.Resample)
		if err != nil {
			return nil, err
		}
		p.resizer = r
	}
	for c := range 3 {
		mean, std := float32(cfg.ImageMean[c]), float32(cfg.ImageStd[c])
		for v := range 256 {
			// Hugging Face's rescale: float64 product, cast to float32;
			// normalize: float32 subtraction and division.
			x := float32(v)
			if cfg.DoRescale {
				x = float32(float64(v) * cfg.RescaleFactor)
			}
			if cfg.DoNormalize {
				x = (x - mean) / std
			}
			p.values[c][v] = x
		}
	}
	return p, nil
}

// Config returns the processor's configuration.
func (p *Processor) Config() Config { return p.cfg }

// OutputSize returns the height and width of every processed image when
// they do not depend on the image (a center crop, or a resize to a height
// and width), else 0, 0 (use Geometry for each image).
func (p *Processor) OutputSize() (h, w int) {
	switch {
	case p.cfg.DoCenterCrop:
		return p.cfg.CropSize.Height, p.cfg.CropSize.Width
	case p.cfg.DoResize && p.cfg.Size.ShortestEdge == 0:
		return p.cfg.Size.Height, p.cfg.Size.Width
	}
	return 0, 0
}

// Geometry returns where the pixels of a processed width x height image
// come from (Hugging Face's arithmetic: for a shortest edge s, the long side
// becomes int(s * long / short) computed in float64; crop offsets are
// floor((resized - crop) / 2)).
func (p *Processor) Geometry(width, height int) (Geometry, error) {
	g, err := p.geometry(width, height)
	if err != nil {
		return Geometry{}, fmt.Errorf("preprocess: %w", err)
	}
	return g, nil
}

func (p *Processor) geometry(width, height int) (Geometry, error) {
	if width <= 0 || height <= 0 {
		return Geometry{}, fmt.Errorf("image size %dx%d: want positive sizes", width, height)
	}
	g := Geometry{SourceWidth: width, SourceHeight: height, ResizedWidth: width, ResizedHeight: height}
	if p.cfg.DoResize {
		if s := p.cfg.Size.ShortestEdge; s != 0 {
			short, long := width, height
			if width > height {
				short, long = height, width
			}
			newLong := math.Trunc(float64(s) * float64(long) / float64(short))
			if newLong > maxResizedSide {
				return Geometry{}, fmt.Errorf("image %dx%d: resized long side %.0f over %d", width, height, newLong, maxResizedSide)
			}
			if width <= height {
				g.ResizedWidth, g.ResizedHeight = s, int(newLong)
			} else {
				g.ResizedWidth, g.ResizedHeight = int(newLong), s
			}
		} else {
			g.ResizedWidth, g.ResizedHeight = p.cfg.Size.Width, p.cfg.Size.Height
		}
	}
	g.Width, g.Height = g.ResizedWidth, g.ResizedHeight
	if p.cfg.DoCenterCrop {
		g.Width, g.Height = p.cfg.CropSize.Width, p.cfg.CropSize.Height
		g.CropLeft = floorDiv2(g.ResizedWidth - g.Width)
		g.CropTop = floorDiv2(g.ResizedHeight - g.Height)
	}
	if int64(g.Width)*int64(g.Height) > MaxPixels {
		return Geometry{}, fmt.Errorf("image %dx%d: output %dx%d over %d pixels", width, height, g.Width, g.Height, MaxPixels)
	}
	return g, nil
}

// floorDiv2 is Python's v // 2.
func floorDiv2(v int) int { return v >> 1 }

// Process writes the pixel_values of img into dst, in layout: 3*H*W values
// (H, W from Geometry, or OutputSize) for one image, so that dst can be a
// window of a batched session input. It returns an error, writing nothing,
// if img is invalid, dst's length is not 3*H*W or layout is unknown.
func (p *Processor) Process(dst []float32, img *Image, layout Layout) error {
	if err := img.valid(); err != nil {
		return fmt.Errorf("preprocess: process: %w", err)
	}
	if layout != NCHW && layout != NHWC {
		return fmt.Errorf("preprocess: process: unknown layout %d", int(layout))
	}
	g, err := p.geometry(img.Width, img.Height)
	if err != nil {
		return fmt.Errorf("preprocess: process: %w", err)
	}
	n := 3 * g.Width * g.Height
	if len(dst) != n {
		return fmt.Errorf("preprocess: process: %d values for a %dx%d output, want %d (3*H*W)", len(dst), g.Width, g.Height, n)
	}

	// The part of the crop inside the resized image, in resized
	// coordinates; the rest is zero padding.
	crop := image.Rect(g.CropLeft, g.CropTop, g.CropLeft+g.Width, g.CropTop+g.Height)
	inside := crop.Intersect(image.Rect(0, 0, g.ResizedWidth, g.ResizedHeight))
	if need := 3 * inside.Dx() * inside.Dy(); cap(p.window) < need {
		p.window = make([]byte, need)
	}
	window := p.window[:3*inside.Dx()*inside.Dy()]
	if !inside.Empty() {
		if p.resizer != nil {
			p.resizer.resizeWindow(window, img, g.ResizedWidth, g.ResizedHeight, inside)
		} else {
			copyWindow(window, img, inside)
		}
	}
	p.write(dst, g, window, inside.Sub(crop.Min), layout)
	return nil
}

func copyWindow(dst []byte, img *Image, r image.Rectangle) {
	rowBytes := 3 * r.Dx()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		copy(dst[(y-r.Min.Y)*rowBytes:(y-r.Min.Y+1)*rowBytes], img.Pix[3*(y*img.Width+r.Min.X):])
	}
}

// write maps the RGB8 window (the part of the output at inside, in output
// coordinates) through the value tables into dst; outside it, the output is
// the value of a zero byte.
func (p *Processor) write(dst []float32, g Geometry, window []byte, inside image.Rectangle, layout Layout) {
	w, h := g.Width, g.Height
	plane := w * h
	x0, x1 := inside.Min.X, inside.Max.X
	rowBytes := 3 * inside.Dx()
	vr, vg, vb := &p.values[0], &p.values[1], &p.values[2]
	for y := range h {
		in := y >= inside.Min.Y && y < inside.Max.Y
		var src []byte
		if in {
			src = window[(y-inside.Min.Y)*rowBytes : (y-inside.Min.Y+1)*rowBytes]
		} else {
			x0, x1 = 0, 0
		}
		switch layout {
		case NCHW:
			dr := dst[y*w : (y+1)*w]
			dg := dst[plane+y*w : plane+(y+1)*w]
			db := dst[2*plane+y*w : 2*plane+(y+1)*w]
			for _, pad := range [][2]int{{0, x0}, {x1, w}} {
				fillFloat(dr[pad[0]:pad[1]], vr[0])
				fillFloat(dg[pad[0]:pad[1]], vg[0])
				fillFloat(db[pad[0]:pad[1]], vb[0])
			}
			dr, dg, db = dr[x0:x1], dg[x0:x1], db[x0:x1]
			src = src[:3*len(dr)]
			dg, db = dg[:len(dr)], db[:len(dr)]
			for x := range dr {
				px := src[3*x : 3*x+3 : 3*x+3]
				dr[x], dg[x], db[x] = vr[px[0]], vg[px[1]], vb[px[2]]
			}
		case NHWC:
			row := dst[3*y*w : 3*(y+1)*w]
			for x := range w {
				o := row[3*x : 3*x+3 : 3*x+3]
				if x < x0 || x >= x1 {
					o[0], o[1], o[2] = vr[0], vg[0], vb[0]
					continue
				}
				px := src[3*(x-x0) : 3*(x-x0)+3 : 3*(x-x0)+3]
				o[0], o[1], o[2] = vr[px[0]], vg[px[1]], vb[px[2]]
			}
		}
		x0, x1 = inside.Min.X, inside.Max.X
	}
}

func fillFloat(s []float32, v float32) {
	for i := range s {
		s[i] = v
	}
}

// ProcessFile decodes the JPEG or PNG file at path and processes it into a
// new slice, returning it with its geometry; a convenience for tools (the
// command line's preprocess), which allocates.
func (p *Processor) ProcessFile(path string, layout Layout) ([]float32, Geometry, error) {
	img, err := DecodeFile(path)
	if err != nil {
		return nil, Geometry{}, err
	}
	g, err := p.geometry(img.Width, img.Height)
	if err != nil {
		return nil, Geometry{}, fmt.Errorf("preprocess: %s: %w", path, err)
	}
	dst := make([]float32, 3*g.Width*g.Height)
	if err := p.Process(dst, img, layout); err != nil {
		return nil, Geometry{}, fmt.Errorf("%w (file %s)", err, path)
	}
	return dst, g, nil
}
