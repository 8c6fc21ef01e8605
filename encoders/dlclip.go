package encoders

import (
	"fmt"
	"math"

	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/runtime"
	"github.com/vlmrt/vlmrt/weights"
)

// ClassDLCLIP is the class_name of dl_techniques' own CLIP model file
// (dl_techniques.models.clip.CLIP exported as SPEC.md 1 exports a head:
// variable.path names, metadata class_name and config).
const ClassDLCLIP = "CLIP"

// DLCLIPConfig is the get_config() of dl_techniques' CLIP.
type DLCLIPConfig struct {
	Name               string  `json:"name"`
	ImageSize          int     `json:"image_size"`
	PatchSize          int     `json:"patch_size"`
	VisionLayers       int     `json:"vision_layers"`
	VisionWidth        int     `json:"vision_width"`
	VisionHeads        int     `json:"vision_heads"`
	VisionKVHeads      int     `json:"vision_kv_heads"`
	VocabSize          int     `json:"vocab_size"`
	ContextLength      int     `json:"context_length"`
	TextLayers         int     `json:"text_layers"`
	TextWidth          int     `json:"text_width"`
	TextHeads          int     `json:"text_heads"`
	TextKVHeads        int     `json:"text_kv_heads"`
	EmbedDim           int     `json:"embed_dim"`
	FFNExpansionFactor float64 `json:"ffn_expansion_factor"`
	FFNMultipleOf      int     `json:"ffn_multiple_of"`
}

// dlDefaults are CLIP.__init__'s defaults.
var dlDefaults = DLCLIPConfig{Name: "clip", ImageSize: 224, PatchSize: 16, VisionLayers: 12, VisionWidth: 768,
	VisionHeads: 12, VisionKVHeads: 4, VocabSize: 49408, ContextLength: 77, TextLayers: 12, TextWidth: 512,
	TextHeads: 8, TextKVHeads: 8, EmbedDim: 512, FFNExpansionFactor: 4, FFNMultipleOf: 256}

// dlRMSEps is the epsilon of the RMSNorm layers CLIP builds.
const dlRMSEps = 1e-6

// swigluHidden is dl_techniques' SwiGLU width rule: 2/3 of width*factor,
// rounded up to a multiple.
func (c *DLCLIPConfig) swigluHidden(width int) int {
	h := int(float64(width) * c.FFNExpansionFactor * 2 / 3)
	m := c.FFNMultipleOf
	return m * ((h + m - 1) / m)
}

func parseDLConfig(text string) (DLCLIPConfig, error) {
	c := dlDefaults
	if err := strictJSON([]byte(text), &c); err != nil {
		return c, fmt.Errorf("%w: config: %v", ErrConfig, err)
	}
	for _, t := range []struct {
		name             string
		layers, w, h, kv int
	}{{"vision", c.VisionLayers, c.VisionWidth, c.VisionHeads, c.VisionKVHeads},
		{"text", c.TextLayers, c.TextWidth, c.TextHeads, c.TextKVHeads}} {
		for _, v := range []int{t.layers, t.w, t.h, t.kv} {
			if v < 1 || v > maxDim {
				return c, fmt.Errorf("%w: config: %s sizes %d layers, width %d, %d heads, %d kv heads", ErrConfig, t.name, t.layers, t.w, t.h, t.kv)
			}
		}
		if t.w%t.h != 0 || t.h%t.kv != 0 {
			return c, fmt.Errorf("%w: config: %s_width %d, %s_heads %d and %s_kv_heads %d do not divide", ErrConfig, t.name, t.w, t.name, t.h, t.name, t.kv)
		}
	}
	for _, v := range []int{c.ImageSize, c.PatchSize, c.VocabSize, c.ContextLength, c.EmbedDim, c.FFNMultipleOf} {
		if v < 1 || v > maxDim {
			return c, fmt.Errorf("%w: config: a size of %d", ErrConfig, v)
		}
	}
	if c.PatchSize > c.ImageSize || !(c.FFNExpansionFactor > 0 && c.FFNExpansionFactor < 64) {
		return c, fmt.Errorf("%w: config: patch_size %d, image_size %d, ffn_expansion_factor %g", ErrConfig, c.PatchSize, c.ImageSize, c.FFNExpansionFactor)
	}
	return c, nil
}

