package pipeline

import (
	"fmt"
	"image"
	"sync"

	"github.com/vlmrt/vlmrt/encoders"
	"github.com/vlmrt/vlmrt/heads"
	"github.com/vlmrt/vlmrt/preprocess"
	"github.com/vlmrt/vlmrt/runtime"
)

// Pipeline runs a model's tasks from images and text. Its methods are safe
// for concurrent use and run one at a time; Clone gives another pipeline
// over the same packed weights for running calls in parallel.
type Pipeline struct {
	m *model

	mu       sync.Mutex
	prep     *preprocess.Processor
	sessions map[planKey]*runtime.Session
	gen      *heads.Generator
}

// planKey names a compiled plan: what it runs and the text length it
// runs at (0 for none).
type planKey struct {
	kind   planKind
	class  string // the head class of a joint or head plan
	length int
	batch  int
}

type planKind uint8

const (
	visionPlan planKind = iota // the vision tower: pixels to its outputs
	textPlan                   // the text tower: ids to its outputs
	jointPlan                  // both towers and the head, in one plan
	headPlan                   // the head over features
)

// Input and output names of the pipeline's plans.
const (
	inputPixels = encoders.InputPixels
	inputIDs    = encoders.InputIDs
	// The head's inputs that the encoder's towers feed.
	visionFeatures   = "vision_features"
	textFeatures     = "text_features"
	questionFeatures = "question_features"
)

func newPipeline(m *model) (*Pipeline, error) {
	p := &Pipeline{m: m, sessions: map[planKey]*runtime.Session{}}
	if m.enc.hasVision() {
		var err error
		if p.prep, err = preprocess.NewProcessor(m.prep); err != nil {
			return nil, fmt.Errorf("pipeline: %s: %w", m.encPath, err)
		}
	}
	return p, nil
}

// checkHead builds the plan of every task of the head that reads both
// towers, so that an encoder whose widths do not fit the head is an error
// of Load rather than of the first call.
func (p *Pipeline) checkHead() error {
	if p.m.head == nil || !p.m.enc.hasVision() || !p.m.enc.hasText() {
		return nil
	}
	for _, class := range []string{heads.ClassVQA, heads.ClassGrounding, heads.ClassMatching} {
		if _, ok := p.m.head.TaskOfClass(class); !ok {
			continue
		}
		if _, err := p.compile(planKey{kind: headPlan, class: class, batch: 1, length: p.m.enc.textLength(2)}); err != nil {
			return err
		}
	}
	return nil
}

// Clone returns a pipeline over the same model and packed weights with its
// own sessions, for use in another goroutine.
func (p *Pipeline) Clone() *Pipeline {
	c, _ := newPipeline(p.m) // the processor's config was checked by Load
	return c
}

// Class returns the class of the model's head (heads.ClassVQA, ...), or
// "" for an encoder alone.
func (p *Pipeline) Class() string {
	if p.m.head == nil {
		return ""
	}
	return p.m.head.Class()
}

// Head returns the model's head, or nil for an encoder alone.
func (p *Pipeline) Head() *heads.Model { return p.m.head }

// PackedBytes returns the memory the packed weights of the encoder and the
// head take.
func (p *Pipeline) PackedBytes() int {
	n := p.m.enc.packedBytes()
	if p.m.head != nil {
		n += p.m.head.PackedBytes()
	}
	return n
}

// task returns the task of the head that runs class (for ForTask) and the
// prefix of its output names.
func (p *Pipeline) task(class string) (name, prefix string, err error) {
	if p.m.head == nil {
		return "", "", fmt.Errorf("pipeline: %s: %w: an encoder alone, no %s", p.m.path, ErrNoTask, class)
	}
	name, ok := p.m.head.TaskOfClass(class)
	if !ok {
		return "", "", fmt.Errorf("pipeline: %s: %w: the head is a %s, not a %s", p.m.path, ErrNoTask, p.m.head.Class(), class)
	}
	if p.m.head.Class() == heads.ClassMultiTask {
		prefix = name + "."
	}
	return name, prefix, nil
}

