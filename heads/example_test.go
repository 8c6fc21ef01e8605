package heads_test

import (
	"fmt"
	"log"

	"github.com/vlmrt/vlmrt/heads"
	"github.com/vlmrt/vlmrt/weights"
)

// Example loads a captioning head, compiles it for one batch of inputs and
// runs it. The fixture file holds the weights, the inputs and Keras's
// outputs; a real program would fill the inputs from its encoders.
func Example() {
	const path = "../testdata/keras/captioning_swiglu.safetensors"
	model, err := heads.Load(path)
	if err != nil {
		log.Fatal(err)
	}
	// Compile for fixed shapes: batch 2, 10 vision tokens, 7 text tokens.
	plan, err := model.Compile(map[string][]int{
		"vision_features": {2, 10, 48},
		"text_features":   {2, 7, 48},
	})
	if err != nil {
		log.Fatal(err)
	}
	// One session per goroutine; with no options it runs every step on
	// this goroutine (runtime.WithPool spreads the steps over workers).
	session := plan.NewSession()
	vision, _ := session.Input("vision_features")
	text, _ := session.Input("text_features")

	f, err := weights.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	v, _ := f.Float32("input.vision_features")
	t, _ := f.Float32("input.text_features")
	copy(vision, v)
	copy(text, t)

	session.Run() // allocates nothing
	logits, _ := session.Output("logits")
	fmt.Println(model.Class(), len(logits), "logits")
	for _, o := range plan.Outputs() {
		fmt.Println(o.Name, o.Shape)
	}
	// Output:
	// ImageCaptioningHead 700 logits
	// hidden_states [2 7 48]
	// logits [2 7 50]
}

// ExampleModel_Compile runs one task of a multi-task head.
func ExampleModel_Compile() {
	model, err := heads.Load("../testdata/keras/multitask.safetensors")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(model.Tasks())
	plan, err := model.Compile(map[string][]int{
		"vision_features":   {1, 10, 48},
		"question_features": {1, 7, 48},
	}, heads.ForTask("vqa"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(plan.Outputs()[0].Name, plan.Outputs()[0].Shape)
	// Output:
	// [cap grounding matching vqa]
	// vqa.answer_logits [1 12]
}
