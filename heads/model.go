package heads

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/vlmrt/vlmrt/runtime"
	"github.com/vlmrt/vlmrt/weights"
)

// Class names of the heads (the __metadata__ class_name of a model file).
const (
	ClassCaptioning      = "ImageCaptioningHead"
	ClassVQA             = "VQAHead"
	ClassGrounding       = "VisualGroundingHead"
	ClassMatching        = "ImageTextMatchingHead"
	ClassMultiTask       = "MultiTaskVLMHead"
	ClassDenseCaptioning = "DenseCaptioningHead"
	ClassDialogue        = "VisualDialogueHead"
)

// Model is a head (or a multi-task set of heads) loaded from a model file:
// its configuration read and its weights packed for the active kernel level.
// A Model holds no reference to the file it came from. It compiles into
// plans for fixed input shapes and is safe for concurrent use.
type Model struct {
	class       string
	config      string
	tasks       []task // one, or the tasks of a multi-task head in name order
	packedBytes int
	derived     atomic.Int64 // bytes of weights arranged at compile time (attention.memoryWeights)
	weightBytes int
	generation  GenerationConfig
	tokenizer   string // the metadata key "tokenizer": JSON text or a path
	encoder     string // the metadata key "encoder": a path relative to the file
	labels      []string
	load        loadOptions
}

// task is one named head of a model.
type task struct {
	name string // task_config.name; "" for a single-head model's outputs
	kind string // task_type
	head head
}

// Load reads the model file at path, builds its head and packs its weights.
// The file is closed before Load returns: the model keeps only packed copies.
func Load(path string, opts ...LoadOption) (*Model, error) {
	f, err := weights.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return New(f, opts...)
}

// New builds the head described by f's metadata from f's tensors. The model
// copies what it keeps, so f may be closed afterwards.
func New(f *weights.File, opts ...LoadOption) (*Model, error) {
	m, err := NewFromSource(f.Metadata(), func(head string) Source { return f.Scope(head) }, opts...)
	if err != nil {
		return nil, fmt.Errorf("heads: %s: %w", f.Name(), err)
	}
	return m, nil
}

// NewFromSource builds a head from a file's metadata (class_name, config,
// and the optional generation and tokenizer keys) and a source of weights
// per head scope ("cap_head", ...). It serves weights that do not come from
// a safetensors file, e.g. synthetic weights in benchmarks.
func NewFromSource(metadata map[string]string, scope func(head string) Source, opts ...LoadOption) (*Model, error) {
	md := metadata
	m := &Model{class: md["class_name"], config: md["config"], tokenizer: md["tokenizer"]}
	for _, o := range opts {
		o(&m.load)
	}
	if m.class == "" {
		return nil, fmt.Errorf("%w: metadata has no class_name", ErrConfig)
	}
	if m.config == "" {
		m.config = "{}"
	}
	c, err := parseConfig("config", []byte(m.config))
	if err != nil {
		return nil, err
	}
	if g, ok := md["generation"]; ok {
		if m.generation, err = parseGenerationConfig(g); err != nil {
			return nil, err
		}
	}
	m.encoder = md["encoder"]
	if text, ok := md["labels"]; ok {
		if err := json.Unmarshal([]byte(text), &m.labels); err != nil {
			return nil, fmt.Errorf("%w: metadata labels: want a JSON array of strings: %v", ErrConfig, err)
		}
	}
	var l *loader
	if m.class == ClassMultiTask {
		l, err = m.loadMultiTask(scope, c)
	} else {
		l, err = m.loadSingle(scope, m.class, c)
	}
	if err != nil {
		return nil, err
	}
	m.packedBytes, m.weightBytes = l.packed, l.raw
	return m, nil
}

// loadSingle builds a single-head model.
func (m *Model) loadSingle(scope func(string) Source, class string, c *config) (*loader, error) {
	tc := readTaskConfig(c.Object("task_config"))
	if err := c.Err(); err != nil {
		return nil, err
	}
	name := tc.Name + "_head"
	l := m.newLoader(scope(name))
	h, err := loadHead(l, class, c, tc, name)
	if err != nil {
		return nil, err
	}
	m.tasks = []task{{kind: tc.TaskType, head: h}}
	return l, nil
}

// newLoader returns a loader of the model's weights under one head scope.
func (m *Model) newLoader(src Source) *loader {
	return &loader{src: src, derived: &m.derived, precision: m.load.precision,
		dequantize: m.load.set && m.load.precision == Float32}
}

