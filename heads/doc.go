// Package heads builds the vision-language task heads of dl_techniques from
// a model file (SPEC.md sections 3-5) and text generation on top of their
// decoder (section 6).
//
// Load (or New, for an open weights.File) reads the file's class_name and
// config, fills every missing key with the reference's default, checks the
// config, reads every weight under its Keras path and packs the matrices
// for the active kernel level. The model keeps only packed copies: the
// file's pages are released tensor by tensor and the file is closed.
//
// A Model compiles, for fixed input shapes, into a runtime.Plan; a plan is
// shared by any number of goroutines, each running its own runtime.Session.
// The heads: ImageCaptioningHead, VQAHead, VisualGroundingHead,
// ImageTextMatchingHead, MultiTaskVLMHead, and the runtime's
// DenseCaptioningHead and VisualDialogueHead. The decoder heads take
// attention_type multi_head, flash, sparse or differential.
//
// A cross-attention layer whose queries are few against its memory (16
// caption tokens against 197 vision tokens) does not project the memory to
// keys and values: Compile has it attend to the memory directly
// (runtime.AttendMemory), which gives the same result within float32
// rounding for about a third of the work. The choice is made per layer by
// counting multiply-adds for the compiled shapes; CrossAttentionEnv forces
// either way.
//
// Generation (Model.NewGenerator) decodes with cached keys and values:
// greedy, sampling or beam search from package generate.
//
// Errors about the configuration wrap ErrConfig, about input shapes
// ErrShape; errors about the file itself come from package weights.
package heads
