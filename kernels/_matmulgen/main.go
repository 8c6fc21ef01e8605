// Command _matmulgen writes kernels/matmul_amd64.s, the amd64 matrix product
// micro-kernels: one assembly routine per level that runs a whole tile loop
// (every panel of a column range, every row block of A) for one K chunk.
//
// Run it from the kernels directory:
//
//	cd kernels/_matmulgen && go run . > ../matmul_amd64.s
//
// The routines read a *gemmArgs (kernels/matmul_kernel.go); the offsets
// below must match that struct. go vet cannot see offsets into a struct
// behind a pointer, so TestGemmArgsLayout checks them.
package main

import (
	"fmt"
	"os"
	"strings"
)

// gemmArgs field offsets (kernels/matmul_kernel.go).
const (
	offA      = 0
	offLda    = 8
	offB      = 16
	offLdb    = 24
	offC      = 32
	offLdc    = 40
	offBias   = 48
	offM      = 56
	offMr     = 64
	offKc     = 72
	offPanels = 80
	offAcc    = 88
	offMaskLo = 96
	offMaskHi = 104
	offRows   = 112 // scratch: rows left
	offPLeft  = 120 // scratch: panels left
	offMask   = 128 // [16]int32 AVX2 column mask of the last panel
	offPart   = 200 // 1 when the last panel is partial, else 0
)

var out strings.Builder

// prefetchNext makes the one-panel k loops prefetch the next panel into
// L2 while they work on this one (R13 walks it, ldb ahead of BX): when the
// weights do not fit in L2 the next panel then streams from memory while
// this one computes, rather than on the first row block's critical path.
var prefetchNext = true

func emit(format string, args ...any) {
	fmt.Fprintf(&out, format, args...)
	out.WriteByte('\n')
}

// isa describes one level's micro-kernel.
type isa struct {
	name  string // routine name
	reg   string // vector register prefix, "Y" or "Z"
	vbyte int    // bytes per vector register
	mr    int    // largest row block
	wide  []int  // wide[n]: panels taken at once when A has n rows (0: one)
}

