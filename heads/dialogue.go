package heads

import (
	"fmt"

	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/runtime"
)

// dialogueHead is the runtime's VisualDialogueHead (SPEC.md 5.2): a response
// decoder over a context of the projected image, the dialogue history and
// the current utterance, and a ranking of candidate responses.
type dialogueHead struct {
	name          string
	dim, dv, proj int
	visionProj    *kernels.PackedWeights
	contextProj   *kernels.PackedWeights
	candidateProj *kernels.PackedWeights
	temperature   float32
	decoder       *decoder
	generation    *generationWeights
}

func loadDialogue(l *loader, c *config, task taskConfig, name string) *dialogueHead {
	h := &dialogueHead{
		name: name,
		dim:  task.HiddenSize,
		dv:   c.PositiveInt("vision_dim", 768),
		proj: c.PositiveInt("projection_dim", 256),
	}
	cfg := readDecoderConfig(c, h.dim)
	if c.Err() != nil {
		return h
	}
	h.visionProj = l.dense(name+"_vision_proj", h.dv, h.dim, true)
	h.decoder = loadDecoder(l, cfg, name, h.dim, h.dim, task.VocabSize)
	h.contextProj = l.dense(name+"_context_proj", h.dim, h.proj, true)
	h.candidateProj = l.dense(name+"_candidate_proj", h.dim, h.proj, true)
	h.temperature = l.vec(name + "_temperature")[0]
	if h.temperature == 0 && l.err == nil {
		l.fail(fmt.Errorf("%w: %s_temperature is zero", ErrConfig, name))
	}
	h.generation = loadGenerationWeights(l, h.dim, task.VocabSize)
	return h
}

func (h *dialogueHead) inputKeys() (required, optional []string) {
	return []string{"vision_features", "dialogue_history", "current_utterance", "response_features"},
		[]string{"candidate_responses"}
}

func (h *dialogueHead) describe() string {
	cfg := h.decoder.cfg
	return fmt.Sprintf("projection %d, temperature %g; decoder: %d layers, %d heads, hidden %d, vision %d, vocab %d, ffn %s, attention %s",
		h.proj, h.temperature, cfg.layers, cfg.heads, h.dim, h.dv, h.decoder.vocab, ffnName(cfg.swiglu), cfg.attention)
}

// context builds the decoder memory [B, N+T*L+U, D].
func (h *dialogueHead) context(b *runtime.Builder, in map[string]runtime.Tensor) (runtime.Tensor, bool) {
	vision, history, utterance := in["vision_features"], in["dialogue_history"], in["current_utterance"]
	if !checkShape(b, "vision_features", vision, -1, -1, h.dv) {
		return vision, false
	}
	batch := b.Shape(vision)[0]
	hs := b.Shape(history)
	if len(hs) == 4 {
		if !checkShape(b, "dialogue_history", history, batch, -1, -1, h.dim) {
			return vision, false
		}
		history = b.View(history, batch, hs[1]*hs[2], h.dim)
	} else if !checkShape(b, "dialogue_history", history, batch, -1, h.dim) {
		return vision, false
	}
	if !checkShape(b, "current_utterance", utterance, batch, -1, h.dim) {
		return vision, false
	}
	return b.ConcatTokens(b.Dense(vision, h.visionProj, kernels.ActNone), history, utterance), true
}

func (h *dialogueHead) build(b *runtime.Builder, in map[string]runtime.Tensor) map[string]runtime.Tensor {
	context, ok := h.context(b, in)
	if !ok {
		return nil
	}
	batch := b.Shape(context)[0]
	response := in["response_features"]
	if !checkShape(b, "response_features", response, batch, -1, h.dim) {
		return nil
	}
	logits, hidden := h.decoder.build(b, response, context)
	out := map[string]runtime.Tensor{"response_logits": logits, "hidden_states": hidden}
	candidates, ok := in["candidate_responses"]
	if !ok {
		return out
	}
	if !checkShape(b, "candidate_responses", candidates, batch, -1, -1, h.dim) {
		return nil
	}
	cs := b.Shape(candidates)
	c := b.Pool(b.View(candidates, batch*cs[1], cs[2], h.dim), runtime.PoolMean)
	ce := b.L2Normalize(b.Dense(c, h.candidateProj, kernels.ActNone))
	me := b.L2Normalize(b.Dense(b.Pool(context, runtime.PoolMean), h.contextProj, kernels.ActNone))
	scores := b.RowDots(b.View(me, batch, 1, h.proj), b.View(ce, batch, cs[1], h.proj), h.temperature)
	out["candidate_scores"] = b.View(scores, batch, cs[1])
	return out
}

func (h *dialogueHead) memoryKeys() []string {
	return []string{"vision_features", "dialogue_history", "current_utterance"}
}

func (h *dialogueHead) decoderMemory(b *runtime.Builder, in map[string]runtime.Tensor) (runtime.Tensor, bool) {
	return h.context(b, in)
}

func (h *dialogueHead) parts() (*decoder, *generationWeights) { return h.decoder, h.generation }
