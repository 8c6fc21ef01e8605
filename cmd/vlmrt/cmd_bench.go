package main

import (
	"io"
)

// benchKernels holds the kernel benchmarks of "vlmrt bench <kernel>", each
// registered from its own bench_<kernel>.go file.
var benchKernels = map[string]command{}

func init() {
	commands["bench"] = command{"measure a model (--model M --inputs I) or a kernel (bench matmul|...)", runBench}
}

func runBench(args []string, w io.Writer) error {
	if len(args) > 0 {
		if k, ok := benchKernels[args[0]]; ok {
			return k.run(args[1:], w)
		}
	}
	return benchModel(args, w)
}