// wideBlock emits the code for an A of n rows (n <= 3) taken P full panels
// (the partial last panel, if any, is left to the one-panel blocks)
// at a time, at label name_wN: with one or two rows a single panel has too
// few accumulators to hide the FMA latency. Panel q is at BX + q*ldb: R8
// holds ldb, R9 panel 3. The broadcast of row r sits in register bc[r]
// while the P panels' rows go through the two B registers in turn.
func (s isa) wideBlock(n, P int) {
	p := s.name
	z := s.reg
	lbl := fmt.Sprintf("%s_w%d", p, n)
	acc := func(r, q, v int) string { return fmt.Sprintf("%s%d", z, (r*P+q)*2+v) }
	bv := []string{z + "30", z + "31"}
	bc := []string{z + "26", z + "27", z + "28"}
	if z == "Y" {
		bv = []string{"Y12", "Y13"}
		bc = []string{"Y14", "Y15"}
	}
	bAddr := func(q, disp int) string {
		switch q {
		case 0:
			return fmt.Sprintf("%d(BX)", disp)
		case 1:
			return fmt.Sprintf("%d(BX)(R8*1)", disp)
		case 2:
			return fmt.Sprintf("%d(BX)(R8*2)", disp)
		}
		return fmt.Sprintf("%d(R9)", disp)
	}
	emit("%s:", lbl)
	emit("\tMOVQ AX, SI")
	emit("\tMOVQ %d(DI), R8", offLdb)
	emit("\tMOVQ %d(DI), R13", offB)
	emit("\tLEAQ (R13)(R8*2), R9")
	emit("\tADDQ R8, R9")
	emit("\tCMPQ %d(DI), $0", offAcc)
	emit("\tJNE %s_loadc", lbl)
	emit("\tMOVQ %d(DI), R10", offBias)
	for q := 0; q < P; q++ {
		for v := 0; v < 2; v++ {
			emit("\tVMOVUPS %d(R10), %s", (2*q+v)*s.vbyte, acc(0, q, v))
			for r := 1; r < n; r++ {
				emit("\tVMOVAPS %s, %s", acc(0, q, v), acc(r, q, v))
			}
		}
	}
	emit("\tJMP %s_k", lbl)
	emit("%s_loadc:", lbl)
	emit("\tMOVQ CX, R10")
	for r := 0; r < n; r++ {
		for q := 0; q < P; q++ {
			for v := 0; v < 2; v++ {
				emit("\tVMOVUPS %d(R10), %s", (2*q+v)*s.vbyte, acc(r, q, v))
			}
		}
		if r+1 < n {
			emit("\tADDQ R11, R10")
		}
	}
	emit("%s_k:", lbl)
	emit("\tMOVQ R13, BX")
	emit("\tMOVQ %d(DI), R12", offKc)
	step := func(u int) {
		for r := 0; r < n; r++ {
			emit("\tVBROADCASTSS %s, %s", aAddr(r, 4*u), bc[r])
		}
		for q := 0; q < P; q++ {
			for v := 0; v < 2; v++ {
				emit("\tVMOVUPS %s, %s", bAddr(q, u*2*s.vbyte+v*s.vbyte), bv[v])
			}
			for r := 0; r < n; r++ {
				for v := 0; v < 2; v++ {
					emit("\tVFMADD231PS %s, %s, %s", bv[v], bc[r], acc(r, q, v))
				}
			}
		}
	}
	advance := func(k int) {
		emit("\tADDQ $%d, BX", k*2*s.vbyte)
		if P > 3 {
			emit("\tADDQ $%d, R9", k*2*s.vbyte)
		}
		emit("\tADDQ $%d, SI", 4*k)
	}
	emit("\tCMPQ R12, $4")
	emit("\tJB %s_k1", lbl)
	emit("%s_k4:", lbl)
	for u := 0; u < 4; u++ {
		step(u)
	}
	advance(4)
	emit("\tSUBQ $4, R12")
	emit("\tCMPQ R12, $4")
	emit("\tJAE %s_k4", lbl)
	emit("%s_k1:", lbl)
	emit("\tTESTQ R12, R12")
	emit("\tJZ %s_store", lbl)
	step(0)
	advance(1)
	emit("\tDECQ R12")
	emit("\tJMP %s_k1", lbl)
	emit("%s_store:", lbl)
	emit("\tMOVQ CX, R10")
	for r := 0; r < n; r++ {
		for q := 0; q < P; q++ {
			for v := 0; v < 2; v++ {
				emit("\tVMOVUPS %s, %d(R10)", acc(r, q, v), (2*q+v)*s.vbyte)
			}
		}
		if r+1 < n {
			emit("\tADDQ R11, R10")
		}
	}
	// Past the P panels.
	emit("\tMOVQ %d(DI), R12", offLdb)
	emit("\tIMUL3Q $%d, R12, R12", P)
	emit("\tADDQ R12, %d(DI)", offB)
	emit("\tADDQ $%d, %d(DI)", P*2*s.vbyte, offC)
	emit("\tADDQ $%d, %d(DI)", P*2*s.vbyte, offBias)
	emit("\tSUBQ $%d, %d(DI)", P, offPLeft)
	emit("\tJNZ %s_panel", p)
	emit("\tJMP %s_done", p)
}

// aBase returns the register holding row r's base pointer and its index
// scale: rows 3i, 3i+1, 3i+2 are (base), (base)(DX*1), (base)(DX*2).
var aBases = []string{"SI", "R8", "R9", "R10", "R12"}

func aAddr(r, disp int) string {
	base := aBases[r/3]
	d := ""
	if disp != 0 {
		d = fmt.Sprint(disp)
	}
	switch r % 3 {
	case 0:
		return fmt.Sprintf("%s(%s)", d, base)
	case 1:
		return fmt.Sprintf("%s(%s)(DX*1)", d, base)
	default:
		return fmt.Sprintf("%s(%s)(DX*2)", d, base)
	}
}

