// Package leveltest runs a test once per kernel level that the CPU supports.
package leveltest

import (
	"os"
	"strings"
	"testing"

	"github.com/vlmrt/vlmrt/kernels"
)

// ForEach runs fn as a subtest named after each level this CPU supports,
// with that level active, and restores the previous level afterwards.
//
// When VLMRT_REQUIRE_LEVELS is set (to a list such as "avx2,avx512"), a required level the CPU lacks fails the test, so that a
// CI machine that should run every level cannot silently skip one.
func ForEach(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	prev := kernels.Active()
	defer func() {
		if err := kernels.SetLevel(prev); err != nil {
			t.Fatal(err)
		}
	}()
	for _, name := range fieldsOf(os.Getenv("VLMRT_REQUIRE_LEVELS")) {
		l, err := kernels.ParseLevel(name)
		if err != nil {
			t.Fatalf("VLMRT_REQUIRE_LEVELS: %v", err)
		}
		if !l.Supported() {
			t.Fatalf("VLMRT_REQUIRE_LEVELS names %s, which this CPU lacks", l)
		}
	}
	for _, l := range kernels.Levels() {
		if err := kernels.SetLevel(l); err != nil {
			t.Fatal(err)
		}
		t.Run(l.String(), fn)
	}
}

func fieldsOf(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
}

// ForEachB is ForEach for benchmarks.
func ForEachB(b *testing.B, fn func(b *testing.B)) {
	prev := kernels.Active()
	defer kernels.SetLevel(prev) //nolint:errcheck // prev was supported
	for _, l := range kernels.Levels() {
		if err := kernels.SetLevel(l); err != nil {
			b.Fatal(err)
		}
		b.Run(l.String(), fn)
	}
}
