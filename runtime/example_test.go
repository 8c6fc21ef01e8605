package runtime_test

import (
	"fmt"
	"log"

	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/parallel"
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

	s := plan.NewSession()
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

// ExampleBuilder_AttendMemory computes a cross-attention of one query to a
// memory of three rows both ways: by projecting the memory to keys and
// values (Dense, then Attend) and by attending to the memory directly.
func ExampleBuilder_AttendMemory() {
	// k|v projection of a 2-wide memory, one head of width 2: [2, 4].
	kv, err := kernels.PackKN([]float32{
		1, 0, 0.5, -1,
		0, 1, 2, 0.25,
	}, 2, 4, []float32{0.1, -0.2, 0.3, 0.4})
	if err != nil {
		log.Fatal(err)
	}
	w, err := runtime.NewMemoryWeights(1, kv, 1, 1, 0)
	if err != nil {
		log.Fatal(err)
	}
	b := runtime.NewBuilder()
	q, memory := b.Input("q", 1, 1, 2), b.Input("memory", 1, 3, 2)
	spec := runtime.AttentionSpec{Heads: 1, HeadDim: 2}
	keys := b.Dense(memory, kv, kernels.ActNone)
	b.Output("projected", b.Attend(spec, runtime.Operand{T: q}, runtime.Operand{T: keys}, runtime.Operand{T: keys, Col: 2}))
	b.Output("direct", b.AttendMemory(spec, memory, w, 0, runtime.Operand{T: q}))
	plan, err := b.Compile()
	if err != nil {
		log.Fatal(err)
	}
	s := plan.NewSession()
	in, _ := s.Input("q")
	copy(in, []float32{1, 2})
	in, _ = s.Input("memory")
	copy(in, []float32{1, 0, 0, 1, -1, 1})
	s.Run()
	for _, name := range []string{"projected", "direct"} {
		out, _ := s.Output(name)
		fmt.Printf("%s %.4f\n", name, out)
	}
	// Output:
	// projected [1.8035 0.5879]
	// direct [1.8035 0.5879]
}

// ExampleWithPool runs a session whose steps are split over two workers;
// the results are those of a session on one goroutine.
func ExampleWithPool() {
	w, err := kernels.PackKN([]float32{1, 2, 3, 4, 5, 6}, 2, 3, nil) // [2, 3]
	if err != nil {
		log.Fatal(err)
	}
	b := runtime.NewBuilder()
	b.Output("y", b.Dense(b.Input("x", 4, 2), w, kernels.ActNone))
	plan, err := b.Compile()
	if err != nil {
		log.Fatal(err)
	}
	pool := parallel.New(2)
	defer pool.Close()
	s := plan.NewSession(runtime.WithPool(pool))
	in, _ := s.Input("x")
	copy(in, []float32{1, 0, 0, 1, 1, 1, 2, -1})
	s.Run()
	y, _ := s.Output("y")
	fmt.Println(y)
	// Output:
	// [1 2 3 4 5 6 5 7 9 -2 -1 0]
}
