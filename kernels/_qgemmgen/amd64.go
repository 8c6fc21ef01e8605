package main

import "fmt"

// dotKind is how a kernel multiplies a group of 4 bytes of A by a vector of
// weights and adds the 4 products into each int32 lane.
type dotKind int

const (
	dotEVEX dotKind = iota // VPDPBUSD, EVEX: AVX512-VNNI (zmm), or ymm with AVX512-VL
	dotVEX                 // VPDPBUSD ymm, VEX: AVX-VNNI, emitted as bytes
	dot16                  // VPMADDWD on int16 A and sign-extended weights, VPADDD: AVX2
)

// kernel describes one amd64 int8 micro-kernel.
type kernel struct {
	name      string
	reg       string // "Z" or "Y"
	vbyte     int    // bytes per vector register
	nr        int    // columns of a panel
	mr        int    // largest row block
	accs      int    // accumulator registers, from register 0
	dot       dotKind
	zeroPoint bool   // A is u8 with a zero point: accumulators start at corr
	w, bc     []int  // registers of the two weight vectors and the broadcasts
	sa, s     int    // epilogue: broadcast row scale, row scale * column scales
	masks     []int  // AVX2 epilogue: column masks of a partial panel
	tmp       []int  // dot16: products of the two vectors
	doc       string // register plan
}

func (k kernel) r(n int) string { return fmt.Sprintf("%s%d", k.reg, n) }

// sets returns how many accumulator sets a block of n rows splits K over:
// groups of 4 k go to the sets in turn and the sets are added at the end
// (integer sums: exact in any order), so that a block of 1 to 3 rows still
// has at least 8 independent VPDPBUSD chains to cover their latency.
func (k kernel) sets(n int) int {
	if k.dot == dot16 {
		return 1 // the chain is one VPADDD; the multiplies are independent
	}
	s := 1
	for 2*n*s < 8 && 2*n*(2*s) <= k.accs {
		s *= 2
	}
	return s
}

func (k kernel) acc(n, r, v, s int) string { return k.r((s*n+r)*2 + v) }

// aBases hold rows 0, 3, 6, 9 of the block; DX (lda) reaches the two rows
// after each.
var aBases = []string{"SI", "R8", "R9", "R10"}

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
	}
	return fmt.Sprintf("%s(%s)(DX*2)", d, base)
}

// vexVPDPBUSD returns VPDPBUSD ymm(dst), ymm(src1), ymm(src2) in its VEX
// encoding (AVX-VNNI: VEX.256.66.0F38.W0 50 /r), which the Go assembler
// does not know: dst += src1 (u8) . src2 (s8). Checked against llvm-mc
// ("{vex} vpdpbusd") by TestVEXEncoding in this directory.
func vexVPDPBUSD(dst, src1, src2 int) []byte {
	b1 := byte(0x02) | 1<<6 // mmmmm = 0F38, X̄ = 1
	if dst < 8 {
		b1 |= 1 << 7 // R̄
	}
	if src2 < 8 {
		b1 |= 1 << 5 // B̄
	}
	b2 := byte(^src1&15)<<3 | 1<<2 | 1 // W0, vvvv, L = 256, pp = 66
	modrm := byte(0xC0 | (dst&7)<<3 | src2&7)
	return []byte{0xC4, b1, b2, 0x50, modrm}
}

// dotStep emits acc += A group (broadcast in bc) . weights (register w).
func (k kernel) dotStep(w, bc int, acc string, v int) {
	switch k.dot {
	case dotEVEX:
		emit("\tVPDPBUSD %s, %s, %s", k.r(w), k.r(bc), acc)
	case dotVEX:
		var dst int
		fmt.Sscanf(acc[1:], "%d", &dst)
		enc := vexVPDPBUSD(dst, bc, w)
		line := "\t"
		for i, b := range enc {
			if i > 0 {
				line += "; "
			}
			line += fmt.Sprintf("BYTE $0x%02X", b)
		}
		emit("%s // VPDPBUSD %s, %s, %s (VEX)", line, acc, k.r(bc), k.r(w))
	case dot16:
		t := k.r(k.tmp[v])
		emit("\tVPMADDWD %s, %s, %s", k.r(w), k.r(bc), t) // 4 columns x 2 halves of the group
		emit("\tVPADDD %s, %s, %s", t, acc, acc)
	}
}