func (s isa) acc(r, v int) string { return fmt.Sprintf("%s%d", s.reg, 2*r+v) }

// block emits the code for a row block of n rows at label name_mN.
func (s isa) block(n int) {
	p := s.name
	z := s.reg
	bv0, bv1 := z+"30", z+"31"
	bc := []string{z + "28", z + "29"}
	if z == "Y" {
		bv0, bv1 = "Y12", "Y13"
		bc = []string{"Y14", "Y15"}
	}
	emit("%s_m%d:", p, n)
	// Row pointers.
	emit("\tMOVQ AX, SI")
	for i := 1; i*3 < n; i++ {
		emit("\tLEAQ (%s)(DX*2), %s", aBases[i-1], aBases[i])
		emit("\tADDQ DX, %s", aBases[i])
	}
	// Accumulators: bias, or C so far.
	emit("\tCMPQ %d(DI), $0", offAcc)
	emit("\tJNE %s_m%d_loadc", p, n)
	emit("\tMOVQ %d(DI), BX", offBias)
	emit("\tVMOVUPS (BX), %s", s.acc(0, 0))
	emit("\tVMOVUPS %d(BX), %s", s.vbyte, s.acc(0, 1))
	for r := 1; r < n; r++ {
		emit("\tVMOVAPS %s, %s", s.acc(0, 0), s.acc(r, 0))
		emit("\tVMOVAPS %s, %s", s.acc(0, 1), s.acc(r, 1))
	}
	emit("\tJMP %s_m%d_k", p, n)
	emit("%s_m%d_loadc:", p, n)
	if z == "Y" {
		s.avx2Masks(fmt.Sprintf("%s_m%d_lc", p, n))
	}
	emit("\tMOVQ CX, BX")
	for r := 0; r < n; r++ {
		if z == "Z" {
			emit("\tVMOVUPS.Z (BX), K1, %s", s.acc(r, 0))
			emit("\tVMOVUPS.Z %d(BX), K2, %s", s.vbyte, s.acc(r, 1))
		} else {
			emit("\tVMASKMOVPS (BX), Y12, %s", s.acc(r, 0))
			emit("\tVMASKMOVPS %d(BX), Y13, %s", s.vbyte, s.acc(r, 1))
		}
		if r+1 < n {
			emit("\tADDQ R11, BX")
		}
	}
	emit("%s_m%d_k:", p, n)
	emit("\tMOVQ %d(DI), BX", offB)
	emit("\tMOVQ %d(DI), R13", offLdb)
	emit("\tADDQ BX, R13")
	emit("\tMOVQ %d(DI), R12", offKc)
	// R12 is a row base when n > 12; AVX-512 keeps mr <= 12 so it is free.
	step := func(u int) {
		emit("\tVMOVUPS %d(BX), %s", u*2*s.vbyte, bv0)
		emit("\tVMOVUPS %d(BX), %s", u*2*s.vbyte+s.vbyte, bv1)
		for r := 0; r < n; r++ {
			t := bc[r%2]
			emit("\tVBROADCASTSS %s, %s", aAddr(r, 4*u), t)
			emit("\tVFMADD231PS %s, %s, %s", bv0, t, s.acc(r, 0))
			emit("\tVFMADD231PS %s, %s, %s", bv1, t, s.acc(r, 1))
		}
	}
	advance := func(k int) {
		emit("\tADDQ $%d, BX", k*2*s.vbyte)
		if prefetchNext {
			emit("\tADDQ $%d, R13", k*2*s.vbyte)
		}
		for i := 0; i*3 < n; i++ {
			emit("\tADDQ $%d, %s", 4*k, aBases[i])
		}
	}
	emit("\tCMPQ R12, $4")
	emit("\tJB %s_m%d_k1", p, n)
	emit("%s_m%d_k4:", p, n)
	for u := 0; u < 4; u++ {
		step(u)
		if prefetchNext {
			for l := 0; l < 2*s.vbyte; l += 64 {
				emit("\tPREFETCHT1 %d(R13)", u*2*s.vbyte+l)
			}
		}
	}
	advance(4)
	emit("\tSUBQ $4, R12")
	emit("\tCMPQ R12, $4")
	emit("\tJAE %s_m%d_k4", p, n)
	emit("%s_m%d_k1:", p, n)
	emit("\tTESTQ R12, R12")
	emit("\tJZ %s_m%d_store", p, n)
	step(0)
	advance(1)
	emit("\tDECQ R12")
	emit("\tJMP %s_m%d_k1", p, n)
	emit("%s_m%d_store:", p, n)
	if z == "Y" {
		s.avx2Masks(fmt.Sprintf("%s_m%d_st", p, n))
	}
	emit("\tMOVQ CX, BX")
	for r := 0; r < n; r++ {
		if z == "Z" {
			emit("\tVMOVUPS %s, K1, (BX)", s.acc(r, 0))
			emit("\tVMOVUPS %s, K2, %d(BX)", s.acc(r, 1), s.vbyte)
		} else {
			emit("\tVMASKMOVPS %s, Y12, (BX)", s.acc(r, 0))
			emit("\tVMASKMOVPS %s, Y13, %d(BX)", s.acc(r, 1), s.vbyte)
		}
		if r+1 < n {
			emit("\tADDQ R11, BX")
		}
	}
	// Next row block.
	emit("\tIMUL3Q $%d, DX, R12", n)
	emit("\tADDQ R12, AX")
	emit("\tIMUL3Q $%d, R11, R12", n)
	emit("\tADDQ R12, CX")
	emit("\tSUBQ $%d, %d(DI)", n, offRows)
	emit("\tJNZ %s_rows", p)
	emit("\tJMP %s_nextpanel", p)
}

