package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/vlmrt/vlmrt/kernels"
)

// TestBenchRows runs each attention and row kernel benchmark once with one
// timed batch and checks the "level.name_us: value" lines, and that bad
// flags are errors.
func TestBenchRows(t *testing.T) {
	if testing.Short() {
		t.Skip("times kernels")
	}
	defer kernels.SetLevel(kernels.Active()) //nolint:errcheck // the active level is supported
	line := regexp.MustCompile(`^\w+\.\w+_us: [0-9.]+$`)
	for _, name := range []string{"attention", "layernorm", "softmax", "sparsemax", "gelu", "silu", "sigmoid", "rows"} {
		var out, errOut bytes.Buffer
		args := []string{"bench", name, "--reps", "1", "--isa", kernels.Best().String()}
		if rc := mainWithArgs(args, &out, &errOut); rc != 0 {
			t.Fatalf("%v: exit %d, %s", args, rc, errOut.String())
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		for _, l := range lines {
			if !line.MatchString(l) || !strings.HasPrefix(l, kernels.Best().String()+".") {
				t.Errorf("%v printed %q", args, l)
			}
		}
	}
	for _, args := range [][]string{
		{"bench", "gelu", "--isa", "sse9"},
		{"bench", "softmax", "-q"},
		{"bench", "layernorm", "extra"},
	} {
		var out, errOut bytes.Buffer
		if rc := mainWithArgs(args, &out, &errOut); rc != 1 {
			t.Errorf("%v: exit %d, want 1", args, rc)
		}
	}
}
