package runtime

import (
	"errors"
	"fmt"

	"github.com/vlmrt/vlmrt/parallel"
)

// TensorSpec names an input or output of a plan and gives its shape.
type TensorSpec struct {
	Name  string
	Shape []int
}

// Plan is a compiled network for fixed shapes. It is immutable and safe for
// concurrent use by many Sessions.
type Plan struct {
	steps      []Step
	offsets    []int // arena offset of each tensor
	sizes      []int // values of each tensor
	arenaLen   int
	inputs     map[string]int
	outputs    map[string]int
	inputList  []TensorSpec
	outputList []TensorSpec
}

// Inputs lists the plan's inputs in declaration order.
func (p *Plan) Inputs() []TensorSpec { return p.inputList }

// Outputs lists the plan's outputs sorted by name.
func (p *Plan) Outputs() []TensorSpec { return p.outputList }

// Steps returns the number of kernel calls of a run.
func (p *Plan) Steps() int { return len(p.steps) }

// ArenaBytes returns the memory one Session holds for inputs, outputs and
// intermediates.
func (p *Plan) ArenaBytes() int { return 4 * p.arenaLen }

// Session is one goroutine's use of a plan: its arena and its worker pool.
// A Session must not be used by two goroutines at once; create one per
// goroutine (they share the plan and its packed weights).
type Session struct {
	plan   *Plan
	exec   Exec
	states []any // per step: what a StatefulStep keeps per session
}

// StatefulStep is a Step that keeps memory of its own per session besides
// the arena, e.g. a kernel descriptor that holds its parallel task. A
// Session calls NewState once per step when it is created; Exec.State
// returns it while the step runs.
type StatefulStep interface {
	Step
	NewState() any
}

// A SessionOption configures a Session that Plan.NewSession makes.
type SessionOption func(*Session)

// WithPool has the session split each step's work over the workers of
// pool. Without it a session runs every step on the goroutine that calls
// Run. A pool may serve several sessions; their runs then take turns.
func WithPool(pool *parallel.Pool) SessionOption {
	return func(s *Session) { s.exec.Pool = pool }
}

// NewSession allocates a session's arena for p, once: Run allocates
// nothing. With no options the session runs on the calling goroutine;
// WithPool spreads its steps over a worker pool.
func (p *Plan) NewSession(opts ...SessionOption) *Session {
	s := &Session{plan: p}
	s.exec = Exec{arena: make([]float32, p.arenaLen), offsets: p.offsets, sizes: p.sizes}
	for _, o := range opts {
		o(s)
	}
	s.states = make([]any, len(p.steps))
	for i, st := range p.steps {
		if sf, ok := st.(StatefulStep); ok {
			s.states[i] = sf.NewState()
		}
	}
	return s
}

// ErrUnknownTensor is returned for an input or output name the plan lacks.
var ErrUnknownTensor = errors.New("runtime: no such tensor")

// Input returns the arena slice of the named input; fill it before Run.
// Resolve it once and keep the slice: it stays valid for the session's life.
func (s *Session) Input(name string) ([]float32, error) {
	id, ok := s.plan.inputs[name]
	if !ok {
		return nil, fmt.Errorf("%w: input %q", ErrUnknownTensor, name)
	}
	return s.exec.F(Tensor{int32(id)}), nil
}

// Output returns the arena slice of the named output, valid after Run.
func (s *Session) Output(name string) ([]float32, error) {
	id, ok := s.plan.outputs[name]
	if !ok {
		return nil, fmt.Errorf("%w: output %q", ErrUnknownTensor, name)
	}
	return s.exec.F(Tensor{int32(id)}), nil
}

// Run executes every step of the plan in order. It allocates nothing.
func (s *Session) Run() {
	for i, st := range s.plan.steps {
		s.exec.state = s.states[i]
		st.Run(&s.exec)
	}
}

// Plan returns the plan the session runs.
func (s *Session) Plan() *Plan { return s.plan }

// Exec is what a step sees while it runs: the session's arena and pool.
type Exec struct {
	arena   []float32
	offsets []int
	sizes   []int
	// Pool splits a step's work over workers; nil runs it on the caller.
	Pool  *parallel.Pool
	state any
}

// State returns the running step's per-session state (StatefulStep).
func (x *Exec) State() any { return x.state }

// F returns the values of t in this run's arena.
func (x *Exec) F(t Tensor) []float32 {
	off := x.offsets[t.id]
	return x.arena[off : off+x.sizes[t.id] : off+x.sizes[t.id]]
}
