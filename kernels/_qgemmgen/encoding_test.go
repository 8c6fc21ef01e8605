package main

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// TestVEXEncoding checks vexVPDPBUSD against llvm-mc for every register
// triple ymm0..ymm15 (skipped where llvm-mc is not installed).
func TestVEXEncoding(t *testing.T) {
	mc, err := exec.LookPath("llvm-mc")
	if err != nil {
		t.Skip("llvm-mc not installed")
	}
	var src strings.Builder
	var want []string
	for d := 0; d < 16; d++ {
		for s1 := 0; s1 < 16; s1++ {
			for s2 := 0; s2 < 16; s2++ {
				fmt.Fprintf(&src, "{vex} vpdpbusd %%ymm%d, %%ymm%d, %%ymm%d\n", s2, s1, d) // AT&T: src2, src1, dst
				var enc []string
				for _, b := range vexVPDPBUSD(d, s1, s2) {
					enc = append(enc, fmt.Sprintf("0x%02x", b))
				}
				want = append(want, "["+strings.Join(enc, ",")+"]")
			}
		}
	}
	cmd := exec.Command(mc, "-triple=x86_64", "-show-encoding")
	cmd.Stdin = strings.NewReader(src.String())
	outb, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("llvm-mc: %v\n%s", err, outb)
	}
	i := 0
	for _, line := range strings.Split(string(outb), "\n") {
		_, enc, ok := strings.Cut(line, "encoding: ")
		if !ok {
			continue
		}
		if enc != want[i] {
			t.Fatalf("instruction %d (ymm%d, ymm%d, ymm%d): llvm-mc %s, generator %s", i, i/256, i/16%16, i%16, enc, want[i])
		}
		i++
	}
	if i != len(want) {
		t.Fatalf("llvm-mc encoded %d instructions, want %d", i, len(want))
	}
}

// TestSDOTEncoding checks sdotWord against llvm-mc for every register of
// each field and every index (skipped where llvm-mc is not installed).
func TestSDOTEncoding(t *testing.T) {
	mc, err := exec.LookPath("llvm-mc")
	if err != nil {
		t.Skip("llvm-mc not installed")
	}
	var src strings.Builder
	var want []string
	for d := 0; d < 32; d += 3 {
		for n := 0; n < 32; n += 5 {
			for m := 0; m < 32; m++ {
				for i := 0; i < 4; i++ {
					fmt.Fprintf(&src, "sdot v%d.4s, v%d.16b, v%d.4b[%d]\n", d, n, m, i)
					w := sdotWord(d, n, m, i)
					want = append(want, fmt.Sprintf("[0x%02x,0x%02x,0x%02x,0x%02x]", w&255, w>>8&255, w>>16&255, w>>24))
				}
			}
		}
	}
	cmd := exec.Command(mc, "-triple=aarch64", "-mattr=+dotprod", "-show-encoding")
	cmd.Stdin = strings.NewReader(src.String())
	outb, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("llvm-mc: %v\n%s", err, outb)
	}
	i := 0
	for _, line := range strings.Split(string(outb), "\n") {
		_, enc, ok := strings.Cut(line, "encoding: ")
		if !ok {
			continue
		}
		if enc != want[i] {
			t.Fatalf("instruction %d: llvm-mc %s, generator %s", i, enc, want[i])
		}
		i++
	}
	if i != len(want) {
		t.Fatalf("llvm-mc encoded %d instructions, want %d", i, len(want))
	}
}

// TestSMMLAFormula checks smmlaWord against the A64 field layout of SMMLA
// (vector), bit by bit, for every register of each field.
func TestSMMLAFormula(t *testing.T) {
	// 0 1 0 0 1 1 1 0 1 0 0 Rm 1 0 1 0 0 1 Rn Rd, most significant first.
	const fixed = "01001110100" + "mmmmm" + "101001" + "nnnnn" + "ddddd"
	for r := 0; r < 32; r++ {
		for _, regs := range [][3]int{{r, 0, 0}, {0, r, 0}, {0, 0, r}, {r, 31 - r, r ^ 21}} {
			d, n, m := regs[0], regs[1], regs[2]
			var want uint32
			for i, c := range fixed {
				bit := uint32(c - '0')
				switch c {
				case 'd', 'n', 'm':
					v := map[rune]int{'d': d, 'n': n, 'm': m}[c]
					pos := strings.LastIndexByte(fixed, byte(c)) - i // bit of the field, 0 last
					bit = uint32(v>>pos) & 1
				}
				want = want<<1 | bit
			}
			if got := smmlaWord(d, n, m); got != want {
				t.Fatalf("SMMLA V%d.4S, V%d.16B, V%d.16B: %#08x, want %#08x", d, n, m, got, want)
			}
		}
	}
}

// TestSMMLAEncoding checks smmlaWord against llvm-mc for every register
// triple (skipped where llvm-mc is not installed).
func TestSMMLAEncoding(t *testing.T) {
	mc, err := exec.LookPath("llvm-mc")
	if err != nil {
		t.Skip("llvm-mc not installed")
	}
	var src strings.Builder
	var want []string
	for d := 0; d < 32; d++ {
		for n := 0; n < 32; n++ {
			for m := 0; m < 32; m++ {
				fmt.Fprintf(&src, "smmla v%d.4s, v%d.16b, v%d.16b\n", d, n, m)
				w := smmlaWord(d, n, m)
				want = append(want, fmt.Sprintf("[0x%02x,0x%02x,0x%02x,0x%02x]", w&255, w>>8&255, w>>16&255, w>>24))
			}
		}
	}
	cmd := exec.Command(mc, "-triple=aarch64", "-mattr=+i8mm", "-show-encoding")
	cmd.Stdin = strings.NewReader(src.String())
	outb, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("llvm-mc: %v\n%s", err, outb)
	}
	i := 0
	for _, line := range strings.Split(string(outb), "\n") {
		_, enc, ok := strings.Cut(line, "encoding: ")
		if !ok {
			continue
		}
		if enc != want[i] {
			t.Fatalf("instruction %d (v%d, v%d, v%d): llvm-mc %s, generator %s", i, i/1024, i/32%32, i%32, enc, want[i])
		}
		i++
	}
	if i != len(want) {
		t.Fatalf("llvm-mc encoded %d instructions, want %d", i, len(want))
	}
}
