package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/vlmrt/vlmrt/encoders"
	"github.com/vlmrt/vlmrt/heads"
	"github.com/vlmrt/vlmrt/parallel"
	"github.com/vlmrt/vlmrt/preprocess"
	"github.com/vlmrt/vlmrt/tokenizer"
)

// HeadFile is the name under which a model directory holds its head
// (SPEC.md 8), beside the encoder's files.
const HeadFile = "head.safetensors"

// Metadata keys of a dl_techniques CLIP file that the pipeline reads
// beside its class and config (runtime extensions, SPEC.md 8).
const (
	// MetaPreprocessor holds the JSON of a preprocessor_config.json.
	MetaPreprocessor = "preprocessor_config"
	// MetaTokenizer holds a tokenizer.json text, or its path relative to
	// the file (as a head's "tokenizer" key).
	MetaTokenizer = "tokenizer"
)

// Errors callers may branch on.
var (
	// ErrNoEncoder is returned by Load for a head file that names no
	// encoder (metadata "encoder") when no WithEncoder option gives one.
	ErrNoEncoder = errors.New("no encoder for the head")
	// ErrNoTask is returned when the model has no head for a task (Ask
	// on a captioning model, Caption on an encoder alone, ...).
	ErrNoTask = errors.New("model has no head for this task")
	// ErrNoTokenizer is returned when a task needs text turned into ids,
	// or ids into text, and the model has no tokenizer for it.
	ErrNoTokenizer = errors.New("model has no tokenizer")
	// ErrNoTower is returned when a task needs a tower (vision, text, or
	// a projection to the shared embedding space) that the encoder lacks.
	ErrNoTower = errors.New("encoder lacks a tower")
)

// An Option adjusts Load.
type Option func(*options)

type options struct {
	pool      *parallel.Pool
	encoder   string
	tokenizer string
	beam      int
	maxLength int
	quantize  *heads.Precision
}

// headOptions and encoderOptions are the load options WithQuantize gives.
func (o *options) headOptions() []heads.LoadOption {
	if o.quantize == nil {
		return nil
	}
	return []heads.LoadOption{heads.Quantize(*o.quantize)}
}

func (o *options) encoderOptions() []encoders.LoadOption {
	if o.quantize == nil {
		return nil
	}
	return []encoders.LoadOption{encoders.Quantize(*o.quantize)}
}

// WithPool runs every plan of the pipeline on pool's workers (default: the
// calling goroutine alone). The pool must outlive the pipeline.
func WithPool(pool *parallel.Pool) Option { return func(o *options) { o.pool = pool } }

// WithEncoder loads the encoder at path (a Hugging Face directory or a
// dl_techniques CLIP file) instead of the one the head's metadata names.
func WithEncoder(path string) Option { return func(o *options) { o.encoder = path } }

// WithTokenizer reads text with the tokenizer.json at path instead of the
// encoder's, and writes captions with it instead of the head's.
func WithTokenizer(path string) Option { return func(o *options) { o.tokenizer = path } }

// WithQuantize packs the products of the encoder and the head at
// precision p: heads.Int8 quantizes their weights at load (see
// heads.Quantize and encoders.Quantize for which layers stay float32),
// heads.Float32 keeps or makes them float32. Without it, float weights stay
// float32 and a head's I8 weights run as int8.
func WithQuantize(p heads.Precision) Option { return func(o *options) { o.quantize = &p } }

// WithBeam sets the beam size of captioning (default: the head's
// generation metadata, or greedy decoding).
func WithBeam(k int) Option { return func(o *options) { o.beam = k } }

// WithMaxLength sets the most tokens a caption has (default: the head's
// generation metadata, or 32).
func WithMaxLength(n int) Option { return func(o *options) { o.maxLength = n } }

// model is the immutable part of a pipeline: what Load read.
type model struct {
	path       string // what Load was given, for errors
	enc        encoder
	encPath    string
	head       *heads.Model // nil for an encoder alone
	textTok    *tokenizer.Tokenizer
	captionTok *tokenizer.Tokenizer
	prep       preprocess.Config
	opts       options
}

// Load reads the model at path with everything its tasks need: a Hugging
// Face model directory (config.json, model.safetensors,
// preprocessor_config.json, tokenizer.json, and optionally the head as
// head.safetensors), a dl_techniques CLIP file, or a head file whose
// metadata "encoder" names one of those, relative to the file. Weights are
// packed for the active kernel level. Errors name the file and the
// problem.
func Load(path string, opts ...Option) (*Pipeline, error) {
	return load(osFiles{}, path, opts)
}

