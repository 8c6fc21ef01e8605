package encoders

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/vlmrt/vlmrt/runtime"
	"github.com/vlmrt/vlmrt/weights"
)

// ErrShape is wrapped by errors about the shapes or values of an encoder's
// inputs.
var ErrShape = errors.New("encoder input mismatch")

// ErrNoTower is wrapped by the error of a call that needs a tower (vision
// or text) the model lacks.
var ErrNoTower = errors.New("encoder has no such tower")

// Model is an encoder loaded from a Hugging Face model directory: its
// configuration, its towers with their weights packed for the active kernel
// level, and the paths of the files beside the weights that preprocessing
// and tokenisation read. It holds no reference to the weights file and is
// safe for concurrent use.
type Model struct {
	name         string // the path it was loaded from
	cfg          Config
	vision       *visionTower
	text         *textTower
	preprocessor string // preprocessor_config.json, or ""
	tokenizer    string // tokenizer.json, or ""
	logitScale   float32
	packedBytes  int
}

// Files of a Hugging Face model directory.
const (
	ConfigFile       = "config.json"
	WeightsFile      = "model.safetensors"
	PreprocessorFile = "preprocessor_config.json"
	TokenizerFile    = "tokenizer.json"
)

// maxConfigSize bounds config.json.
const maxConfigSize = 1 << 20

// Load reads the Hugging Face model directory dir (config.json and
// model.safetensors, as transformers saves them) and packs its weights.
// Errors name the file and the tensor or key.
func Load(dir string, opts ...LoadOption) (*Model, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("encoders: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("encoders: %s: %w: want a Hugging Face model directory holding %s and %s",
			dir, ErrNoTower, ConfigFile, WeightsFile)
	}
	cfgPath := filepath.Join(dir, ConfigFile)
	data, err := readLimited(cfgPath, maxConfigSize)
	if err != nil {
		return nil, fmt.Errorf("encoders: %w", err)
	}
	cfg, err := ParseHFConfig(data)
	if err != nil {
		return nil, fmt.Errorf("encoders: %s: %w", cfgPath, err)
	}
	f, err := weights.Open(filepath.Join(dir, WeightsFile))
	if err != nil {
		return nil, fmt.Errorf("encoders: %w", err)
	}
	defer f.Close()
	m, err := New(cfg, f, opts...)
	if err != nil {
		return nil, err
	}
	m.name = dir
	if p := filepath.Join(dir, PreprocessorFile); exists(p) {
		m.preprocessor = p
	}
	if p := filepath.Join(dir, TokenizerFile); exists(p) {
		m.tokenizer = p
	}
	return m, nil
}

// New builds the towers that cfg describes from f's tensors, named as a
// transformers state_dict names them. f may be closed afterwards.
func New(cfg Config, f *weights.File, opts ...LoadOption) (*Model, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("encoders: %s: %w", f.Name(), err)
	}
	l := newLoader(f, opts)
	m := &Model{name: f.Name(), cfg: cfg}
	if cfg.Vision != nil && f.Has("vision_model.embeddings.patch_embedding.weight") {
		m.vision = loadVision(l, cfg.Family, cfg.Vision, cfg.Projection)
	}
	if cfg.Text != nil && f.Has("text_model.embeddings.token_embedding.weight") {
		m.text = loadText(l, cfg.Text, cfg.Projection)
	}
	m.logitScale = defaultLogitScale
	if f.Has("logit_scale") {
		if v := l.read("logit_scale"); v != nil {
			m.logitScale = float32(math.Exp(float64(v[0])))
		}
	}
	if l.err != nil {
		return nil, fmt.Errorf("encoders: %w", l.err)
	}
	if m.vision == nil && m.text == nil {
		return nil, fmt.Errorf("encoders: %s: %w: no vision_model.* or text_model.* embeddings", f.Name(), ErrNoTower)
	}
	m.packedBytes = l.packed
	return m, nil
}

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%s: %d bytes, more than %d", path, st.Size(), limit)
	}
	data := make([]byte, st.Size())
	if _, err := f.ReadAt(data, 0); err != nil && st.Size() > 0 {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist) && err == nil
}

// defaultLogitScale is the scale of CLIP's trained models, exp(4.6052),
// for files that do not hold logit_scale.
const defaultLogitScale = 100

// LogitScale returns exp(logit_scale), the factor CLIPModel multiplies the
// cosine similarities of image and text embeddings by before a softmax
// (100 when the file holds no logit_scale).
func (m *Model) LogitScale() float32 { return m.logitScale }

