// Package vlmrt is a pure-Go inference runtime for vision-language task
// heads trained in Keras (dl_techniques) or PyTorch and exported as
// safetensors files.
//
// The work is split into packages that data flows through in one direction:
//
//   - weights reads model files (memory-mapped, strictly validated);
//   - heads builds a head from a file's config and packs its weights;
//   - runtime compiles a head, for fixed input shapes, into a plan that runs
//     without allocating;
//   - kernels holds the matrix product, attention, norms and activations,
//     in Go and in assembly for AVX2, AVX-512 and NEON.
//
// This package itself only carries the demo models that "vlmrt demo" runs:
// the reference cases of the real dl_techniques heads and of the NumPy
// reference of the heads dl_techniques lacks.
package vlmrt

import "embed"

// DemoModels holds the reference cases: each file has a head's weights and
// config, inputs named "input.<key>" and the reference outputs named
// "output.<key>". KerasDir holds those of the real dl_techniques heads,
// ReferenceDir those of tools/make_fixtures.py (attention types, dense
// captioning, dialogue, generation).
//
//go:embed testdata/keras/*.safetensors testdata/reference/*.safetensors
var DemoModels embed.FS

// The directories of DemoModels.
const (
	KerasDir     = "testdata/keras"
	ReferenceDir = "testdata/reference"
)

// ShapesModel holds the shapes model that "vlmrt demo" runs (ShapesDir,
// tools/shapes): dl_techniques' CLIP as encoder.safetensors, a
// MultiTaskVLMHead (captioning, VQA, grounding, matching) as
// head.safetensors naming it, their tokenizer.json, and demo images with
// what they show (demo.jsonl).
//
//go:embed models/shapes/encoder.safetensors models/shapes/head.safetensors models/shapes/tokenizer.json models/shapes/demo.jsonl models/shapes/images/*.png
var ShapesModel embed.FS

// ShapesDir is the directory of ShapesModel.
const ShapesDir = "models/shapes"