// LoadFS is Load over the files of fsys (an embed.FS, say): name and the
// paths the model's metadata gives are slash-separated paths in fsys.
// WithEncoder and WithTokenizer name files of fsys too.
func LoadFS(fsys fs.FS, name string, opts ...Option) (*Pipeline, error) {
	return load(fsFiles{fsys}, name, opts)
}

func load(src files, path string, opts []Option) (*Pipeline, error) {
	m := &model{path: path}
	for _, o := range opts {
		o(&m.opts)
	}
	isDir, err := src.isDir(path)
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	var headTokenizer string // the head's metadata "tokenizer"
	switch {
	case isDir:
		if err := m.loadEncoder(src, path); err != nil {
			return nil, err
		}
		if hp := src.join(path, HeadFile); src.exists(hp) {
			if m.head, err = loadHead(src, hp, m.opts.headOptions()); err != nil {
				return nil, err
			}
			headTokenizer = resolveText(src, m.head.Tokenizer(), hp)
		}
	default:
		f, err := src.open(path)
		if err != nil {
			return nil, err
		}
		class := f.Metadata()["class_name"]
		f.Close()
		if class == encoders.ClassDLCLIP {
			if err := m.loadEncoder(src, path); err != nil {
				return nil, err
			}
			break
		}
		if m.head, err = loadHead(src, path, m.opts.headOptions()); err != nil {
			return nil, err
		}
		headTokenizer = resolveText(src, m.head.Tokenizer(), path)
		encPath := m.opts.encoder
		if encPath == "" && m.head.Encoder() != "" {
			encPath = src.join(src.dir(path), m.head.Encoder())
		}
		if encPath == "" {
			return nil, fmt.Errorf("pipeline: %s: %w (metadata \"encoder\" is not set)", path, ErrNoEncoder)
		}
		if err := m.loadEncoder(src, encPath); err != nil {
			return nil, err
		}
	}
	if err := m.loadTokenizers(src, headTokenizer); err != nil {
		return nil, err
	}
	p, err := newPipeline(m)
	if err != nil {
		return nil, err
	}
	if err := p.checkHead(); err != nil {
		return nil, err
	}
	return p, nil
}

// loadHead reads the head file at path.
func loadHead(src files, path string, opts []heads.LoadOption) (*heads.Model, error) {
	f, err := src.open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return heads.New(f, opts...)
}

// maxConfigSize bounds the JSON files a model directory holds beside its
// weights (config.json, preprocessor_config.json).
const maxConfigSize = 1 << 20

// loadEncoder reads the encoder at path, its preprocessing and its
// tokenizer; a directory is a Hugging Face model, a file dl_techniques'
// CLIP.
func (m *model) loadEncoder(src files, path string) error {
	m.encPath = path
	isDir, err := src.isDir(path)
	if err != nil {
		return fmt.Errorf("pipeline: encoder: %w", err)
	}
	if isDir {
		return m.loadHFEncoder(src, path)
	}
	f, err := src.open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if class := f.Metadata()["class_name"]; class != encoders.ClassDLCLIP {
		return fmt.Errorf("pipeline: encoder %s: class_name %q, want a Hugging Face model directory or a dl_techniques %q file", path, class, encoders.ClassDLCLIP)
	}
	e, err := encoders.NewDLCLIP(f, m.opts.encoderOptions()...)
	if err != nil {
		return err
	}
	m.enc = dlEncoder{e}
	if m.textTok, err = loadTokenizer(src, resolveText(src, f.Metadata()[MetaTokenizer], path), path); err != nil {
		return err
	}
	size := e.Config().ImageSize
	m.prep = dlDefaultPreprocess(size)
	if text, ok := f.MetadataValue(MetaPreprocessor); ok {
		if m.prep, err = preprocess.ParseConfig([]byte(text)); err != nil {
			return fmt.Errorf("pipeline: %s: metadata %s: %w", path, MetaPreprocessor, err)
		}
	}
	return checkPreprocess(m.prep, path, size)
}