// dlLayer is dl_techniques' TransformerLayer as CLIP builds it: pre-norm
// RMSNorm, grouped-query attention with biases and rotary positions,
// SwiGLU without biases.
type dlLayer struct {
	attnNorm, outNorm runtime.Norm
	qkv, o            *kernels.PackedWeights
	cos, sin          []float32 // [rows, half]
	half              int
	gate, up, down    *kernels.PackedWeights
}

// dlTower is one tower of dl_techniques' CLIP.
type dlTower struct {
	width, heads, kv int
	layers           []dlLayer
	proj             *kernels.PackedWeights
	class            []float32 // vision
	patch            *kernels.PackedWeights
	patchSize        int
	table            []float32 // text
	vocab, context   int
	imageSize        int
}

// keras reads Keras variable paths ([in, out] kernels) under a prefix.
type keras struct {
	*loader
	prefix string
}

func (k keras) dense(names []string, in int, outs []int, bias bool) *kernels.PackedWeights {
	n := 0
	for _, o := range outs {
		n += o
	}
	parts := make([][]float32, len(names))
	var b []float32
	for i, name := range names {
		parts[i] = k.read(k.prefix+name+"/kernel", in, outs[i])
		if bias {
			b = append(b, k.read(k.prefix+name+"/bias", outs[i])...)
		}
	}
	if k.err != nil {
		p, _ := kernels.PackKN(nil, 0, 0, nil)
		return p
	}
	w := make([]float32, 0, in*n)
	for r := range in {
		for i, part := range parts {
			w = append(w, part[r*outs[i]:(r+1)*outs[i]]...)
		}
	}
	p, err := kernels.PackKNAs(k.precision, w, in, n, b)
	if err != nil {
		k.fail(fmt.Errorf("%s: %s: %w", k.f.Name(), names[0], err))
		p, _ = kernels.PackKN(nil, 0, 0, nil)
	}
	for _, name := range names {
		k.f.Release(k.prefix + name + "/kernel")
	}
	k.packed += p.Bytes()
	return p
}

func loadDLLayers(k keras, name string, c *DLCLIPConfig, layers, width, heads, kv int) []dlLayer {
	dh := width / heads
	half := (dh - dh%2) / 2
	f := c.swigluHidden(width)
	out := make([]dlLayer, layers)
	for i := range out {
		p := fmt.Sprintf("%s_%d/", name, i)
		a := keras{k.loader, k.prefix + p + "attention/"}
		l := dlLayer{
			attnNorm: runtime.Norm{Gamma: k.vec(k.prefix+p+"attention_norm/scale", width), Eps: dlRMSEps},
			outNorm:  runtime.Norm{Gamma: k.vec(k.prefix+p+"output_norm/scale", width), Eps: dlRMSEps},
			qkv:      a.dense([]string{"w_q", "w_k", "w_v"}, width, []int{width, kv * dh, kv * dh}, true),
			o:        a.dense([]string{"w_o"}, width, []int{width}, true),
			half:     half,
		}
		// The rotary tables are weights of the file (the layer's
		// cos_cached and sin_cached): only the first context rows are kept.
		rows := 0
		if info, ok := k.f.Info(a.prefix + "rope/cos_cached"); ok && len(info.Shape) == 2 {
			rows = info.Shape[0]
		}
		l.cos = k.vec(a.prefix+"rope/cos_cached", rows, half)
		l.sin = k.vec(a.prefix+"rope/sin_cached", rows, half)
		fk := keras{k.loader, k.prefix + p + "ffn/"}
		l.gate = fk.dense([]string{"gate_proj"}, width, []int{f}, false)
		l.up = fk.dense([]string{"up_proj"}, width, []int{f}, false)
		l.down = fk.dense([]string{"down_proj"}, f, []int{width}, false)
		out[i] = l
		if k.err != nil {
			break
		}
	}
	return out
}