// loadHead builds the head of class from config c.
func loadHead(l *loader, class string, c *config, tc taskConfig, name string) (head, error) {
	var h head
	switch class {
	case ClassCaptioning:
		h = loadCaptioning(l, c, tc, name)
	case ClassVQA:
		h = loadVQA(l, c, tc)
	case ClassGrounding:
		h = loadGrounding(l, c, tc, name)
	case ClassMatching:
		h = loadMatching(l, c, tc, name)
	case ClassDenseCaptioning:
		h = loadDenseCaptioning(l, c, tc, name)
	case ClassDialogue:
		h = loadDialogue(l, c, tc, name)
	default:
		return nil, fmt.Errorf("%w %q", ErrUnknownClass, class)
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	return h, l.err
}

// classOfTask maps a task_type to the head class a multi-task head builds.
var classOfTask = map[string]string{
	"image_captioning":          ClassCaptioning,
	"visual_question_answering": ClassVQA,
	"visual_grounding":          ClassGrounding,
	"image_text_matching":       ClassMatching,
	"dense_captioning":          ClassDenseCaptioning,
	"visual_dialogue":           ClassDialogue,
}

// loadMultiTask builds every task of a MultiTaskVLMHead (SPEC.md 4.5): each
// head takes the shared widths and its task_specific_kwargs, and keeps its
// own paths under the wrapper's prefix.
func (m *Model) loadMultiTask(scope func(string) Source, c *config) (*loader, error) {
	tasks := c.Object("task_configs")
	kwargs := c.Object("task_specific_kwargs")
	shared := map[string]json.RawMessage{}
	if c.has("shared_vision_dim") {
		shared["vision_dim"] = c.keys["shared_vision_dim"]
	}
	if c.has("shared_text_dim") {
		shared["text_dim"] = c.keys["shared_text_dim"]
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	names := tasks.Keys()
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: config.task_configs: no tasks", ErrConfig)
	}
	total := &loader{}
	for _, key := range names {
		tcObj := tasks.Object(key)
		tc := readTaskConfig(tcObj)
		class, ok := classOfTask[tc.TaskType]
		if err := c.Err(); err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("%w: config.task_configs.%s.task_type: no head for %q", ErrConfig, key, tc.TaskType)
		}
		headCfg := &config{where: "config.task_specific_kwargs." + key, keys: map[string]json.RawMessage{}, err: c.err}
		for k, v := range shared {
			headCfg.keys[k] = v
		}
		headCfg = headCfg.with(kwargs.Object(key))
		headCfg.keys["task_config"] = tasks.keys[key]
		name := tc.Name + "_head"
		l := m.newLoader(scope(name))
		h, err := loadHead(l, class, headCfg, tc, name)
		if err != nil {
			return nil, fmt.Errorf("task %s: %w", tc.Name, err)
		}
		m.tasks = append(m.tasks, task{name: tc.Name, kind: tc.TaskType, head: h})
		total.packed += l.packed
		total.raw += l.raw
	}
	return total, nil
}

// Class returns the model's head class, e.g. "ImageCaptioningHead".
func (m *Model) Class() string { return m.class }

// Config returns the model's config JSON as stored in the file.
func (m *Model) Config() string { return m.config }

// Tasks returns the task names of a multi-task model in sorted order, and
// nil for a single head.
func (m *Model) Tasks() []string {
	if m.class != ClassMultiTask {
		return nil
	}
	names := make([]string, len(m.tasks))
	for i, t := range m.tasks {
		names[i] = t.name
	}
	return names
}

// TaskOfClass finds the task that a head of the given class runs
// (ClassVQA, ClassGrounding, ...): for a single-head model, "" when the
// model is of that class; for a multi-task model, the name of its first
// task (in name order) whose task_type builds that class, to pass to
// ForTask. ok is false when no task matches.
func (m *Model) TaskOfClass(class string) (name string, ok bool) {
	if m.class != ClassMultiTask {
		return "", m.class == class
	}
	for _, t := range m.tasks {
		if classOfTask[t.kind] == class {
			return t.name, true
		}
	}
	return "", false
}

// Encoder returns the metadata key "encoder" (SPEC.md 8): the path,
// relative to the model file, of the encoder that computes the head's
// vision features; "" when the file names none.
func (m *Model) Encoder() string { return m.encoder }

// Labels returns the metadata key "labels": the names of a classifier's
// classes (a VQA head's answers), in class order; nil when absent.
func (m *Model) Labels() []string { return m.labels }

