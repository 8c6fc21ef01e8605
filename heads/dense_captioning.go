package heads

import (
	"fmt"

	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/runtime"
)

// denseCaptioningHead is the runtime's DenseCaptioningHead (SPEC.md 5.1):
// the K most object-like vision tokens become regions, and each region is
// captioned by the decoder of 4.1 against the vision memory with a region
// token prepended.
//
// The K region passes of an image run as one batch of B*K sequences. What
// the math lets them share is computed once per image: every layer's
// keys and values of the vision memory (only the region token's row
// differs between regions).
type denseCaptioningHead struct {
	name       string
	dim, dv    int
	regions    int
	objectness *kernels.PackedWeights
	box        *kernels.PackedWeights
	regionProj *kernels.PackedWeights
	decoder    *decoder
	generation *generationWeights
}

func loadDenseCaptioning(l *loader, c *config, task taskConfig, name string) *denseCaptioningHead {
	h := &denseCaptioningHead{
		name:    name,
		dim:     task.HiddenSize,
		dv:      c.PositiveInt("vision_dim", 768),
		regions: c.PositiveInt("num_regions", 10),
	}
	cfg := readDecoderConfig(c, h.dim)
	if c.Err() != nil {
		return h
	}
	h.objectness = l.dense(name+"_objectness", h.dv, 1, true)
	h.box = l.dense(name+"_box", h.dv, 4, true)
	h.regionProj = l.dense(name+"_region_proj", h.dv, h.dv, true)
	h.decoder = loadDecoder(l, cfg, name, h.dim, h.dv, task.VocabSize)
	h.generation = loadGenerationWeights(l, h.dim, task.VocabSize)
	return h
}

func (h *denseCaptioningHead) inputKeys() (required, optional []string) {
	return []string{"vision_features", "text_features"}, nil
}

func (h *denseCaptioningHead) describe() string {
	cfg := h.decoder.cfg
	return fmt.Sprintf("%d regions; decoder: %d layers, %d heads, hidden %d, vision %d, vocab %d, ffn %s, attention %s",
		h.regions, cfg.layers, cfg.heads, h.dim, h.dv, h.decoder.vocab, ffnName(cfg.swiglu), cfg.attention)
}

// regionMemory selects the regions of vision [B, N, Dv] and returns their
// scores [B, K], boxes [B, K, 4] and every decoder layer's cross-attention
// keys and values of the K region memories, [B*K, 1+N, *].
func (h *denseCaptioningHead) regionMemory(b *runtime.Builder, vision runtime.Tensor) (scores, boxes runtime.Tensor, kvs []runtime.Tensor) {
	shape := b.Shape(vision)
	batch, n := shape[0], shape[1]
	objectness := b.View(b.Dense(vision, h.objectness, kernels.ActSigmoid), batch, n)
	scores, idx := b.TopK(objectness, h.regions)
	selected := b.Gather(vision, idx)
	boxes = b.Dense(selected, h.box, kernels.ActSigmoid)
	tokens := b.Dense(selected, h.regionProj, kernels.ActNone)
	for _, layer := range h.decoder.layers {
		kvs = append(kvs, b.PrependRows(layer.cross.memoryKV(b, tokens), layer.cross.memoryKV(b, vision)))
	}
	return scores, boxes, kvs
}

func (h *denseCaptioningHead) build(b *runtime.Builder, in map[string]runtime.Tensor) map[string]runtime.Tensor {
	vision, text := in["vision_features"], in["text_features"]
	if !checkShape(b, "vision_features", vision, -1, -1, h.dv) {
		return nil
	}
	batch, n, k := b.Shape(vision)[0], b.Shape(vision)[1], h.regions
	if k > n {
		b.Fail(fmt.Errorf("%w: num_regions %d exceeds the %d vision tokens", ErrShape, k, n))
		return nil
	}
	var prefix runtime.Tensor
	switch ts := b.Shape(text); len(ts) {
	case 3: // one prefix for every region
		if !checkShape(b, "text_features", text, batch, -1, h.dim) {
			return nil
		}
		prefix = b.View(b.Repeat(b.View(text, batch, ts[1]*ts[2]), k), batch*k, ts[1], ts[2])
	default: // one prefix per region
		if !checkShape(b, "text_features", text, batch, k, -1, h.dim) {
			return nil
		}
		prefix = b.View(text, batch*k, ts[2], ts[3])
	}
	scores, boxes, kvs := h.regionMemory(b, vision)
	logits, _ := h.decoder.buildKV(b, prefix, kvs)
	s := b.Shape(prefix)[1]
	return map[string]runtime.Tensor{
		"region_scores":  scores,
		"region_bboxes":  boxes,
		"caption_logits": b.View(logits, batch, k, s, h.decoder.vocab),
	}
}

func (h *denseCaptioningHead) memoryKeys() []string { return []string{"vision_features"} }

// decoderMemory returns the K region memories of every image, [B*K, 1+N, Dv].
func (h *denseCaptioningHead) decoderMemory(b *runtime.Builder, in map[string]runtime.Tensor) (runtime.Tensor, bool) {
	vision := in["vision_features"]
	if !checkShape(b, "vision_features", vision, -1, -1, h.dv) {
		return vision, false
	}
	shape := b.Shape(vision)
	objectness := b.View(b.Dense(vision, h.objectness, kernels.ActSigmoid), shape[0], shape[1])
	_, idx := b.TopK(objectness, h.regions)
	tokens := b.Dense(b.Gather(vision, idx), h.regionProj, kernels.ActNone)
	return b.PrependRows(tokens, vision), true
}

func (h *denseCaptioningHead) parts() (*decoder, *generationWeights) { return h.decoder, h.generation }
