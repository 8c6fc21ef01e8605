//go:build !purego

package kernels

import (
	"fmt"
	"math"
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

// TestNEONAttentionBlocked compares the blocked kernels (16 queries) with
// their twins: tiles of 1 to 130 keys, heads of every chunk tail, keys
// and values at a stride, masked (-Inf) scores, a first step (running
// maximum at the floor) and a later one. scoresT and pvT sum in the twin's
// order (each may fuse where the twin does not): 1e-6 relative plus 1e-6;
// softmaxCols' exp is within 2 ulp of the twin's float64 one: 1e-6
// relative plus 1e-30.
func TestNEONAttentionBlocked(t *testing.T) {
	const qb = neonQueryBlock
	for _, dh := range []int{1, 3, 4, 5, 16, 17, 33, 64, 65, 80, 128} {
		for _, nk := range []int{1, 2, 5, 6, 7, 13, 64, 130} {
			what := fmt.Sprintf("dh=%d nk=%d", dh, nk)
			ks := dh + 5
			k := newNEONWindow(nk*ks, 1).fill(neonValues(nk*ks, 1, uint64(dh*nk)))
			qt := neonValues(dh*qb, 1, uint64(dh))

			want := make([]float32, nk*qb)
			scoresTGeneric(want, qt, k.in(), nk, dh, ks, 0.25)
			st := newNEONWindow(nk*qb, 0)
			scoresTNEON(st.in(), qt, k.in(), nk, dh, ks, 0.25)
			if err := neonClose(st.in(), want, 1e-6, 1e-6); err != nil {
				t.Errorf("scoresT %s: %v", what, err)
			}
			st.checkGuards(t, "scoresT "+what)

			for step := range 2 {
				for i := 3; i < len(want); i += 7 {
					want[i] = float32(math.Inf(-1))
				}
				copy(st.in(), want)
				mlc := make([]float32, 3*qb)
				for r := range qb {
					mlc[r], mlc[qb+r] = -math.MaxFloat32, 0
					if step == 1 {
						mlc[r], mlc[qb+r] = float32(r%5)-2, float32(r+1)
					}
				}
				wantMLC := append([]float32(nil), mlc...)
				softmaxColsGeneric(want, nk, wantMLC)
				softmaxColsNEONGo(st.in(), nk, mlc)
				if err := neonClose(st.in(), want, 1e-6, 1e-30); err != nil {
					t.Errorf("softmaxCols %s step %d: tile: %v", what, step, err)
				}
				if err := neonClose(mlc, wantMLC, 1e-6, 1e-30); err != nil {
					t.Errorf("softmaxCols %s step %d: m, l, c: %v", what, step, err)
				}
				st.checkGuards(t, "softmaxCols "+what)

				vs := dh + 2
				v := newNEONWindow(nk*vs, 0).fill(neonValues(nk*vs, 1, uint64(dh+nk)))
				o0 := neonValues(qb*dh, 1, 3)
				wantO := append([]float32(nil), o0...)
				pvTGeneric(wantO, want, v.in(), wantMLC[2*qb:], nk, dh, vs)
				o := newNEONWindow(qb*dh, 1).fill(o0)
				pvTNEON(o.in(), st.in(), v.in(), mlc[2*qb:], nk, dh, vs)
				if err := neonClose(o.in(), wantO, 1e-6, 1e-6); err != nil {
					t.Errorf("pvT %s step %d: %v", what, step, err)
				}
				o.checkGuards(t, "pvT "+what)
			}
		}
	}
}
