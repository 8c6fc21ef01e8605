package pipeline

import (
	"github.com/vlmrt/vlmrt/encoders"
	"github.com/vlmrt/vlmrt/preprocess"
	"github.com/vlmrt/vlmrt/runtime"
)

// encoder is what a pipeline needs of either kind of encoder: a Hugging
// Face model (encoders.Model) or dl_techniques' CLIP (encoders.DLCLIP).
type encoder interface {
	// buildVision and buildText append a tower to b and return its
	// outputs by their Hugging Face names (encoders.OutputHidden, ...).
	buildVision(b *runtime.Builder, pixels runtime.Tensor) (map[string]runtime.Tensor, error)
	buildText(b *runtime.Builder, ids runtime.Tensor) (map[string]runtime.Tensor, error)
	hasVision() bool
	hasText() bool
	// pixelShape is the shape of one image as the vision tower reads it.
	pixelShape() []int
	// visionShape and textShape are the shapes of the towers'
	// last_hidden_state for one image and for one text of n ids.
	visionShape() []int
	textShape(n int) []int
	layout() preprocess.Layout
	// textLength is the length a text of n ids runs at, at most
	// maxText; padID fills the positions after the text's ids (-1: repeat
	// the text's last id, its end-of-text token).
	textLength(n int) int
	maxText() int
	padID() int
	checkIDs(ids []float32) error
	logitScale() float32
	packedBytes() int
}

// hfEncoder is a Hugging Face CLIP or SigLIP model.
type hfEncoder struct{ m *encoders.Model }

func (e hfEncoder) buildVision(b *runtime.Builder, px runtime.Tensor) (map[string]runtime.Tensor, error) {
	return e.m.BuildVision(b, px)
}

func (e hfEncoder) buildText(b *runtime.Builder, ids runtime.Tensor) (map[string]runtime.Tensor, error) {
	return e.m.BuildText(b, ids)
}

func (e hfEncoder) hasVision() bool { return e.m.HasVision() }
func (e hfEncoder) hasText() bool   { return e.m.HasText() }

func (e hfEncoder) pixelShape() []int {
	v := e.m.Config().Vision
	return []int{1, v.Channels, v.ImageSize, v.ImageSize}
}

func (e hfEncoder) visionShape() []int {
	c := e.m.Config()
	if c.Vision == nil {
		return nil
	}
	n := c.Vision.Patches()
	if c.Family == encoders.CLIP {
		n++ // the class token
	}
	return []int{1, n, c.Vision.Hidden}
}

func (e hfEncoder) textShape(n int) []int {
	if c := e.m.Config(); c.Text != nil {
		return []int{1, n, c.Text.Hidden}
	}
	return nil
}

func (e hfEncoder) layout() preprocess.Layout { return preprocess.NCHW }

// A CLIP text tower is causal: the states of a text's tokens do not depend
// on what follows them, so a text runs at its own length, and texts
// batched together are padded with their end-of-text token, which keeps
// both ways of pooling (the first end-of-text id, or the largest id) at the
// text's own end.
func (e hfEncoder) textLength(n int) int         { return n }
func (e hfEncoder) maxText() int                 { return e.m.Config().Text.MaxPositions }
func (e hfEncoder) padID() int                   { return -1 }
func (e hfEncoder) checkIDs(ids []float32) error { return e.m.CheckIDs(ids) }
func (e hfEncoder) logitScale() float32          { return e.m.LogitScale() }
func (e hfEncoder) packedBytes() int             { return e.m.PackedBytes() }

// dlEncoder is dl_techniques' CLIP: channels-last images, and texts padded
// with id 0 to the context length, as the Keras model reads them (its text
// tower attends over the padding too).
type dlEncoder struct{ m *encoders.DLCLIP }

func (e dlEncoder) buildVision(b *runtime.Builder, px runtime.Tensor) (map[string]runtime.Tensor, error) {
	return e.m.BuildVision(b, px)
}

func (e dlEncoder) buildText(b *runtime.Builder, ids runtime.Tensor) (map[string]runtime.Tensor, error) {
	return e.m.BuildText(b, ids)
}

func (e dlEncoder) hasVision() bool { return true }
func (e dlEncoder) hasText() bool   { return true }

func (e dlEncoder) pixelShape() []int {
	s := e.m.Config().ImageSize
	return []int{1, s, s, 3}
}

func (e dlEncoder) visionShape() []int {
	c := e.m.Config()
	g := c.ImageSize / c.PatchSize
	return []int{1, g*g + 1, c.VisionWidth} // patches and the class token
}

func (e dlEncoder) textShape(int) []int {
	c := e.m.Config()
	return []int{1, c.ContextLength, c.TextWidth}
}

func (e dlEncoder) layout() preprocess.Layout { return preprocess.NHWC }
func (e dlEncoder) textLength(int) int        { return e.m.Config().ContextLength }
func (e dlEncoder) maxText() int              { return e.m.Config().ContextLength }
func (e dlEncoder) padID() int                { return 0 }

func (e dlEncoder) checkIDs(ids []float32) error {
	v := e.m.Config().VocabSize
	for i, id := range ids {
		if id < 0 || id >= float32(v) {
			return idError(i, id, v)
		}
	}
	return nil
}

func (e dlEncoder) logitScale() float32 { return e.m.LogitScale() }
func (e dlEncoder) packedBytes() int    { return e.m.PackedBytes() }
