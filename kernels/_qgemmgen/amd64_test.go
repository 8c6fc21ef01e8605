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
