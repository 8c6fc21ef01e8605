package heads

import (
	"errors"
	"fmt"
)

// ErrShape is wrapped by errors about input shapes that do not fit a head.
var ErrShape = errors.New("shape mismatch")

// ErrUnknownClass is returned for a class_name this package has no head for.
var ErrUnknownClass = errors.New("unknown head class")

// ErrUnknownTask is returned when a multi-task model has no task of a name.
var ErrUnknownTask = errors.New("unknown task")

func errShape(path string, n, dim int) error {
	return fmt.Errorf("%w: tensor %q has %d values, not a multiple of width %d", ErrShape, path, n, dim)
}
