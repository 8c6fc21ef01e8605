package heads

import (
	"fmt"

	"github.com/vlmrt/vlmrt/runtime"
)

// head is one task head, its weights loaded and packed.
type head interface {
	// inputKeys lists the input keys the head reads; optional ones may be
	// missing from a compile's shapes.
	inputKeys() (required, optional []string)
	// build appends the head to b and returns its outputs by key.
	build(b *runtime.Builder, in map[string]runtime.Tensor) map[string]runtime.Tensor
	// describe returns a one-line summary of the head's options.
	describe() string
}

// checkShape fails the build unless t has the given rank and, where a
// dimension is not -1, that size.
func checkShape(b *runtime.Builder, key string, t runtime.Tensor, want ...int) bool {
	got := b.Shape(t)
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = want[i] < 0 || want[i] == got[i]
	}
	if !ok {
		b.Fail(fmt.Errorf("%w: input %q has shape %v, want %s", ErrShape, key, got, shapeString(want)))
	}
	return ok
}

func shapeString(s []int) string {
	out := "["
	for i, d := range s {
		if i > 0 {
			out += " "
		}
		if d < 0 {
			out += "*"
		} else {
			out += fmt.Sprint(d)
		}
	}
	return out + "]"
}
