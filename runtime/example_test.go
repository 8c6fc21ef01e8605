package runtime_test

import (
	"fmt"
	"log"

	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/runtime"
)

// Example builds a two-layer perceptron as a plan for a fixed batch, runs it
// in a session and reads its output.
func Example() {
	w1, err := kernels.PackKN([]float32{1, 0, 0, 1, 1, 1}, 3, 2, []float32{0, -1}) // [3, 2]
	if err != nil {
		log.Fatal(err)
	}
	w2, err := kernels.PackKN([]float32{2, -1}, 2, 1, nil) // [2, 1]
	if err != nil {
		log.Fatal(err)
	}
	b := runtime.NewBuilder()
	x := b.Input("x", 2, 3) // batch 2, 3 features
	h := b.Dense(x, w1, kernels.ActSigmoid)
	b.Output("y", b.Dense(h, w2, kernels.ActNone))
	plan, err := b.Compile()
	if err != nil {
		log.Fatal(err)
	}

	s := plan.NewSession(nil)
	in, _ := s.Input("x")
	copy(in, []float32{0, 0, 0, 1, 2, 3})
	s.Run()
	y, _ := s.Output("y")
	fmt.Printf("%.4f\n", y)
	fmt.Println(plan.Outputs()[0].Shape, plan.Steps(), "steps")
	// Output:
	// [0.7311 0.9820]
	// [2 1] 2 steps
}
