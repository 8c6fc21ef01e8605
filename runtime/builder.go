package runtime

import (
	"errors"
	"fmt"
	"sort"
)

// Tensor is a buffer of a plan under construction: a handle to its shape and,
// once compiled, its place in the arena.
type Tensor struct{ id int32 }

// Step is one kernel call of a plan. Run reads and writes the tensors it
// declared to the Builder through x, and must not allocate.
type Step interface {
	Run(x *Exec)
}

type tensorKind uint8

const (
	kindTemp tensorKind = iota
	kindInput
	kindOutput
)

type tensorInfo struct {
	shape       []int
	size        int
	kind        tensorKind
	name        string
	first, last int // steps that first and last touch it; -1 when none
	root        int // the tensor whose memory a view shares; its own id otherwise
}

// maxTensorSize bounds the values of one tensor (16 GiB of float32), so that
// a shape that overflows or could never be allocated is an error at compile
// time rather than a crash when a session allocates its arena.
const maxTensorSize = 1 << 32

// Builder collects the tensors and steps of a plan.
type Builder struct {
	tensors []tensorInfo
	steps   []Step
	inputs  []Tensor
	outputs []Tensor
	names   map[string]bool
	err     error
	packed  map[int32]packedMemory // memories packed for AttendMemory, by tensor
}

// NewBuilder returns an empty Builder.
func NewBuilder() *Builder {
	return &Builder{names: map[string]bool{}, packed: map[int32]packedMemory{}}
}

func (b *Builder) add(kind tensorKind, name string, shape []int) Tensor {
	size := 1
	for _, d := range shape {
		switch {
		case d < 0:
			b.fail(fmt.Errorf("runtime: tensor %q: negative dimension in %v", name, shape))
			d = 0
		case d > 0 && size > maxTensorSize/d:
			b.fail(fmt.Errorf("runtime: tensor %q: shape %v holds more than %d values", name, shape, maxTensorSize))
			d = 0
		}
		size *= d
	}
	b.tensors = append(b.tensors, tensorInfo{shape: append([]int(nil), shape...), size: size,
		kind: kind, name: name, first: -1, last: -1, root: len(b.tensors)})
	return Tensor{int32(len(b.tensors) - 1)}
}

func (b *Builder) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// Input declares an input of the plan, which callers fill through
// Session.Input before each run.
func (b *Builder) Input(name string, shape ...int) Tensor {
	if b.names["in:"+name] {
		b.fail(fmt.Errorf("runtime: input %q declared twice", name))
	}
	b.names["in:"+name] = true
	t := b.add(kindInput, name, shape)
	b.inputs = append(b.inputs, t)
	return t
}

// Temp declares an intermediate tensor.
func (b *Builder) Temp(shape ...int) Tensor { return b.add(kindTemp, "", shape) }

// Output marks t as an output of the plan under name. An output keeps its
// memory to the end of a run; a tensor may be output under one name only.
func (b *Builder) Output(name string, t Tensor) {
	if root := b.tensors[t.id].root; root != int(t.id) {
		// A view: give the output memory of its own.
		c := b.Temp(b.Shape(t)...)
		b.Add(copyStep{dst: c, src: t}, []Tensor{t}, []Tensor{c})
		t = c
	}
	info := &b.tensors[t.id]
	if b.names["out:"+name] {
		b.fail(fmt.Errorf("runtime: output %q declared twice", name))
	}
	if info.kind == kindOutput {
		b.fail(fmt.Errorf("runtime: output %q is already output %q", name, info.name))
	}
	b.names["out:"+name] = true
	if info.kind == kindInput {
		// An input passed straight through: copy it, so outputs own memory.
		c := b.Temp(info.shape...)
		b.Add(copyStep{dst: c, src: t}, []Tensor{t}, []Tensor{c})
		t, info = c, &b.tensors[c.id]
	}
	info.kind, info.name = kindOutput, name
	b.outputs = append(b.outputs, t)
}

// View returns a tensor that shares x's memory under another shape with the
// same number of values. Using the view keeps x's memory alive.
func (b *Builder) View(x Tensor, shape ...int) Tensor {
	v := b.add(kindTemp, "", shape)
	if b.Size(v) != b.Size(x) {
		b.fail(fmt.Errorf("runtime: view of %v as %v", b.Shape(x), shape))
	}
	b.tensors[v.id].root = b.tensors[x.id].root
	return v
}

