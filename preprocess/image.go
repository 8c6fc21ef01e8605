package preprocess

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"

	"github.com/vlmrt/vlmrt/preprocess/internal/jpeg"
)

// MaxPixels is the largest image, in pixels (width times height), that
// Decode and DecodeFile accept: 1<<26, an 8192 x 8192 photo. The header is
// read first and a larger image is refused with ErrTooLarge before any pixel
// memory is allocated. Decoding takes 3 bytes per pixel for the RGB8 result
// plus the decoder's own buffers: 1.5 to 3 bytes per pixel for a baseline
// JPEG, up to 12 more for a progressive one (its coefficients), 1 to 8 for a
// PNG. DecodeLimited takes another bound.
const MaxPixels = 1 << 26

var (
	// ErrFormat reports an input that is not a JPEG or PNG image, is
	// truncated or corrupt, or has a zero width or height.
	ErrFormat = errors.New("invalid or unsupported image")

	// ErrTooLarge reports an image whose header claims more pixels than the
	// limit (MaxPixels for Decode and DecodeFile).
	ErrTooLarge = errors.New("image too large")
)

// Image is an 8-bit RGB image: Pix holds Height rows of Width pixels, each
// pixel three bytes R, G, B, rows stored one after another with no padding
// (the stride is 3*Width).
type Image struct {
	Width, Height int
	Pix           []byte
}

// NewImage returns a black width x height image. It panics if a size is
// negative, as make does.
func NewImage(width, height int) *Image {
	return &Image{Width: width, Height: height, Pix: make([]byte, 3*width*height)}
}

// valid reports whether the image's sizes and buffer agree.
func (m *Image) valid() error {
	if m == nil {
		return errors.New("nil image")
	}
	if m.Width <= 0 || m.Height <= 0 {
		return fmt.Errorf("image size %dx%d: want positive sizes", m.Width, m.Height)
	}
	if m.Width > maxSide || m.Height > maxSide {
		return fmt.Errorf("image size %dx%d: a side over %d pixels", m.Width, m.Height, maxSide)
	}
	if int64(len(m.Pix)) < 3*int64(m.Width)*int64(m.Height) {
		return fmt.Errorf("image %dx%d: %d bytes of pixels, want %d", m.Width, m.Height, len(m.Pix), 3*m.Width*m.Height)
	}
	return nil
}

// maxSide bounds each side of an image that the resizer and the processor
// take (JPEG and PNG headers are limited to 65535 and 2^31-1): it keeps every
// index product within an int32 coefficient table and an int on 32-bit
// machines small enough.
const maxSide = 1 << 20

var (
	pngMagic  = []byte("\x89PNG\r\n\x1a\n")
	jpegMagic = []byte{0xff, 0xd8}
)

// Decode reads one JPEG or PNG image from r and converts it to RGB8 as
// Pillow's Image.open(...).convert("RGB") does (see the package doc for what
// is exact). Other formats are refused with ErrFormat whatever decoders the
// program registers with package image; images over MaxPixels with
// ErrTooLarge. Errors from r itself are returned wrapped, not as ErrFormat.
func Decode(r io.Reader) (*Image, error) {
	m, err := decode(r, MaxPixels)
	if err != nil {
		return nil, fmt.Errorf("preprocess: %w", err)
	}
	return m, nil
}

// DecodeLimited is Decode with maxPixels in place of MaxPixels (a value
// below 1 means MaxPixels).
func DecodeLimited(r io.Reader, maxPixels int) (*Image, error) {
	if maxPixels < 1 {
		maxPixels = MaxPixels
	}
	m, err := decode(r, maxPixels)
	if err != nil {
		return nil, fmt.Errorf("preprocess: %w", err)
	}
	return m, nil
}

// DecodeFile decodes the JPEG or PNG file at path as Decode does; errors
// name the file ("preprocess: photo.jpg: ...").
func DecodeFile(path string) (*Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("preprocess: %w", err)
	}
	defer f.Close()
	m, err := decode(f, MaxPixels)
	if err != nil {
		return nil, fmt.Errorf("preprocess: %s: %w", path, err)
	}
	return m, nil
}

// readErrRecorder passes reads through and remembers the first error of the
// underlying reader that is not io.EOF, so that an I/O failure is reported
// as itself rather than as a corrupt image.
type readErrRecorder struct {
	r   io.Reader
	err error
}

func (e *readErrRecorder) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

func decode(r io.Reader, maxPixels int) (*Image, error) {
	rec := &readErrRecorder{r: r}
	br := bufio.NewReader(rec)
	magic, _ := br.Peek(len(pngMagic))
	var (
		decodeConfig func(io.Reader) (image.Config, error)
		format       string
	)
	switch {
	case bytes.HasPrefix(magic, pngMagic):
		decodeConfig, format = png.DecodeConfig, "PNG"
	case bytes.HasPrefix(magic, jpegMagic):
		decodeConfig, format = jpeg.DecodeConfig, "JPEG"
	default:
		if rec.err != nil {
			return nil, rec.err
		}
		return nil, fmt.Errorf("%w: not a JPEG or PNG file", ErrFormat)
	}

	// Read the header through a tee so that the same bytes feed the pixel
	// decoder afterwards: nothing is allocated from the header's sizes
	// before they are checked.
	var header bytes.Buffer
	cfg, err := decodeConfig(io.TeeReader(br, &header))
	if err != nil {
		if rec.err != nil {
			return nil, rec.err
		}
		return nil, fmt.Errorf("%w: %s header: %w", ErrFormat, format, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("%w: %s of %dx%d pixels: zero size", ErrFormat, format, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels) {
		return nil, fmt.Errorf("%w: %s of %dx%d pixels, more than %d", ErrTooLarge, format, cfg.Width, cfg.Height, maxPixels)
	}
	var (
		out  *Image
		w, h int
	)
	body := io.MultiReader(&header, br)
	if format == "JPEG" {
		var planes *jpeg.Planes
		if planes, err = jpeg.Decode(body); err == nil {
			w, h = planes.Width, planes.Height
			out = jpegToRGB(planes)
		}
	} else {
		var img image.Image
		if img, err = png.Decode(body); err == nil {
			w, h = img.Bounds().Dx(), img.Bounds().Dy()
			// A 16-bit grayscale PNG is Pillow's mode "I", whose RGB
			// conversion clips each value to 255 rather than scaling it;
			// image/png gives it as Gray16, or as NRGBA64 when a tRNS
			// chunk names a transparent gray.
			out = fromImage(img, cfg.ColorModel == color.Gray16Model)
		}
	}
	if err != nil {
		if rec.err != nil {
			return nil, rec.err
		}
		return nil, fmt.Errorf("%w: %s: %w", ErrFormat, format, err)
	}
	if w != cfg.Width || h != cfg.Height {
		return nil, fmt.Errorf("%w: %s header says %dx%d, pixels are %dx%d", ErrFormat, format, cfg.Width, cfg.Height, w, h)
	}
	return out, nil
}