// block emits the code for a row block of n rows at label name_mN.
func (k kernel) block(n int) {
	p := k.name
	S := k.sets(n)
	U := max(S, 2) // groups per loop iteration
	lbl := fmt.Sprintf("%s_m%d", p, n)
	emit("%s:", lbl)
	emit("\tMOVQ AX, SI")
	for i := 1; i*3 < n; i++ {
		emit("\tLEAQ (%s)(DX*2), %s", aBases[i-1], aBases[i])
		emit("\tADDQ DX, %s", aBases[i])
	}
	// Accumulators: corr (zero point) or zero; the other sets zero.
	zero := func(reg string) {
		if k.reg == "Z" {
			emit("\tVPXORD %s, %s, %s", reg, reg, reg)
		} else {
			emit("\tVPXOR %s, %s, %s", reg, reg, reg)
		}
	}
	mov := "VMOVDQU"
	cp := "VMOVDQA"
	if k.reg == "Z" {
		mov, cp = "VMOVDQU32", "VMOVDQA32"
	}
	for s := 0; s < S; s++ {
		for r := 0; r < n; r++ {
			for v := 0; v < 2; v++ {
				a := k.acc(n, r, v, s)
				switch {
				case s > 0 || !k.zeroPoint:
					zero(a)
				case r == 0:
					if v == 0 {
						emit("\tMOVQ %d(DI), BX", offCorr)
					}
					emit("\t%s %d(BX), %s", mov, v*k.vbyte, a)
				default:
					emit("\t%s %s, %s", cp, k.acc(n, 0, v, 0), a)
				}
			}
		}
	}
	emit("\tMOVQ %d(DI), BX", offB)
	emit("\tMOVQ %d(DI), R13", offLdb)
	emit("\tADDQ BX, R13")
	emit("\tMOVQ %d(DI), R12", offGroups)
	gbytes := 4 * k.nr // a group of 4 k for the panel's columns
	astep := 4         // bytes of a group of A
	if k.dot == dot16 {
		astep = 8
	}
	step := func(u, s int) {
		for v := 0; v < 2; v++ {
			if k.dot == dot16 {
				emit("\tVPMOVSXBW %d(BX), %s", u*gbytes+v*16, k.r(k.w[v]))
			} else {
				emit("\t%s %d(BX), %s", mov, u*gbytes+v*k.vbyte, k.r(k.w[v]))
			}
		}
		for r := 0; r < n; r++ {
			bc := k.bc[r%len(k.bc)]
			if k.dot == dot16 {
				emit("\tVPBROADCASTQ %s, %s", aAddr(r, astep*u), k.r(bc))
			} else {
				emit("\tVPBROADCASTD %s, %s", aAddr(r, astep*u), k.r(bc))
			}
			for v := 0; v < 2; v++ {
				k.dotStep(k.w[v], bc, k.acc(n, r, v, s), v)
			}
		}
		for l := u * gbytes; l < (u+1)*gbytes; l++ {
			if l%64 == 0 { // one prefetch a cache line
				emit("\tPREFETCHT1 %d(R13)", l)
			}
		}
	}
	advance := func(g int) {
		emit("\tADDQ $%d, BX", g*gbytes)
		emit("\tADDQ $%d, R13", g*gbytes)
		for i := 0; i*3 < n; i++ {
			emit("\tADDQ $%d, %s", astep*g, aBases[i])
		}
	}
	emit("\tCMPQ R12, $%d", U)
	emit("\tJB %s_g1", lbl)
	emit("%s_gu:", lbl)
	for u := 0; u < U; u++ {
		step(u, u%S)
	}
	advance(U)
	emit("\tSUBQ $%d, R12", U)
	emit("\tCMPQ R12, $%d", U)
	emit("\tJAE %s_gu", lbl)
	emit("%s_g1:", lbl)
	emit("\tTESTQ R12, R12")
	emit("\tJZ %s_sum", lbl)
	step(0, 0)
	advance(1)
	emit("\tDECQ R12")
	emit("\tJMP %s_g1", lbl)
	emit("%s_sum:", lbl)
	for s := 1; s < S; s++ {
		for r := 0; r < n; r++ {
			for v := 0; v < 2; v++ {
				emit("\tVPADDD %s, %s, %s", k.acc(n, r, v, s), k.acc(n, r, v, 0), k.acc(n, r, v, 0))
			}
		}
	}
	// Epilogue: C = float32(acc) * (sa * colScale) + bias, rounded step by
	// step.
	emit("\tMOVQ %d(DI), R12", offRowAt)
	emit("\tMOVQ %d(DI), SI", offColScale)
	emit("\tMOVQ %d(DI), R8", offBias)
	sa, s := k.r(k.sa), k.r(k.s)
	outs := 2 // output vectors a row
	if k.dot == dot16 {
		// Each accumulator holds 4 columns x 2 halves of a group; add the
		// halves and put the 8 columns in order.
		outs = 1
		for r := 0; r < n; r++ {
			a0, a1 := k.acc(n, r, 0, 0), k.acc(n, r, 1, 0)
			emit("\tVPHADDD %s, %s, %s", a1, a0, a0)
			emit("\tVPERMQ $0xd8, %s, %s", a0, a0)
		}
	}
	for r := 0; r < n; r++ {
		emit("\tVBROADCASTSS %d(R12), %s", 4*r, sa)
		for v := 0; v < outs; v++ {
			a := k.acc(n, r, v, 0)
			emit("\tVMULPS %d(SI), %s, %s", v*k.vbyte, sa, s)
			emit("\tVCVTDQ2PS %s, %s", a, a)
			emit("\tVMULPS %s, %s, %s", s, a, a)
			emit("\tVADDPS %d(R8), %s, %s", v*k.vbyte, a, a)
		}
	}
	emit("\tMOVQ CX, BX")
	if k.reg == "Z" {
		for r := 0; r < n; r++ {
			emit("\tVMOVUPS %s, K1, (BX)", k.acc(n, r, 0, 0))
			emit("\tVMOVUPS %s, K2, %d(BX)", k.acc(n, r, 1, 0), k.vbyte)
			if r+1 < n {
				emit("\tADDQ R11, BX")
			}
		}
	} else {
		emit("\tCMPQ %d(DI), $0", offPart)
		emit("\tJEQ %s_full", lbl)
		emit("\tCMPQ %d(DI), $1", offPLeft)
		emit("\tJNE %s_full", lbl)
		emit("\tVMOVDQU %d(DI), %s", offMask, k.r(k.masks[0]))
		if outs == 2 {
			emit("\tVMOVDQU %d(DI), %s", offMask+32, k.r(k.masks[1]))
		}
		for r := 0; r < n; r++ {
			emit("\tVMASKMOVPS %s, %s, (BX)", k.acc(n, r, 0, 0), k.r(k.masks[0]))
			if outs == 2 {
				emit("\tVMASKMOVPS %s, %s, %d(BX)", k.acc(n, r, 1, 0), k.r(k.masks[1]), k.vbyte)
			}
			if r+1 < n {
				emit("\tADDQ R11, BX")
			}
		}
		emit("\tJMP %s_next", lbl)
		emit("%s_full:", lbl)
		for r := 0; r < n; r++ {
			emit("\tVMOVUPS %s, (BX)", k.acc(n, r, 0, 0))
			if outs == 2 {
				emit("\tVMOVUPS %s, %d(BX)", k.acc(n, r, 1, 0), k.vbyte)
			}
			if r+1 < n {
				emit("\tADDQ R11, BX")
			}
		}
	}
	// Next row block.
	emit("%s_next:", lbl)
	emit("\tIMUL3Q $%d, DX, R12", n)
	emit("\tADDQ R12, AX")
	emit("\tIMUL3Q $%d, R11, R12", n)
	emit("\tADDQ R12, CX")
	emit("\tADDQ $%d, %d(DI)", 4*n, offRowAt)
	emit("\tSUBQ $%d, %d(DI)", n, offRows)
	emit("\tJNZ %s_rows", p)
	emit("\tJMP %s_nextpanel", p)
}

