// Package pipeline goes from images and text to what a vision-language
// model says about them: captions, answers, boxes, similarities and
// embeddings (SPEC.md section 8). It wires together the image
// preprocessing of package preprocess, the tokenizer, an encoder of package
// encoders and, when the model has one, a task head of package heads.
//
// Load takes the path the command line takes: a Hugging Face model
// directory (an encoder, and the head beside it as head.safetensors), a
// dl_techniques CLIP file, or a head file whose metadata "encoder" names
// its encoder. The head's vision input ("vision_features") is the vision
// tower's last_hidden_state, its text input ("text_features" or
// "question_features") the text tower's last_hidden_state.
//
// Where a task reads one image and one text (Ask, Ground), the encoder's
// towers and the head run as one plan: one Compile, one Run, their buffers
// planned together, and Run allocates nothing. Plans are compiled on first
// use for each text length (the text tower has no padding mask, so a text
// runs at its own length) and kept. Captioning runs the vision tower, then
// the head's generator over its output.
//
// LoadFS reads the same from an fs.FS, so that a program can embed its
// model with package embed.
//
// A Pipeline serialises its calls: it holds the sessions that its plans run
// in. Clone gives another pipeline over the same packed weights, to run
// calls in parallel.
package pipeline