// avx2Masks loads the column masks of the current panel into Y12, Y13.
func (s isa) avx2Masks(label string) {
	emit("\tCMPQ %d(DI), $1", offPLeft)
	emit("\tJEQ %s_last", label)
	emit("\tVPCMPEQD Y12, Y12, Y12")
	emit("\tVPCMPEQD Y13, Y13, Y13")
	emit("\tJMP %s_done", label)
	emit("%s_last:", label)
	emit("\tVMOVDQU %d(DI), Y12", offMask)
	emit("\tVMOVDQU %d(DI), Y13", offMask+32)
	emit("%s_done:", label)
}

func (s isa) routine(doc string) {
	p := s.name
	emit("")
	emit("%s", doc)
	emit("TEXT ·%s(SB), NOSPLIT, $0-8", p)
	emit("\tMOVQ args+0(FP), DI")
	emit("\tMOVQ %d(DI), DX", offLda)
	emit("\tMOVQ %d(DI), R11", offLdc)
	emit("\tMOVQ %d(DI), R12", offPanels)
	emit("\tMOVQ R12, %d(DI)", offPLeft)
	emit("%s_panel:", p)
	if s.reg == "Z" {
		emit("\tCMPQ %d(DI), $1", offPLeft)
		emit("\tJEQ %s_lastmask", p)
		emit("\tKXNORW K1, K1, K1")
		emit("\tKXNORW K2, K2, K2")
		emit("\tJMP %s_masked", p)
		emit("%s_lastmask:", p)
		emit("\tMOVQ %d(DI), R12", offMaskLo)
		emit("\tKMOVW R12, K1")
		emit("\tMOVQ %d(DI), R12", offMaskHi)
		emit("\tKMOVW R12, K2")
		emit("%s_masked:", p)
	}
	emit("\tMOVQ %d(DI), AX", offA)
	emit("\tMOVQ %d(DI), CX", offC)
	emit("\tMOVQ %d(DI), R12", offM)
	emit("\tMOVQ R12, %d(DI)", offRows)
	for n, P := range s.wide {
		if P == 0 {
			continue
		}
		emit("\tCMPQ R12, $%d", n)
		emit("\tJNE %s_notw%d", p, n)
		emit("\tMOVQ %d(DI), BX", offPart)
		emit("\tADDQ $%d, BX", P)
		emit("\tCMPQ %d(DI), BX", offPLeft)
		emit("\tJGE %s_w%d", p, n)
		emit("%s_notw%d:", p, n)
	}
	emit("%s_rows:", p)
	emit("\tMOVQ %d(DI), R12", offRows)
	emit("\tMOVQ %d(DI), BX", offMr)
	emit("\tCMPQ R12, BX")
	emit("\tCMOVQGT BX, R12")
	for n := s.mr; n >= 1; n-- {
		emit("\tCMPQ R12, $%d", n)
		emit("\tJEQ %s_m%d", p, n)
	}
	emit("\tJMP %s_nextpanel", p) // not reached: rows left >= 1
	for n := s.mr; n >= 1; n-- {
		s.block(n)
	}
	for n, P := range s.wide {
		if P > 0 {
			s.wideBlock(n, P)
		}
	}
	emit("%s_nextpanel:", p)
	emit("\tMOVQ %d(DI), R12", offLdb)
	emit("\tADDQ R12, %d(DI)", offB)
	emit("\tADDQ $%d, %d(DI)", 2*s.vbyte, offC)
	emit("\tADDQ $%d, %d(DI)", 2*s.vbyte, offBias)
	emit("\tDECQ %d(DI)", offPLeft)
	emit("\tJNZ %s_panel", p)
	emit("%s_done:", p)
	emit("\tVZEROUPPER")
	emit("\tRET")
}

