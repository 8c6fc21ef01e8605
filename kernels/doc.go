// Package kernels holds the numeric kernels of vlmrt: the packed matrix
// product, attention, norms, softmax and the elementwise activations.
//
// Every kernel has a pure-Go twin, always compiled, that is the reference
// and the fallback. On amd64 the AVX2+FMA and AVX-512 versions, and on
// arm64 the NEON versions, are chosen at start-up from the CPU's features
// (github.com/klauspost/cpuid/v2). The environment variable VLMRT_ISA
// forces a lower level; SetLevel changes it at run time so that tests and
// benchmarks can cover every level on one machine.
//
// Kernels check the lengths of their slices against the dimensions they are
// given before any assembly runs and panic on a mismatch, as the standard
// library's crypto packages and gonum's BLAS do: a mismatch is a programming
// error of the caller, never a property of a model file.
package kernels