// build appends the layers for x [B, S, width].
func (t *dlTower) buildLayers(b *runtime.Builder, x runtime.Tensor) runtime.Tensor {
	dh := t.width / t.heads
	spec := runtime.AttentionSpec{Heads: t.heads, HeadDim: dh}
	h := b.Normalize(t.layers[0].attnNorm, x, nil)
	for i := range t.layers {
		l := &t.layers[i]
		qkv := b.Dense(h, l.qkv, kernels.ActNone)
		qkv = b.Rotate(qkv, 0, t.heads, dh, l.cos, l.sin, l.half)
		qkv = b.Rotate(qkv, t.width, t.kv, dh, l.cos, l.sin, l.half)
		k, v := runtime.Operand{T: qkv, Col: t.width}, runtime.Operand{T: qkv, Col: t.width + t.kv*dh}
		if t.kv != t.heads {
			k = runtime.Operand{T: b.RepeatHeads(qkv, t.width, t.kv, t.heads, dh)}
			v = runtime.Operand{T: b.RepeatHeads(qkv, t.width+t.kv*dh, t.kv, t.heads, dh)}
		}
		a := b.Attend(spec, runtime.Operand{T: qkv}, k, v)
		x, h = b.AddNormalize(l.outNorm, x, b.Dense(a, l.o, kernels.ActNone))
		g := b.Dense(h, l.gate, kernels.ActSiLU)
		f := b.Dense(b.Binary(runtime.OpMul, g, b.Dense(h, l.up, kernels.ActNone)), l.down, kernels.ActNone)
		if i+1 < len(t.layers) {
			x, h = b.AddNormalize(t.layers[i+1].attnNorm, x, f)
		} else {
			x = b.Binary(runtime.OpAdd, x, f)
		}
	}
	return x
}

// DLCLIP is dl_techniques' own CLIP model: a vision tower over
// channels-last images [B, S, S, 3] and a text tower over token ids
// [B, T], each ending in an L2-normalised projection.
type DLCLIP struct {
	name         string
	cfg          DLCLIPConfig
	vision, text *dlTower
	logitScale   float32
	packedBytes  int
}

// LoadDLCLIP reads a dl_techniques CLIP file (class_name "CLIP"). Errors
// name the file and the tensor or key.
func LoadDLCLIP(path string, opts ...LoadOption) (*DLCLIP, error) {
	f, err := weights.Open(path)
	if err != nil {
		return nil, fmt.Errorf("encoders: %w", err)
	}
	defer f.Close()
	return NewDLCLIP(f, opts...)
}

// NewDLCLIP builds dl_techniques' CLIP from f; f may be closed afterwards.
func NewDLCLIP(f *weights.File, opts ...LoadOption) (*DLCLIP, error) {
	md := f.Metadata()
	if md["class_name"] != ClassDLCLIP {
		return nil, fmt.Errorf("encoders: %s: class_name %q, want %q", f.Name(), md["class_name"], ClassDLCLIP)
	}
	cfg, err := parseDLConfig(md["config"])
	if err != nil {
		return nil, fmt.Errorf("encoders: %s: %w", f.Name(), err)
	}
	l := newLoader(f, opts)
	k := keras{l, cfg.Name + "/"}
	m := &DLCLIP{name: f.Name(), cfg: cfg}
	p, d := cfg.PatchSize, cfg.VisionWidth
	v := &dlTower{width: d, heads: cfg.VisionHeads, kv: cfg.VisionKVHeads, patchSize: p, imageSize: cfg.ImageSize}
	v.class = l.vec(k.prefix+"class_token", 1, 1, d)
	patch := l.read(k.prefix+"patch_conv/kernel", p, p, 3, d)
	v.patch = l.packKN(patch, p*p*3, d, k.prefix+"patch_conv/kernel")
	v.layers = loadDLLayers(k, "vision_transformer", &cfg, cfg.VisionLayers, d, cfg.VisionHeads, cfg.VisionKVHeads)
	v.proj = k.dense([]string{"vision_projection"}, d, []int{cfg.EmbedDim}, false)
	t := &dlTower{width: cfg.TextWidth, heads: cfg.TextHeads, kv: cfg.TextKVHeads, vocab: cfg.VocabSize, context: cfg.ContextLength}
	t.table = l.vec(k.prefix+"token_embedding/embeddings", cfg.VocabSize, cfg.TextWidth)
	t.layers = loadDLLayers(k, "text_transformer", &cfg, cfg.TextLayers, cfg.TextWidth, cfg.TextHeads, cfg.TextKVHeads)
	t.proj = k.dense([]string{"text_projection"}, cfg.TextWidth, []int{cfg.EmbedDim}, false)
	scale := l.read(k.prefix + "logit_scale")
	if l.err != nil {
		return nil, fmt.Errorf("encoders: %w", l.err)
	}
	m.vision, m.text = v, t
	m.logitScale = float32(math.Exp(float64(scale[0])))
	for _, ly := range append(append([]dlLayer(nil), v.layers...), t.layers...) {
		if len(ly.cos)/ly.half < max(v.tokens(), cfg.ContextLength) {
			return nil, fmt.Errorf("encoders: %s: rope tables of %d rows for %d positions", f.Name(), len(ly.cos)/ly.half, max(v.tokens(), cfg.ContextLength))
		}
	}
	m.packedBytes = l.packed
	return m, nil
}

