package heads

import (
	"fmt"

	"github.com/vlmrt/vlmrt/kernels"
)

// An Option adjusts Model.Compile or Model.NewGenerator. The zero set of
// options is the common case: every task of the model, and generation with
// the lengths the model file's "generation" metadata gives.
type Option func(*options)

// options collects the Options of one call; zero fields are unset.
type options struct {
	task      string
	maxLength int // NewGenerator only
	beam      int // NewGenerator only
}

// ForTask selects one task of a multi-task model by its task_config name
// ("cap", "vqa", ...). Without it Compile runs every task, naming outputs
// "<task>.<key>", and NewGenerator needs the model to have exactly one
// decoder task.
func ForTask(name string) Option { return func(o *options) { o.task = name } }

// MaxLength sets the longest sequence, in tokens, that a Generator emits
// (NewGenerator only). The default is the model file's generation
// max_length, or 32.
func MaxLength(n int) Option { return func(o *options) { o.maxLength = n } }

// Beam sets the most hypotheses a Generator keeps per sequence, the
// largest generate.Options.Beam its Generate accepts (NewGenerator only).
// The default is the model file's generation beam_size, or 1.
func Beam(k int) Option { return func(o *options) { o.beam = k } }

// Defaults of generation when neither an Option nor the model file says.
const (
	defaultMaxLength = 32
	defaultBeam      = 1
)

func collect(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// compileOptions returns the task Compile runs, refusing the options that
// only NewGenerator takes rather than ignoring them.
func compileOptions(opts []Option) (string, error) {
	o := collect(opts)
	if o.maxLength != 0 || o.beam != 0 {
		return "", fmt.Errorf("heads: MaxLength and Beam are options of NewGenerator, not Compile")
	}
	return o.task, nil
}

// generatorOptions fills the lengths that opts leave unset from the model's
// generation metadata, then from the defaults.
func (m *Model) generatorOptions(opts []Option) options {
	o := collect(opts)
	if o.maxLength == 0 {
		o.maxLength = m.generation.MaxLength
	}
	if o.maxLength == 0 {
		o.maxLength = defaultMaxLength
	}
	if o.beam == 0 {
		o.beam = m.generation.BeamSize
	}
	if o.beam == 0 {
		o.beam = defaultBeam
	}
	return o
}

// A LoadOption adjusts Load, New and NewFromSource.
type LoadOption func(*loadOptions)

type loadOptions struct {
	precision kernels.Precision
	set       bool // Quantize was given
}

// Precision is how a head's Dense kernels are stored and multiplied.
type Precision = kernels.Precision

// The precisions Quantize takes.
const (
	// Float32 keeps float kernels as float32 (the default).
	Float32 = kernels.Float32
	// Int8 quantizes every Dense kernel at load to int8 with a float32
	// scale per output column (symmetric); the products quantize their
	// input rows per call and sum in int32. Norms, biases, embedding
	// tables and attention (whose operands are activations) stay
	// float32.
	Int8 = kernels.Int8
)

// Quantize sets the precision of the model's Dense kernels. Without it,
// float kernels run as float32 and kernels that the file stores as I8
// (with their .scale, SPEC.md 1) run as int8, never dequantized.
// Quantize(Int8) quantizes the float ones too; Quantize(Float32)
// dequantizes the I8 ones, for the float math SPEC.md 2 defines.
func Quantize(p Precision) LoadOption {
	return func(o *loadOptions) { o.precision, o.set = p, true }
}