// Tokenizer returns the metadata key "tokenizer" (SPEC.md 1): the text of a
// tokenizer.json, or a path relative to the model file; "" when absent.
func (m *Model) Tokenizer() string { return m.tokenizer }

// PackedBytes returns the memory the model's weights hold: the packed
// matrices and the vectors and tables copied from the file, and the
// projections arranged when a plan first attends to a memory directly.
func (m *Model) PackedBytes() int { return m.packedBytes + int(m.derived.Load()) }

// WeightBytes returns the size of the weights as float32 values in the file.
func (m *Model) WeightBytes() int { return m.weightBytes }

// Describe returns one line per task summarising its options.
func (m *Model) Describe() []string {
	var lines []string
	for _, t := range m.tasks {
		prefix := m.class
		if t.name != "" {
			prefix = t.name + " (" + t.kind + ")"
		}
		lines = append(lines, prefix+": "+t.head.describe())
	}
	return lines
}

// InputKeys returns the input keys the given task needs ("" for every
// task), sorted.
func (m *Model) InputKeys(taskName string) ([]string, error) {
	tasks, err := m.selectTasks(taskName)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, t := range tasks {
		req, _ := t.head.inputKeys()
		for _, k := range req {
			seen[k] = true
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys, nil
}

func (m *Model) selectTasks(name string) ([]task, error) {
	if name == "" {
		return m.tasks, nil
	}
	for _, t := range m.tasks {
		if t.name == name {
			return []task{t}, nil
		}
	}
	if m.class != ClassMultiTask {
		return nil, fmt.Errorf("heads: %w %q: %s is a single head", ErrUnknownTask, name, m.class)
	}
	return nil, fmt.Errorf("heads: %w %q (have %s)", ErrUnknownTask, name, strings.Join(m.Tasks(), ", "))
}

// Compile builds a plan for inputs of the given shapes, keyed by input name
// ("vision_features", ...). It runs every task of the model unless
// ForTask selects one. Outputs are named by their key, or "<task>.<key>"
// for a multi-task model. How cross-attention layers are computed depends
// on the shapes (and CrossAttentionEnv).
func (m *Model) Compile(shapes map[string][]int, opts ...Option) (*runtime.Plan, error) {
	taskName, err := compileOptions(opts)
	if err != nil {
		return nil, err
	}
	tasks, err := m.selectTasks(taskName)
	if err != nil {
		return nil, err
	}
	b := runtime.NewBuilder()
	inputs := map[string]runtime.Tensor{}
	for _, t := range tasks {
		req, opt := t.head.inputKeys()
		for _, k := range append(append([]string(nil), req...), opt...) {
			if _, done := inputs[k]; done {
				continue
			}
			if shape, ok := shapes[k]; ok {
				inputs[k] = b.Input(k, shape...)
			}
		}
	}
	outs, err := m.Build(b, inputs, opts...)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(outs))
	for k := range outs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.Output(k, outs[k])
	}
	p, err := b.Compile()
	if err != nil {
		return nil, fmt.Errorf("heads: %s: %w", m.class, err)
	}
	return p, nil
}

// Build appends the model's heads to b, reading the given tensors as their
// inputs (keyed by input name, as Compile's shapes are), and returns the
// outputs by the names Compile gives them. It lets a head read what an
// encoder computed earlier in the same plan; the caller marks the outputs
// it wants with b.Output. Options are Compile's.
func (m *Model) Build(b *runtime.Builder, inputs map[string]runtime.Tensor, opts ...Option) (map[string]runtime.Tensor, error) {
	taskName, err := compileOptions(opts)
	if err != nil {
		return nil, err
	}
	if _, err := crossAttentionMode(); err != nil {
		return nil, err
	}
	tasks, err := m.selectTasks(taskName)
	if err != nil {
		return nil, err
	}
	for _, t := range tasks {
		req, _ := t.head.inputKeys()
		for _, k := range req {
			if _, ok := inputs[k]; !ok {
				return nil, fmt.Errorf("heads: %s: %w: missing input %q", m.class, ErrShape, k)
			}
		}
	}
	outputs := map[string]runtime.Tensor{}
	for _, t := range tasks {
		for k, v := range t.head.build(b, inputs) {
			name := k
			if m.class == ClassMultiTask {
				name = t.name + "." + k
			}
			outputs[name] = v
		}
	}
	return outputs, nil
}
