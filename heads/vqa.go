package heads

import (
	"fmt"

	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/runtime"
)

// vqaPoolingHeads is the fixed head count of VQAHead's attention pooling.
const vqaPoolingHeads = 8

// vqaHead is dl_techniques' VQAHead (SPEC.md 4.2).
type vqaHead struct {
	dim, dv, dt int
	pooling     string
	pool        *attention // attention pooling: q reads Dv, kv reads Dt
	hidden      []*kernels.PackedWeights
	output      *kernels.PackedWeights
	hiddenDims  []int
	classes     int
}

func loadVQA(l *loader, c *config, task taskConfig) *vqaHead {
	h := &vqaHead{
		dim:        task.HiddenSize,
		dv:         c.PositiveInt("vision_dim", 768),
		dt:         c.PositiveInt("text_dim", 768),
		pooling:    c.String("pooling_strategy", "attention"),
		hiddenDims: c.Ints("hidden_dims", []int{512, 256}),
		classes:    task.NumClasses,
	}
	in := h.dv + h.dt
	switch h.pooling {
	case "attention":
		if h.dim%vqaPoolingHeads != 0 {
			c.fail("hidden_size", "%d is not a multiple of the %d attention-pooling heads", h.dim, vqaPoolingHeads)
		}
		if h.dv != h.dt {
			c.fail("text_dim", "attention pooling reads both inputs with one layer: vision_dim %d != text_dim %d", h.dv, h.dt)
		}
		in = 2 * h.dim
	case "mean", "max":
	default:
		c.fail("pooling_strategy", "unknown pooling %q (want attention, mean or max)", h.pooling)
	}
	if h.classes == 0 {
		c.Object("task_config").fail("num_classes", "VQAHead needs num_classes")
	}
	if c.Err() != nil {
		return h
	}
	if h.pooling == "attention" {
		h.pool = &attention{heads: vqaPoolingHeads, dim: h.dim, derived: l.derived,
			q:    l.dense("attention_pooling/q", h.dv, h.dim, true),
			kv:   l.dense("attention_pooling/kv", h.dt, 2*h.dim, true),
			proj: l.dense("attention_pooling/proj", h.dim, h.dim, true)}
	}
	for k, width := range h.hiddenDims {
		if l.err != nil {
			break
		}
		h.hidden = append(h.hidden, l.dense(fmt.Sprintf("hidden_%d", k), in, width, true))
		in = width
	}
	h.output = l.dense("output_layer", in, h.classes, true)
	return h
}

func (h *vqaHead) inputKeys() (required, optional []string) {
	return []string{"vision_features", "question_features"}, nil
}

func (h *vqaHead) describe() string {
	return fmt.Sprintf("pooling %s, hidden %v, %d classes, vision %d, text %d", h.pooling, h.hiddenDims, h.classes, h.dv, h.dt)
}

func (h *vqaHead) build(b *runtime.Builder, in map[string]runtime.Tensor) map[string]runtime.Tensor {
	vision, question := in["vision_features"], in["question_features"]
	if !checkShape(b, "vision_features", vision, -1, -1, h.dv) ||
		!checkShape(b, "question_features", question, b.Shape(vision)[0], -1, h.dt) {
		return nil
	}
	var v, t runtime.Tensor
	switch h.pooling {
	case "attention":
		v = b.Pool(h.pool.build(b, vision, question, false), runtime.PoolMean)
		t = b.Pool(h.pool.build(b, question, vision, false), runtime.PoolMean)
	case "mean":
		v, t = b.Pool(vision, runtime.PoolMean), b.Pool(question, runtime.PoolMean)
	case "max":
		v, t = b.Pool(vision, runtime.PoolMax), b.Pool(question, runtime.PoolMax)
	}
	x := b.Concat(v, t)
	for _, w := range h.hidden {
		x = b.Dense(x, w, kernels.ActGELU)
	}
	return map[string]runtime.Tensor{"answer_logits": b.Dense(x, h.output, kernels.ActNone)}
}
