// Package encoders runs the vision and text encoders that feed the task
// heads (SPEC.md section 8): Hugging Face CLIP (CLIPModel,
// CLIPVisionModel, CLIPTextModel) and SigLIP vision towers, loaded from a
// model directory as transformers saves it (config.json and
// model.safetensors, tensor names as state_dict gives them), with no
// conversion step.
//
// A vision tower is a ViT: the image is unfolded into patches and the patch
// embedding is one packed matrix product over them (the convolution of
// stride P), then the class token (CLIP), position embeddings, pre-norm
// transformer layers with fused attention, and the family's pooling (CLIP:
// post_layernorm of the class token; SigLIP: post_layernorm of every token
// and an attention-pooling head). The text tower is CLIP's causal
// transformer pooled at its end-of-text token. Outputs carry the names the
// Hugging Face models return them under (last_hidden_state, pooler_output,
// image_embeds, text_embeds).
//
// Model.CompileVision and Model.CompileText build plans for fixed batch
// sizes; BuildVision and BuildText append a tower to a runtime.Builder so
// that a head can read its output inside one plan.
package encoders