func main() {
	emit("// Code generated by \"cd kernels/_matmulgen && go run . > ../matmul_amd64.s\"; DO NOT EDIT.")
	emit("")
	emit("//go:build !purego")
	emit("")
	emit("#include \"textflag.h\"")
	avx512 := isa{name: "gemm12x32AVX512", reg: "Z", vbyte: 64, mr: 12, wide: []int{0, 4, 4, 4}}
	avx2 := isa{name: "gemm6x16AVX2", reg: "Y", vbyte: 32, mr: 6, wide: []int{0, 4, 3}}
	avx512.routine(`// func gemm12x32AVX512(args *gemmArgs)
//
// Register plan: Z0..Z23 accumulate a block of up to 12 rows x 32 columns
// (row r in Z(2r), Z(2r+1)); Z30, Z31 hold one packed row of the panel
// (32 weights); Z28, Z29 take turns holding a broadcast A value. 12 rows x 2
// vectors keep 24 FMAs in flight per k, enough to cover the FMA latency on
// two ports, with 14 loads per 24 FMAs. K1, K2 mask the columns of the last
// panel. A rows: SI, R8, R9, R10 point at rows 0, 3, 6, 9 of the block and DX
// (lda) reaches the two rows after each. BX walks the panel, R13 is the
// panel at k0, AX the block's first A row, CX its first C row, R11 ldc.`)
	avx2.routine(`// func gemm6x16AVX2(args *gemmArgs)
//
// Register plan: Y0..Y11 accumulate a block of up to 6 rows x 16 columns
// (row r in Y(2r), Y(2r+1)); Y12, Y13 hold one packed row of the panel and,
// around the k loop, the column masks of VMASKMOVPS; Y14, Y15 take turns
// holding a broadcast A value. 12 accumulators keep the two FMA ports busy
// across the 4-cycle FMA latency. A rows: SI and R8 point at rows 0 and 3,
// DX (lda) reaches the others. BX walks the panel, R13 is the panel at k0,
// AX the block's first A row, CX its first C row, R11 ldc.`)
	os.Stdout.WriteString(out.String())
}
