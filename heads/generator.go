package heads

import (
	"errors"
	"fmt"

	"github.com/vlmrt/vlmrt/generate"
	"github.com/vlmrt/vlmrt/runtime"
)

// decoderHead is a head whose text comes from the caption decoder: the
// captioning, dense captioning and dialogue heads.
type decoderHead interface {
	head
	// memoryKeys lists the inputs the decoder's memory is made from.
	memoryKeys() []string
	// decoderMemory builds the decoder's memory [B', T, Dkv] from the
	// inputs: B' = B, or B*K for the K regions of dense captioning.
	decoderMemory(b *runtime.Builder, in map[string]runtime.Tensor) (runtime.Tensor, bool)
	// parts returns the decoder and the embedding tables of generation.
	parts() (*decoder, *generationWeights)
}

// ErrNoEmbedding is returned when a model lacks the token embedding that
// generation needs to feed emitted tokens back (SPEC.md 1).
var ErrNoEmbedding = errors.New("model has no token_embedding for generation")

// Generator generates text with a decoder head (SPEC.md 6), one sequence per
// memory row: per image for captioning and dialogue, per region for dense
// captioning. It computes each memory's cross-attention keys and values
// once and caches the self-attention keys and values step by step. A
// Generator is for one goroutine at a time; it allocates nothing per token.
type Generator struct {
	head    decoderHead
	plan    *runtime.Plan
	session *runtime.Session
	memory  []float32
	rows    int
	step    *stepper
	buf     generate.Buffers
}

// NewGenerator prepares generation for inputs of the given shapes (only the
// memory's inputs are needed: e.g. "vision_features"). MaxLength and Beam
// bound the sequences and beams it serves (by default the model file's
// generation metadata); ForTask picks the decoder of a multi-task model.
func (m *Model) NewGenerator(shapes map[string][]int, opts ...Option) (*Generator, error) {
	o := m.generatorOptions(opts)
	maxLength, beam := o.maxLength, o.beam
	tasks, err := m.selectTasks(o.task)
	if err != nil {
		return nil, err
	}
	if len(tasks) != 1 {
		return nil, fmt.Errorf("heads: %s: name the task to generate with (have %v)", m.class, m.Tasks())
	}
	h, ok := tasks[0].head.(decoderHead)
	if !ok {
		return nil, fmt.Errorf("heads: %s has no text decoder to generate with", m.class)
	}
	dec, emb := h.parts()
	if emb == nil {
		return nil, fmt.Errorf("heads: %s: %w", m.class, ErrNoEmbedding)
	}
	if maxLength < 1 || beam < 1 {
		return nil, fmt.Errorf("heads: generation of %d tokens with beam %d", maxLength, beam)
	}
	b := runtime.NewBuilder()
	in := map[string]runtime.Tensor{}
	for _, k := range h.memoryKeys() {
		shape, ok := shapes[k]
		if !ok {
			return nil, fmt.Errorf("heads: %s: %w: missing input %q", m.class, ErrShape, k)
		}
		in[k] = b.Input(k, shape...)
	}
	memory, ok := h.decoderMemory(b, in)
	if ok {
		b.Output("memory", memory)
	}
	plan, err := b.Compile()
	if err != nil {
		return nil, fmt.Errorf("heads: %s: %w", m.class, err)
	}
	ms := plan.Outputs()[0].Shape
	g := &Generator{head: h, plan: plan, session: plan.NewSession(), rows: ms[0]}
	g.memory, _ = g.session.Output("memory")
	positions := maxLength
	if emb.positions != nil {
		positions = min(positions, emb.maxLen)
	}
	// The last generated token is never fed back, so a sequence of
	// maxLength tokens needs maxLength positions (BOS included).
	// Beside the caches, generate.Run keeps 4 histories per beam slot and
	// the results one row of tokens per memory row, maxLength long.
	n := stepperValues(dec, beam, positions, ms[1]) + float64(maxLength)*float64(4*beam+ms[0])
	if n > maxStepperValues {
		return nil, fmt.Errorf("heads: %s: generation of %d tokens with beam %d needs %.3g values of caches and histories, more than %d",
			m.class, maxLength, beam, n, maxStepperValues)
	}
	g.step = newStepper(dec, emb, beam, positions, ms[1])
	return g, nil
}

// Rows returns the number of sequences Generate returns: the batch, or the
// batch times the regions of dense captioning.
func (g *Generator) Rows() int { return g.rows }

// Vocab returns the size of the vocabulary the decoder emits.
func (g *Generator) Vocab() int { return g.step.Vocab() }

// Generate decodes one sequence per memory row with the algorithm o selects
// (generate.Run). The results' tokens are copies the caller may keep.
func (g *Generator) Generate(in Inputs, o generate.Options) ([]generate.Result, error) {
	if o.Beam > g.step.slots {
		return nil, fmt.Errorf("heads: beam %d, the generator was made for %d", o.Beam, g.step.slots)
	}
	if err := g.computeMemory(in); err != nil {
		return nil, err
	}
	results := make([]generate.Result, g.rows)
	for r := range results {
		if err := g.selectMemory(r); err != nil {
			return nil, err
		}
		res, err := generate.Run(g.step, o, &g.buf)
		if err != nil {
			return nil, fmt.Errorf("heads: sequence %d: %w", r, err)
		}
		res.Tokens = append([]int32(nil), res.Tokens...)
		results[r] = res
	}
	return results, nil
}

// Stepper returns the incremental decoder over memory row `row` of in,
// for callers that drive decoding themselves. It stays valid until the
// next call of Generate or Stepper.
func (g *Generator) Stepper(in Inputs, row int) (generate.Stepper, error) {
	if row < 0 || row >= g.rows {
		return nil, fmt.Errorf("heads: memory row %d of %d", row, g.rows)
	}
	if err := g.computeMemory(in); err != nil {
		return nil, err
	}
	if err := g.selectMemory(row); err != nil {
		return nil, err
	}
	return g.step, nil
}

// computeMemory runs the memory plan on in: every row's decoder memory.
func (g *Generator) computeMemory(in Inputs) error {
	if err := in.Fill(g.session); err != nil {
		return err
	}
	g.session.Run()
	return nil
}

// selectMemory points the stepper at memory row r, projecting its keys and
// values for every layer.
func (g *Generator) selectMemory(r int) error {
	per := len(g.memory) / g.rows
	return g.step.setMemory(g.memory[r*per : (r+1)*per])
}