// session returns the session of the plan k, compiling it on first use.
func (p *Pipeline) session(k planKey) (*runtime.Session, error) {
	if s, ok := p.sessions[k]; ok {
		return s, nil
	}
	plan, err := p.compile(k)
	if err != nil {
		return nil, err
	}
	s := plan.NewSession(runtime.WithPool(p.m.opts.pool))
	p.sessions[k] = s
	return s, nil
}

// compile builds the plan k names.
func (p *Pipeline) compile(k planKey) (*runtime.Plan, error) {
	b := runtime.NewBuilder()
	enc := p.m.enc
	var (
		vision, text map[string]runtime.Tensor
		err          error
	)
	if k.kind == visionPlan || k.kind == jointPlan {
		if !enc.hasVision() {
			return nil, fmt.Errorf("pipeline: %s: %w: no vision tower", p.m.encPath, ErrNoTower)
		}
		shape := append([]int{k.batch}, enc.pixelShape()[1:]...)
		if vision, err = enc.buildVision(b, b.Input(inputPixels, shape...)); err != nil {
			return nil, err
		}
	}
	if k.kind == textPlan || k.kind == jointPlan {
		if !enc.hasText() {
			return nil, fmt.Errorf("pipeline: %s: %w: no text tower", p.m.encPath, ErrNoTower)
		}
		if text, err = enc.buildText(b, b.Input(inputIDs, k.batch, k.length)); err != nil {
			return nil, err
		}
	}
	outputs := vision
	if k.kind == textPlan {
		outputs = text
	}
	if k.kind == jointPlan || k.kind == headPlan {
		if outputs, err = p.buildHead(b, k, vision, text); err != nil {
			return nil, err
		}
	}
	for name, t := range outputs {
		b.Output(name, t)
	}
	plan, err := b.Compile()
	switch {
	case err != nil && (k.kind == jointPlan || k.kind == headPlan):
		return nil, fmt.Errorf("pipeline: head %s on encoder %s: %w", p.m.path, p.m.encPath, err)
	case err != nil:
		return nil, fmt.Errorf("pipeline: %s: %w", p.m.encPath, err)
	}
	return plan, nil
}

// buildHead appends the head's task for k.class, reading the towers'
// last_hidden_state (joint plans) or plan inputs of the same shapes (head
// plans).
func (p *Pipeline) buildHead(b *runtime.Builder, k planKey, vision, text map[string]runtime.Tensor) (map[string]runtime.Tensor, error) {
	task, _, err := p.task(k.class)
	if err != nil {
		return nil, err
	}
	keys, err := p.m.head.InputKeys(task)
	if err != nil {
		return nil, err
	}
	if k.kind == headPlan {
		vision = map[string]runtime.Tensor{encoders.OutputHidden: b.Input(visionFeatures, p.m.enc.visionShape()...)}
		text = map[string]runtime.Tensor{encoders.OutputHidden: b.Input(textFeatures, p.m.enc.textShape(k.length)...)}
	}
	in := map[string]runtime.Tensor{}
	for _, key := range keys {
		switch key {
		case visionFeatures:
			in[key] = vision[encoders.OutputHidden]
		case textFeatures, questionFeatures:
			in[key] = text[encoders.OutputHidden]
		default:
			return nil, fmt.Errorf("pipeline: %s: the head reads %q, which no encoder output feeds", p.m.path, key)
		}
	}
	out, err := p.m.head.Build(b, in, heads.ForTask(task))
	if err != nil {
		return nil, fmt.Errorf("pipeline: head %s on encoder %s: %w", p.m.path, p.m.encPath, err)
	}
	return out, nil
}

// setImage preprocesses img into the pixel input of s (image i of its
// batch).
func (p *Pipeline) setImage(s *runtime.Session, i int, img image.Image) error {
	px, err := s.Input(inputPixels)
	if err != nil {
		return err
	}
	n := 1
	for _, d := range p.m.enc.pixelShape() {
		n *= d
	}
	return p.prep.Process(px[i*n:(i+1)*n], toRGB(img), p.m.enc.layout())
}

// toRGB returns img as the preprocessor reads it.
func toRGB(img image.Image) *preprocess.Image {
	if rgb, ok := img.(*preprocess.Image); ok {
		return rgb
	}
	return preprocess.FromImage(img)
}
