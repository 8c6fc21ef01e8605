// Package runtime compiles a network, for fixed input shapes, into a Plan:
// an ordered list of kernel calls over buffers whose sizes and offsets in
// one arena are fixed at compile time. Buffers whose lifetimes do not overlap
// share memory.
//
// A Plan is immutable once compiled and may serve many goroutines at once:
// each goroutine runs its own Session, which owns one arena (its inputs,
// intermediates and outputs). Session.Run allocates nothing and looks up no
// names; inputs and outputs are resolved to slices of the arena once, by
// Session.Input and Session.Output.
//
// The package knows nothing of model files or Keras names: the heads
// package builds plans from layers, and the ops here are the steps it uses.
package runtime
