package pipeline_test

import (
	"fmt"
	"image"
	"log"

	"github.com/vlmrt/vlmrt/pipeline"
	"github.com/vlmrt/vlmrt/preprocess"
)

// The examples run the end-to-end fixtures of testdata/pipeline: a 48-wide
// CLIP with random weights and heads that name it as their encoder, so
// their answers are arbitrary but fixed.

// Load a VQA head whose metadata names its encoder, and ask a question
// about a photo: the image and the question are encoded and the head run in
// one plan.
func ExamplePipeline_Ask() {
	p, err := pipeline.Load("../testdata/pipeline/vqa.safetensors")
	if err != nil {
		log.Fatal(err)
	}
	img, err := preprocess.DecodeFile("../testdata/pipeline/photo.png")
	if err != nil {
		log.Fatal(err)
	}
	answer, err := p.Ask(img, "What color is the disc?")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(answer.Label)
	// Output: sky
}

// Ground a phrase: the head's box is mapped back to the photo's pixels
// through the resize and the crop of preprocessing.
func ExamplePipeline_Ground() {
	p, err := pipeline.Load("../testdata/pipeline/ground.safetensors")
	if err != nil {
		log.Fatal(err)
	}
	img, err := preprocess.DecodeFile("../testdata/pipeline/photo.png")
	if err != nil {
		log.Fatal(err)
	}
	box, err := p.Ground(img, "the green disc")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("x %.0f to %.0f, y %.0f to %.0f of %v\n", box.X0, box.X1, box.Y0, box.Y1, img.Bounds().Size())
	// Output: x 15 to 20, y 38 to 31 of (61,43)
}

// Caption an image: the vision tower's output is the decoder's memory.
// This head has no tokenizer, so its tokens are shown; Caption gives text
// when the model file has one.
func ExamplePipeline_CaptionTokens() {
	p, err := pipeline.Load("../testdata/pipeline/caption.safetensors", pipeline.WithBeam(1))
	if err != nil {
		log.Fatal(err)
	}
	img, err := preprocess.DecodeFile("../testdata/pipeline/photo.png")
	if err != nil {
		log.Fatal(err)
	}
	tokens, err := p.CaptionTokens(img)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tokens)
	// Output: [30 21 30 30 30 30 30 21]
}

// Zero-shot matching with a CLIP encoder alone: the cosine similarity of
// the projected embeddings, and a softmax over the texts.
func ExamplePipeline_Match() {
	p, err := pipeline.Load("../testdata/pipeline/clip48")
	if err != nil {
		log.Fatal(err)
	}
	img, err := preprocess.DecodeFile("../testdata/pipeline/photo.png")
	if err != nil {
		log.Fatal(err)
	}
	texts := []string{"a green disc", "stripes", "a red square"}
	sim, err := p.Match([]image.Image{img}, texts)
	if err != nil {
		log.Fatal(err)
	}
	best := sim.Best(0)
	fmt.Printf("%s (cosine %.2f)\n", texts[best], sim.Cosine[0][best])
	// Output: stripes (cosine -0.19)
}
