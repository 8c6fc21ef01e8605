//go:build purego || !(amd64 || arm64)

package kernels

// rowKernelsFor returns the pure-Go twins: this build has no assembly.
func rowKernelsFor(Level) rowKernels { return genericRows }