// loadHFEncoder reads a Hugging Face model directory: config.json,
// model.safetensors, and preprocessor_config.json and tokenizer.json when
// present.
func (m *model) loadHFEncoder(src files, dir string) error {
	cfgPath := src.join(dir, encoders.ConfigFile)
	data, err := src.read(cfgPath, maxConfigSize)
	if err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	cfg, err := encoders.ParseHFConfig(data)
	if err != nil {
		return fmt.Errorf("pipeline: %s: %w", cfgPath, err)
	}
	f, err := src.open(src.join(dir, encoders.WeightsFile))
	if err != nil {
		return err
	}
	defer f.Close()
	e, err := encoders.New(cfg, f, m.opts.encoderOptions()...)
	if err != nil {
		return err
	}
	m.enc = hfEncoder{e}
	if p := src.join(dir, encoders.TokenizerFile); src.exists(p) {
		if m.textTok, err = loadTokenizer(src, p, p); err != nil {
			return err
		}
	}
	if !e.HasVision() {
		return nil
	}
	switch p := src.join(dir, encoders.PreprocessorFile); {
	case src.exists(p):
		data, err := src.read(p, maxConfigSize)
		if err != nil {
			return fmt.Errorf("pipeline: %w", err)
		}
		if m.prep, err = preprocess.ParseConfig(data); err != nil {
			return fmt.Errorf("pipeline: %s: %w", p, err)
		}
	case cfg.Family == encoders.SigLIP:
		m.prep = preprocess.SigLIP(cfg.Vision.ImageSize)
	default:
		m.prep = preprocess.CLIP(cfg.Vision.ImageSize)
	}
	return checkPreprocess(m.prep, dir, cfg.Vision.ImageSize)
}

// dlDefaultPreprocess is the preprocessing of a dl_techniques CLIP file
// without preprocessor_config metadata: both sides resized to the model's
// image_size (bicubic) and values rescaled to [0, 1], the input range of
// the Keras model's examples.
func dlDefaultPreprocess(size int) preprocess.Config {
	c := preprocess.SigLIP(size)
	c.DoNormalize = false
	return c
}

// checkPreprocess reports a preprocessing whose output is not the size the
// vision tower reads.
func checkPreprocess(c preprocess.Config, path string, size int) error {
	p, err := preprocess.NewProcessor(c)
	if err != nil {
		return fmt.Errorf("pipeline: %s: %w", path, err)
	}
	if h, w := p.OutputSize(); h != size || w != size {
		return fmt.Errorf("pipeline: %s: preprocessing gives %dx%d images, the vision tower reads %dx%d", path, w, h, size, size)
	}
	return nil
}

// loadTokenizers settles the tokenizer that reads text (the encoder's,
// else the head's) and the one that writes captions (the head's);
// WithTokenizer overrides both.
func (m *model) loadTokenizers(src files, headTokenizer string) error {
	var headTok *tokenizer.Tokenizer
	if m.head != nil {
		var err error
		if headTok, err = loadTokenizer(src, headTokenizer, m.path); err != nil {
			return err
		}
	}
	if m.opts.tokenizer != "" {
		t, err := loadTokenizer(src, m.opts.tokenizer, m.opts.tokenizer)
		if err != nil {
			return err
		}
		m.textTok, headTok = t, t
	}
	if m.textTok == nil {
		m.textTok = headTok
	}
	m.captionTok = headTok
	if m.textTok != nil && m.enc.hasText() {
		// A text longer than the context is cut at its end, keeping the
		// special tokens, as the library's truncation does; the text
		// tower pads it itself.
		m.textTok = m.textTok.WithTruncation(&tokenizer.Truncation{MaxLength: m.enc.maxText()}).WithPadding(nil)
	}
	return nil
}

// resolveText returns a metadata value naming a tokenizer: JSON text as it
// is, a path joined to the directory of the file that holds it.
func resolveText(src files, value, file string) string {
	if value == "" || isJSON(value) {
		return value
	}
	return src.join(src.dir(file), value)
}

func isJSON(value string) bool { return strings.HasPrefix(strings.TrimSpace(value), "{") }

// maxTokenizerSize bounds a tokenizer.json file.
const maxTokenizerSize = 64 << 20

// loadTokenizer reads a tokenizer given as JSON text or a path ("" gives
// nil); source names where the text came from.
func loadTokenizer(src files, value, source string) (*tokenizer.Tokenizer, error) {
	switch {
	case value == "":
		return nil, nil
	case isJSON(value):
		return tokenizer.ParseNamed(source+": metadata tokenizer", []byte(value))
	}
	data, err := src.read(value, maxTokenizerSize)
	if err != nil {
		return nil, fmt.Errorf("pipeline: tokenizer: %w", err)
	}
	return tokenizer.ParseNamed(value, data)
}
