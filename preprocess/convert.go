package preprocess

import (
	"image"
	"image/color"
)

// FromImage converts img to RGB8 as Pillow's convert("RGB") converts the
// image Pillow would have opened from the same file (an *Image is copied):
//
//   - *image.YCbCr (a JPEG): libjpeg's fancy (triangle) upsampling of
//     subsampled chroma and its fixed-point YCbCr to RGB tables;
//   - *image.Gray: the gray value in all three channels;
//   - *image.Gray16: each value clipped to 0..255, not scaled (Pillow opens a
//     16-bit grayscale PNG as mode "I", whose RGB conversion clips);
//   - *image.NRGBA, *image.NRGBA64, *image.RGBA64 and opaque *image.RGBA:
//     alpha dropped, the colour kept, 16-bit values by their high byte (as
//     Pillow reads 16-bit RGB and RGBA PNGs);
//   - *image.RGBA with alpha below 255 (premultiplied): the colour
//     un-premultiplied, rounded;
//   - *image.Paletted: each palette entry's colour, alpha ignored;
//   - *image.CMYK: Pillow's CMYK to RGB formula (255-K scaled by 255-C etc.);
//   - anything else: the colour through color.NRGBA64Model, high byte.
//
// The result does not share memory with img.
func FromImage(img image.Image) *Image {
	return fromImage(img, false)
}

// fromImage is FromImage; gray16 says that img came from a 16-bit grayscale
// PNG, so that an NRGBA64 (one with a transparent gray) is clipped as
// Pillow's mode "I" is.
func fromImage(img image.Image, gray16 bool) *Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := &Image{Width: w, Height: h, Pix: make([]byte, 3*w*h)}
	if w == 0 || h == 0 {
		return out
	}
	switch src := img.(type) {
	case *Image:
		copy(out.Pix, src.Pix[:len(out.Pix)])
	case *image.YCbCr:
		ycbcrToRGB(out, src)
	case *image.Gray:
		fromGray(out, src)
	case *image.Gray16:
		for y := 0; y < h; y++ {
			row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
			dst := out.Pix[3*w*y : 3*w*(y+1)]
			for x := 0; x < w; x++ {
				v := clipGray16(row[2*x], row[2*x+1])
				dst[3*x], dst[3*x+1], dst[3*x+2] = v, v, v
			}
		}
	case *image.NRGBA:
		copyRGBFrom4(out, src.Pix, src.Stride, src.PixOffset(b.Min.X, b.Min.Y), 1)
	case *image.RGBA:
		rgbaToRGB(out, src)
	case *image.NRGBA64:
		if gray16 {
			for y := 0; y < h; y++ {
				row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
				dst := out.Pix[3*w*y : 3*w*(y+1)]
				for x := 0; x < w; x++ {
					v := clipGray16(row[8*x], row[8*x+1])
					dst[3*x], dst[3*x+1], dst[3*x+2] = v, v, v
				}
			}
			break
		}
		copyRGBFrom4(out, src.Pix, src.Stride, src.PixOffset(b.Min.X, b.Min.Y), 2)
	case *image.RGBA64:
		// image/png gives RGBA64 only for opaque 16-bit RGB, where
		// premultiplication changes nothing; Pillow keeps the high byte.
		copyRGBFrom4(out, src.Pix, src.Stride, src.PixOffset(b.Min.X, b.Min.Y), 2)
	case *image.Paletted:
		var lut [256][3]byte
		for i, c := range src.Palette {
			if i == 256 {
				break
			}
			lut[i] = paletteRGB(c)
		}
		for y := 0; y < h; y++ {
			row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
			dst := out.Pix[3*w*y : 3*w*(y+1)]
			for x, idx := range row[:w] {
				c := &lut[idx]
				dst[3*x], dst[3*x+1], dst[3*x+2] = c[0], c[1], c[2]
			}
		}
	case *image.CMYK:
		for y := 0; y < h; y++ {
			row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
			dst := out.Pix[3*w*y : 3*w*(y+1)]
			for x := 0; x < w; x++ {
				p := row[4*x : 4*x+4 : 4*x+4]
				dst[3*x], dst[3*x+1], dst[3*x+2] = cmykToRGB(p[0], p[1], p[2], p[3])
			}
		}
	default:
		i := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := color.NRGBA64Model.Convert(img.At(x, y)).(color.NRGBA64)
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = uint8(c.R>>8), uint8(c.G>>8), uint8(c.B>>8)
				i += 3
			}
		}
	}
	return out
}

