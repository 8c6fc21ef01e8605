//go:build !purego

package kernels

import (
	"fmt"
	"testing"
	"unsafe"
)

// TestNEONAttentionArgsLayout checks the offsets attention_neon_arm64.s
// hard-codes.
func TestNEONAttentionArgsLayout(t *testing.T) {
	var d neonDotRowsArgs
	var a neonAxpyRowsArgs
	for _, f := range []struct {
		name      string
		got, want uintptr
	}{
		{"dot.s", unsafe.Offsetof(d.s), 0}, {"dot.q", unsafe.Offsetof(d.q), 8},
		{"dot.k", unsafe.Offsetof(d.k), 16}, {"dot.nk", unsafe.Offsetof(d.nk), 24},
		{"dot.dh", unsafe.Offsetof(d.dh), 32}, {"dot.ks", unsafe.Offsetof(d.ks), 40},
		{"dot.scale", unsafe.Offsetof(d.scale), 48},
		{"axpy.o", unsafe.Offsetof(a.o), 0}, {"axpy.p", unsafe.Offsetof(a.p), 8},
		{"axpy.v", unsafe.Offsetof(a.v), 16}, {"axpy.nk", unsafe.Offsetof(a.nk), 24},
		{"axpy.dh", unsafe.Offsetof(a.dh), 32}, {"axpy.vs", unsafe.Offsetof(a.vs), 40},
	} {
		if f.got != f.want {
			t.Errorf("%s at offset %d, the assembly reads %d", f.name, f.got, f.want)
		}
	}
}

// neonHeadDims are the head widths of the attention tests: every tail of
// the 64-, 16- and 4-column chunks and the usual 32, 64, 80 and 128.
func neonHeadDims() []int {
	var s []int
	for d := 1; d <= 20; d++ {
		s = append(s, d)
	}
	return append(s, 31, 32, 33, 47, 63, 64, 65, 80, 96, 127, 128, 129, 200)
}

// TestNEONAttentionRows compares dotRows and axpyRows with their twins on
// keys and values at a stride longer than the head (as in a packed QKV
// projection), unaligned, with guard bands around the outputs. dotRows
// sums in another order: 1e-6 of sum |q k| (relative 1e-6 here, values of
// one sign-mixed magnitude); axpyRows sums in the twin's order and may
// fuse where it does not: 1e-6 relative plus 1e-6 absolute.
func TestNEONAttentionRows(t *testing.T) {
	for _, dh := range neonHeadDims() {
		for _, nk := range []int{0, 1, 2, 3, 7, 33} {
			off := dh % 2
			stride := dh + 3
			q := newNEONWindow(dh, off).fill(neonValues(dh, 1, uint64(dh)))
			kv := newNEONWindow(nk*stride, 1-off).fill(neonValues(nk*stride, 1, uint64(dh+nk)))
			what := fmt.Sprintf("dh=%d nk=%d", dh, nk)

			want := make([]float32, nk)
			dotRowsGeneric(want, q.in(), kv.in(), stride, 0.125)
			s := newNEONWindow(nk, off)
			dotRowsNEONGo(s.in(), q.in(), kv.in(), stride, 0.125)
			if err := neonClose(s.in(), want, 1e-6, 1e-6); err != nil {
				t.Errorf("dotRows %s: %v", what, err)
			}
			s.checkGuards(t, "dotRows "+what)

			p := newNEONWindow(nk, 1).fill(neonValues(nk, 1, uint64(nk)))
			wantO := make([]float32, dh)
			axpyRowsGeneric(wantO, p.in(), kv.in(), stride)
			o := newNEONWindow(dh, off).fill(neonValues(dh, 9, 1)) // overwritten, not added to
			axpyRowsNEONGo(o.in(), p.in(), kv.in(), stride)
			if err := neonClose(o.in(), wantO, 1e-6, 1e-6); err != nil {
				t.Errorf("axpyRows %s: %v", what, err)
			}
			o.checkGuards(t, "axpyRows "+what)
		}
	}
}
