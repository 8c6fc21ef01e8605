package preprocess

import (
	"image"
	"image/color"
)

// Image implements image.Image, so that a decoded image can be handed to
// any API that takes one (package pipeline's tasks among them) without a
// copy; such APIs may check for *Image and read Pix directly.
var _ image.Image = (*Image)(nil)

// ColorModel returns color.RGBAModel: every pixel is opaque.
func (m *Image) ColorModel() color.Model { return color.RGBAModel }

// Bounds returns the rectangle (0, 0)-(Width, Height).
func (m *Image) Bounds() image.Rectangle { return image.Rect(0, 0, m.Width, m.Height) }

// At returns the pixel at (x, y) as an opaque color.RGBA, or transparent
// black outside the bounds.
func (m *Image) At(x, y int) color.Color {
	if !(image.Point{x, y}.In(m.Bounds())) {
		return color.RGBA{}
	}
	i := 3 * (y*m.Width + x)
	return color.RGBA{m.Pix[i], m.Pix[i+1], m.Pix[i+2], 0xff}
}
