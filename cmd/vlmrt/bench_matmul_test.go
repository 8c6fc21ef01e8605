package main

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/vlmrt/vlmrt/kernels"
)

// TestBenchMatMul runs "vlmrt bench matmul" on a small product at every
// level this CPU has and checks the line it prints, and that bad flags are
// errors.
func TestBenchMatMul(t *testing.T) {
	defer kernels.SetLevel(kernels.Active()) //nolint:errcheck // the active level is supported
	line := regexp.MustCompile(`^matmul 3x17x40 \w+ threads=1: .*[0-9.]+ GFLOP/s\n$`)
	for _, isa := range []string{"", "generic"} {
		var out, errOut bytes.Buffer
		args := []string{"bench", "matmul", "-m", "3", "-k", "17", "-n", "40", "--threads", "1"}
		if isa != "" {
			args = append(args, "--isa", isa)
		}
		if rc := mainWithArgs(args, &out, &errOut); rc != 0 {
			t.Fatalf("%v: exit %d, %s", args, rc, errOut.String())
		}
		if !line.MatchString(out.String()) {
			t.Errorf("%v printed %q", args, out.String())
		}
	}
	for _, args := range [][]string{
		{"bench", "matmul", "-m", "0"},
		{"bench", "matmul", "--isa", "sse9"},
		{"bench", "matmul", "-q"},
	} {
		var out, errOut bytes.Buffer
		if rc := mainWithArgs(args, &out, &errOut); rc != 1 {
			t.Errorf("%v: exit %d, want 1", args, rc)
		}
	}
}