// fromGray replicates each gray value into the three channels of out.
func fromGray(out *Image, src *image.Gray) {
	b := src.Bounds()
	w := out.Width
	for y := 0; y < out.Height; y++ {
		row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
		dst := out.Pix[3*w*y : 3*w*(y+1)]
		for x, v := range row[:w] {
			dst[3*x], dst[3*x+1], dst[3*x+2] = v, v, v
		}
	}
}

// clipGray16 is Pillow's i2rgb on a big-endian 16-bit value: values of 255
// and more become 255.
func clipGray16(hi, lo byte) byte {
	if hi != 0 {
		return 255
	}
	return lo
}

// copyRGBFrom4 copies the colour of 4-channel pixels of bytesPerChannel
// bytes (1, or 2 big-endian: only the high byte is kept) into out.
func copyRGBFrom4(out *Image, pix []byte, stride, offset, bytesPerChannel int) {
	w, h := out.Width, out.Height
	step := 4 * bytesPerChannel
	for y := 0; y < h; y++ {
		row := pix[offset+y*stride : offset+y*stride+w*step]
		dst := out.Pix[3*w*y : 3*w*(y+1)]
		for x := 0; x < w; x++ {
			p := row[x*step : x*step+step]
			dst[3*x] = p[0]
			dst[3*x+1] = p[bytesPerChannel]
			dst[3*x+2] = p[2*bytesPerChannel]
		}
	}
}

// rgbaToRGB copies an alpha-premultiplied RGBA image, un-premultiplying the
// pixels whose alpha is below 255.
func rgbaToRGB(out *Image, src *image.RGBA) {
	b := src.Bounds()
	w, h := out.Width, out.Height
	for y := 0; y < h; y++ {
		row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
		dst := out.Pix[3*w*y : 3*w*(y+1)]
		for x := 0; x < w; x++ {
			p := row[4*x : 4*x+4 : 4*x+4]
			r, g, bl, a := p[0], p[1], p[2], p[3]
			if a != 255 && a != 0 {
				r, g, bl = unpremul(r, a), unpremul(g, a), unpremul(bl, a)
			}
			dst[3*x], dst[3*x+1], dst[3*x+2] = r, g, bl
		}
	}
}

func unpremul(c, a byte) byte {
	v := (uint32(c)*255 + uint32(a)/2) / uint32(a)
	if v > 255 {
		v = 255
	}
	return byte(v)
}

// paletteRGB is the colour of a palette entry with its alpha ignored:
// image/png stores opaque entries as color.RGBA and entries with a tRNS
// alpha as color.NRGBA.
func paletteRGB(c color.Color) [3]byte {
	switch c := c.(type) {
	case color.NRGBA:
		return [3]byte{c.R, c.G, c.B}
	case color.RGBA:
		if c.A == 255 || c.A == 0 {
			return [3]byte{c.R, c.G, c.B}
		}
		return [3]byte{unpremul(c.R, c.A), unpremul(c.G, c.A), unpremul(c.B, c.A)}
	case nil:
		return [3]byte{}
	}
	n := color.NRGBA64Model.Convert(c).(color.NRGBA64)
	return [3]byte{uint8(n.R >> 8), uint8(n.G >> 8), uint8(n.B >> 8)}
}

// cmykToRGB is Pillow's cmyk2rgb (Convert.c): each channel is
// (255-K) - C*(255-K)/255, the product divided by 255 with rounding.
func cmykToRGB(c, m, y, k byte) (byte, byte, byte) {
	nk := 255 - int32(k)
	return byte(nk - mulDiv255(int32(c), nk)), byte(nk - mulDiv255(int32(m), nk)), byte(nk - mulDiv255(int32(y), nk))
}

// mulDiv255 is Pillow's MULDIV255: a*b/255 rounded, exactly for bytes.
func mulDiv255(a, b int32) int32 {
	t := a*b + 128
	return ((t >> 8) + t) >> 8
}
