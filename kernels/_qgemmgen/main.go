// Command _qgemmgen writes the int8 matrix product micro-kernels
// (contract: kernels/qmatmul_kernel.go): kernels/qmatmul_amd64.s (AVX-512
// VNNI, AVX-VNNI and its EVEX twin, AVX2), kernels/qmatmul_arm64.s (NEON
// SDOT) and kernels/qmatmul_i8mm_arm64.s (NEON SMMLA, I8MM). Each routine runs a whole tile loop: every panel of a
// column range, every row block of the quantized A, the whole K, and the
// epilogue that scales the int32 sums back to float32 and adds the bias.
//
// Run it from the kernels directory:
//
//	cd kernels/_qgemmgen && go run . > ../qmatmul_amd64.s
//	cd kernels/_qgemmgen && go run . -arch arm64 > ../qmatmul_arm64.s
//	cd kernels/_qgemmgen && go run . -arch arm64 -i8mm > ../qmatmul_i8mm_arm64.s
//
// (go generate ./kernels/ runs all three.) The instructions the Go
// assembler lacks (VPDPBUSD in VEX form, SDOT, SMMLA) are written as WORD
// or BYTE with the mnemonic in a comment; encoding_test.go checks their
// encoders against the architecture's field layout and against llvm-mc
// where it is installed.
//
// The routines read a *qgemmArgs; the offsets below must match that
// struct, which TestQgemmArgsLayout checks.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

// qgemmArgs field offsets (kernels/qmatmul_kernel.go).
const (
	offA        = 0
	offLda      = 8
	offB        = 16
	offLdb      = 24
	offC        = 32
	offLdc      = 40
	offBias     = 48
	offColScale = 56
	offCorr     = 64
	offRowScale = 72
	offM        = 80
	offMr       = 88
	offGroups   = 96
	offPanels   = 104
	offMaskLo   = 112
	offMaskHi   = 120
	offRows     = 128 // scratch: rows left in the panel
	offPLeft    = 136 // scratch: panels left
	offRowAt    = 144 // scratch: rowScale at the current row block
	offMask     = 152 // [16]int32 AVX2 column mask of the last panel
	offCols     = 216
	offPart     = 224 // 1 when the last panel is partial, else 0
)

var out strings.Builder

func emit(format string, args ...any) {
	fmt.Fprintf(&out, format, args...)
	out.WriteByte('\n')
}

func main() {
	arch := flag.String("arch", "amd64", "amd64 or arm64")
	i8mm := flag.Bool("i8mm", false, "with -arch arm64: the SMMLA (I8MM) kernel rather than the SDOT one")
	flag.Parse()
	switch {
	case *arch == "amd64" && !*i8mm:
		amd64()
	case *arch == "arm64" && *i8mm:
		arm64I8MM()
	case *arch == "arm64":
		arm64()
	default:
		fmt.Fprintln(os.Stderr, "qgemmgen: -arch must be amd64 or arm64; -i8mm goes with arm64")
		os.Exit(2)
	}
	os.Stdout.WriteString(out.String())
}