// Shape returns the shape t was declared with.
func (b *Builder) Shape(t Tensor) []int { return b.tensors[t.id].shape }

// Size returns the number of values t holds.
func (b *Builder) Size(t Tensor) int { return b.tensors[t.id].size }

// Add appends a step that reads and writes the given tensors. The lists
// decide the tensors' lifetimes: a tensor's memory may be reused by others
// before its first and after its last step.
func (b *Builder) Add(s Step, reads, writes []Tensor) {
	i := len(b.steps)
	b.steps = append(b.steps, s)
	for _, list := range [2][]Tensor{reads, writes} {
		for _, t := range list {
			info := &b.tensors[b.tensors[t.id].root]
			if info.first < 0 {
				info.first = i
			}
			info.last = i
		}
	}
}

// Fail records an error found while building; Compile returns the first.
func (b *Builder) Fail(err error) { b.fail(err) }

// ErrEmptyPlan is returned by Compile for a plan without outputs.
var ErrEmptyPlan = errors.New("runtime: plan has no outputs")

// arenaAlign is the alignment of every buffer in the arena, in values: one
// 64-byte cache line.
const arenaAlign = 16

// Compile assigns every tensor its place in one arena and returns the plan.
// Inputs and outputs keep their memory for the whole run; intermediates
// share memory when their lifetimes do not overlap.
func (b *Builder) Compile() (*Plan, error) {
	if b.err != nil {
		return nil, b.err
	}
	if len(b.outputs) == 0 {
		return nil, ErrEmptyPlan
	}
	n := len(b.steps)
	type interval struct {
		id, lo, hi, size int
	}
	ivs := make([]interval, 0, len(b.tensors))
	for id, t := range b.tensors {
		lo, hi := t.first, t.last
		switch {
		case t.root != id:
			continue // a view: placed with its root below
		case t.kind == kindInput:
			lo, hi = -1, n
		case t.kind == kindOutput:
			hi = n
		case lo < 0:
			continue // declared, never used
		}
		ivs = append(ivs, interval{id, lo, hi, (t.size + arenaAlign - 1) / arenaAlign * arenaAlign})
	}
	// Largest first, then first-fit against the placed intervals that overlap
	// in time: the usual greedy offset assignment.
	sort.SliceStable(ivs, func(i, j int) bool { return ivs[i].size > ivs[j].size })
	offsets := make([]int, len(b.tensors))
	type placed struct{ lo, hi, off, end int }
	var done []placed
	arena := 0
	for _, iv := range ivs {
		var busy []placed
		for _, p := range done {
			if p.lo <= iv.hi && iv.lo <= p.hi {
				busy = append(busy, p)
			}
		}
		sort.Slice(busy, func(i, j int) bool { return busy[i].off < busy[j].off })
		off := 0
		for _, p := range busy {
			if off+iv.size <= p.off {
				break
			}
			off = max(off, p.end)
		}
		offsets[iv.id] = off
		done = append(done, placed{iv.lo, iv.hi, off, off + iv.size})
		arena = max(arena, off+iv.size)
	}
	for id, t := range b.tensors {
		offsets[id] = offsets[t.root]
	}
	p := &Plan{steps: b.steps, offsets: offsets, arenaLen: arena,
		inputs: map[string]int{}, outputs: map[string]int{}}
	p.sizes = make([]int, len(b.tensors))
	for id, t := range b.tensors {
		p.sizes[id] = t.size
	}
	for _, t := range b.inputs {
		info := b.tensors[t.id]
		p.inputs[info.name] = int(t.id)
		p.inputList = append(p.inputList, TensorSpec{Name: info.name, Shape: info.shape})
	}
	for _, t := range b.outputs {
		info := b.tensors[t.id]
		p.outputs[info.name] = int(t.id)
		p.outputList = append(p.outputList, TensorSpec{Name: info.name, Shape: info.shape})
	}
	sort.Slice(p.outputList, func(i, j int) bool { return p.outputList[i].Name < p.outputList[j].Name })
	return p, nil
}

type copyStep struct{ dst, src Tensor }

func (s copyStep) Run(x *Exec) { copy(x.F(s.dst), x.F(s.src)) }
