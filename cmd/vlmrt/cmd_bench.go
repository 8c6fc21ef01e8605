package main

import (
	"io"
	"sort"
)

// benchKernels holds the kernel benchmarks of "vlmrt bench <kernel>", each
// registered from its own bench_<kernel>.go file.
var benchKernels = map[string]command{}

func init() {
	commands["bench"] = command{"measure a model (--model M --inputs I) or a kernel (bench matmul|...)", runBench}
}

// benchKernelNames returns the kernel benchmarks' names, sorted.
func benchKernelNames() []string {
	names := make([]string, 0, len(benchKernels))
	for name := range benchKernels {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func runBench(args []string, w io.Writer) error {
	if len(args) > 0 {
		if k, ok := benchKernels[args[0]]; ok {
			return k.run(args[1:], w)
		}
	}
	return benchModel(args, w)
}