// Config returns the model's configuration.
func (m *Model) Config() Config { return m.cfg }

// HasVision and HasText report which towers the model holds.
func (m *Model) HasVision() bool { return m.vision != nil }

// HasText reports whether the model holds a text tower.
func (m *Model) HasText() bool { return m.text != nil }

// PreprocessorConfig returns the path of the directory's
// preprocessor_config.json, or "" when it has none.
func (m *Model) PreprocessorConfig() string { return m.preprocessor }

// Tokenizer returns the path of the directory's tokenizer.json, or "".
func (m *Model) Tokenizer() string { return m.tokenizer }

// PackedBytes returns the memory the model's packed weights take.
func (m *Model) PackedBytes() int { return m.packedBytes }

// BuildVision appends the vision tower to b for pixels [B, C, H, W] and
// returns its outputs by name (OutputHidden, OutputPooled and, when the
// file has the projection, OutputImageEmbed), so that a head can read them
// inside the same plan.
func (m *Model) BuildVision(b *runtime.Builder, pixels runtime.Tensor) (map[string]runtime.Tensor, error) {
	if m.vision == nil {
		return nil, fmt.Errorf("encoders: %s: %w: vision", m.name, ErrNoTower)
	}
	out, err := m.vision.build(b, pixels)
	if err != nil {
		return nil, fmt.Errorf("encoders: %s: %w", m.name, err)
	}
	return out, nil
}

// BuildText appends the text tower to b for ids [B, T] and returns its
// outputs by name (OutputHidden, OutputPooled and, when the file has the
// projection, OutputTextEmbed).
func (m *Model) BuildText(b *runtime.Builder, ids runtime.Tensor) (map[string]runtime.Tensor, error) {
	if m.text == nil {
		return nil, fmt.Errorf("encoders: %s: %w: text", m.name, ErrNoTower)
	}
	out, err := m.text.build(b, ids)
	if err != nil {
		return nil, fmt.Errorf("encoders: %s: %w", m.name, err)
	}
	return out, nil
}

// CompileVision builds a plan that encodes batch images: input
// InputPixels [batch, C, S, S] (S the config's image_size), outputs as
// BuildVision names them.
func (m *Model) CompileVision(batch int) (*runtime.Plan, error) {
	if m.vision == nil {
		return nil, fmt.Errorf("encoders: %s: %w: vision", m.name, ErrNoTower)
	}
	c := m.vision.cfg
	return m.compile(func(b *runtime.Builder) (map[string]runtime.Tensor, error) {
		return m.BuildVision(b, b.Input(InputPixels, batch, c.Channels, c.ImageSize, c.ImageSize))
	}, batch)
}

// CompileText builds a plan that encodes batch sequences of length token
// ids: input InputIDs [batch, length] (ids as float32 values; see
// CheckIDs), outputs as BuildText names them.
func (m *Model) CompileText(batch, length int) (*runtime.Plan, error) {
	return m.compile(func(b *runtime.Builder) (map[string]runtime.Tensor, error) {
		return m.BuildText(b, b.Input(InputIDs, batch, length))
	}, batch)
}

// maxBatch bounds the batch of a compiled plan.
const maxBatch = 1 << 16

func (m *Model) compile(build func(*runtime.Builder) (map[string]runtime.Tensor, error), batch int) (*runtime.Plan, error) {
	if batch < 1 || batch > maxBatch {
		return nil, fmt.Errorf("encoders: %s: %w: batch %d", m.name, ErrShape, batch)
	}
	b := runtime.NewBuilder()
	out, err := build(b)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(out))
	for k := range out {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		b.Output(k, out[k])
	}
	p, err := b.Compile()
	if err != nil {
		return nil, fmt.Errorf("encoders: %s: %w", m.name, err)
	}
	return p, nil
}

// CheckIDs reports the first of ids (a filled InputIDs slice) that is not
// a token id of the text tower's vocabulary; the plan would embed such an
// id as zeros.
func (m *Model) CheckIDs(ids []float32) error {
	if m.text == nil {
		return fmt.Errorf("encoders: %s: %w: text", m.name, ErrNoTower)
	}
	return m.text.checkIDs(ids)
}

// Towers lists the towers the model holds ("vision", "text").
func (m *Model) Towers() []string {
	var t []string
	if m.vision != nil {
		t = append(t, "vision")
	}
	if m.text != nil {
		t = append(t, "text")
	}
	return slices.Clip(t)
}