func (t *dlTower) tokens() int {
	g := t.imageSize / max(t.patchSize, 1)
	return g*g + 1
}

// packKN packs a Keras kernel [k, n] with no bias.
func (l *loader) packKN(w []float32, k, n int, name string) *kernels.PackedWeights {
	if l.err != nil {
		w, k, n = nil, 0, 0
	}
	p, err := kernels.PackKN(w, k, n, nil)
	if err != nil {
		l.fail(fmt.Errorf("%s: %s: %w", l.f.Name(), name, err))
		p, _ = kernels.PackKN(nil, 0, 0, nil)
	}
	l.f.Release(name)
	l.packed += p.Bytes()
	return p
}

// Config returns the model's get_config().
func (m *DLCLIP) Config() DLCLIPConfig { return m.cfg }

// LogitScale returns exp(logit_scale).
func (m *DLCLIP) LogitScale() float32 { return m.logitScale }

// PackedBytes returns the memory of the packed weights.
func (m *DLCLIP) PackedBytes() int { return m.packedBytes }

// BuildVision appends the vision tower for images [B, S, S, 3]
// (channels last, as the Keras model reads them) and returns
// OutputHidden (the tokens after the last layer, no final norm) and
// OutputImageEmbed (the class token projected and L2-normalised: CLIP's
// image_features).
func (m *DLCLIP) BuildVision(b *runtime.Builder, images runtime.Tensor) (map[string]runtime.Tensor, error) {
	v := m.vision
	s := b.Shape(images)
	if len(s) != 4 || s[1] != v.imageSize || s[2] != v.imageSize || s[3] != 3 {
		return nil, fmt.Errorf("encoders: %s: %w: images %v, want [B, %d, %d, 3]", m.name, ErrShape, s, v.imageSize, v.imageSize)
	}
	x := b.PrependRow(v.class, b.Dense(b.PatchesNHWC(images, v.patchSize), v.patch, kernels.ActNone))
	x = v.buildLayers(b, x)
	e := b.L2Normalize(b.Dense(b.Token(x, 0), v.proj, kernels.ActNone))
	return map[string]runtime.Tensor{OutputHidden: x, OutputImageEmbed: e}, nil
}

// BuildText appends the text tower for ids [B, T] (right-padded with id
// 0, no mask: every position attends to every other, pads included, as
// the Keras model computes) and returns OutputHidden and OutputTextEmbed
// (the last non-pad token projected and L2-normalised).
func (m *DLCLIP) BuildText(b *runtime.Builder, ids runtime.Tensor) (map[string]runtime.Tensor, error) {
	t := m.text
	s := b.Shape(ids)
	if len(s) != 2 || s[1] < 1 || s[1] > t.context {
		return nil, fmt.Errorf("encoders: %s: %w: ids %v, want [B, T] with T in [1, %d]", m.name, ErrShape, s, t.context)
	}
	x := t.buildLayers(b, b.Embed(ids, t.table, t.width))
	e := b.L2Normalize(b.Dense(b.TokenLastReal(x, ids, 0), t.proj, kernels.ActNone))
	return map[string]runtime.Tensor{OutputHidden: x, OutputTextEmbed: e}, nil
}
