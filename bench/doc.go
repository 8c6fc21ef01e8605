// Package bench holds the side-by-side benchmarks of vlmrt's kernels
// against other Go libraries, and the peak-rate loops they are read
// against. README.md says how to run them and shows one run.
package bench
