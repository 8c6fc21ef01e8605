//go:build purego || !(amd64 || arm64)

package kernels

// supported lists the levels this build can run: the pure-Go twins only.
var supported = [numLevels]bool{Generic: true}