func (k kernel) routine() {
	p := k.name
	emit("")
	emit("%s", k.doc)
	emit("TEXT ·%s(SB), NOSPLIT, $0-8", p)
	emit("\tMOVQ args+0(FP), DI")
	emit("\tMOVQ %d(DI), DX", offLda)
	emit("\tMOVQ %d(DI), R11", offLdc)
	emit("\tMOVQ %d(DI), R12", offPanels)
	emit("\tMOVQ R12, %d(DI)", offPLeft)
	emit("%s_panel:", p)
	if k.reg == "Z" {
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
	emit("\tMOVQ %d(DI), R12", offRowScale)
	emit("\tMOVQ R12, %d(DI)", offRowAt)
	emit("\tMOVQ %d(DI), R12", offM)
	emit("\tMOVQ R12, %d(DI)", offRows)
	emit("%s_rows:", p)
	emit("\tMOVQ %d(DI), R12", offRows)
	emit("\tMOVQ %d(DI), BX", offMr)
	emit("\tCMPQ R12, BX")
	emit("\tCMOVQGT BX, R12")
	for n := k.mr; n >= 2; n-- {
		emit("\tCMPQ R12, $%d", n)
		emit("\tJEQ %s_m%d", p, n)
	}
	emit("\tJMP %s_m1", p)
	for n := k.mr; n >= 1; n-- {
		k.block(n)
	}
	emit("%s_nextpanel:", p)
	emit("\tMOVQ %d(DI), R12", offLdb)
	emit("\tADDQ R12, %d(DI)", offB)
	for _, off := range []int{offC, offBias, offColScale, offCorr} {
		emit("\tADDQ $%d, %d(DI)", 4*k.nr, off)
	}
	emit("\tDECQ %d(DI)", offPLeft)
	emit("\tJNZ %s_panel", p)
	emit("\tVZEROUPPER")
	emit("\tRET")
}

func amd64() {
	emit("// Code generated by \"cd kernels/_qgemmgen && go run . > ../qmatmul_amd64.s\"; DO NOT EDIT.")
	emit("")
	emit("//go:build !purego")
	emit("")
	emit("#include \"textflag.h\"")
	common := `// A rows: SI, R8, R9, R10 point at rows 0, 3, 6, 9 of the block and DX
// (lda) reaches the two rows after each; BX walks the panel, R13 the next
// panel (prefetched into L2 while this one computes), R12 counts groups of
// 4 k; AX is the block's first A row, CX its first C row, R11 ldc. Panels,
// column scales, bias, corr and the row scales advance in args.`
	vnni := func(name, reg string, vbyte, mr int, dot dotKind, what string) kernel {
		k := kernel{name: name, reg: reg, vbyte: vbyte, nr: vbyte / 2, mr: mr, accs: 2 * mr, dot: dot, zeroPoint: true}
		if reg == "Z" {
			k.w, k.bc, k.sa, k.s = []int{24, 25}, []int{26, 27}, 28, 29
		} else {
			k.w, k.bc, k.sa, k.s, k.masks = []int{12, 13}, []int{14, 15}, 14, 15, []int{12, 13}
		}
		cols := vbyte / 2
		masks := "K1, K2 mask the columns of the last panel."
		if reg == "Y" {
			masks = "Y12, Y13 hold the VMASKMOVPS masks of a partial\n// panel."
		}
		k.doc = fmt.Sprintf(`// func %s(args *qgemmArgs)
//
// %s
//
// Register plan: %s0..%s%d accumulate a block of up to %d rows x %d columns
// as int32 (row r in %s(2r), %s(2r+1), %d columns each); %s%d, %s%d hold a
// group of the panel (4 k x %d columns, s8); %s%d, %s%d take turns holding
// 4 bytes of an A row (u8, zero point 128) broadcast to every lane. The
// accumulators start at corr = -128 * column sum, which removes the zero
// point. %d rows x 2 vectors give %d independent VPDPBUSD chains; a block of
// 1 to 3 rows splits K over 2 or 4 sets of accumulators to keep 8 or more.
// Epilogue: %s%d broadcasts the row scale, %s%d holds it times the column
// scales; %s
%s`, name, what, reg, reg, 2*mr-1, mr, cols, reg, reg, vbyte/4, reg, k.w[0], reg, k.w[1], cols, reg, k.bc[0], reg, k.bc[1],
			mr, 2*mr, reg, k.sa, reg, k.s, masks, common)
		return k
	}
	vnni("qgemm12x32c4VNNI512", "Z", 64, 12, dotEVEX,
		"AVX512-VNNI: one VPDPBUSD zmm multiplies 4 bytes of A by 16 columns x 4 k\n// of weights and adds them to 16 int32 sums: 64 multiply-adds, against 16\n// for a float32 FMA of the same width.").routine()
	vnni("qgemm6x16c4AVXVNNI", "Y", 32, 6, dotVEX,
		"AVX-VNNI: VPDPBUSD ymm in its VEX encoding, written as bytes (the Go\n// assembler knows only the EVEX one); qgemm6x16c4VNNI256 is the same code\n// with the EVEX encoding, so that CPUs with AVX512-VNNI test it.").routine()
	vnni("qgemm6x16c4VNNI256", "Y", 32, 6, dotEVEX,
		"The twin of qgemm6x16c4AVXVNNI with VPDPBUSD in its EVEX encoding\n// (AVX512-VNNI + AVX512-VL), byte for byte the same kernel otherwise.").routine()
	w16 := kernel{name: "qgemm5x8c4AVX2", reg: "Y", vbyte: 32, nr: 8, mr: 5, accs: 10, dot: dot16,
		w: []int{10, 11}, bc: []int{12}, tmp: []int{13, 14}, sa: 12, s: 13, masks: []int{10}}
	w16.doc = `// func qgemm5x8c4AVX2(args *qgemmArgs)
//
// AVX2 without VNNI, on 16 bits: A is quantized to int16 (8 bytes a
// group), the weights are sign-extended to int16 as they are loaded
// (VPMOVSXBW), and VPMADDWD multiplies pairs and adds them into int32, which
// cannot overflow (2 * 128 * 127 < 2^31). Two instructions (VPMADDWD,
// VPADDD) per 16 multiply-adds, one of them a multiply.
//
// VPMADDUBSW (u8 x s8, pairs added into saturating int16) would take 32 a
// step, but a u8 A with a zero point saturates it (2 * 255 * 128 > 2^15).
// Kept s8 with the sign moved onto it (|w| times a with the sign of w,
// VPSIGNB: pairs at most 2 * 128 * 127 < 2^15) it cannot saturate, but
// needs VPSIGNB, VPMADDUBSW, VPMADDWD and VPADDD per 32, three of them on
// the vector multiply pipes: on the Zen 4 machine that kernel (4 x 16) ran
// the 16- to 197-row products of bench/qmatmul_test.go at 1.1 to 1.5x the
// float32 product, this one at 1.5 to 1.7x.
//
// Register plan: Y0..Y9 accumulate a block of up to 5 rows x 8 columns
// (row r in Y(2r) for columns 0-3 and Y(2r+1) for 4-7, two int32 halves of
// each group per column, added by VPHADDD at the end); Y10, Y11 hold a
// group of the panel (4 k x 8 columns) as int16; Y12 broadcasts a group of
// an A row (4 int16); Y13, Y14 hold the products. Epilogue: Y12 broadcasts
// the row scale, Y13 holds it times the column scales, Y10 the VMASKMOVPS
// mask of a partial panel.
` + common
	w16.routine()
}
