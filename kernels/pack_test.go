package kernels_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/vlmrt/vlmrt/internal/leveltest"
	"github.com/vlmrt/vlmrt/kernels"
)

// TestPackInto checks that weights packed into caller storage, and a
// PackedView of that storage, multiply exactly as weights packed by
// PackKN/PackNK with no bias (the same panels, so bit-identical products), from a strided source, into a buffer full of
// NaN left by a previous use (the padding and the bias must be cleared), and
// that Unpack gives back the matrix and the bias.
func TestPackInto(t *testing.T) {
	leveltest.ForEach(t, func(t *testing.T) {
		l := kernels.Active()
		r := rand.New(rand.NewPCG(3, 4))
		for _, sz := range [][2]int{{0, 5}, {5, 0}, {1, 1}, {7, 33}, {64, 197}, {197, 64}, {33, 17}} {
			k, n := sz[0], sz[1]
			for _, nk := range []bool{false, true} {
				t.Run(fmt.Sprintf("k=%d n=%d nk=%v", k, n, nk), func(t *testing.T) {
					rows, cols := k, n
					if nk {
						rows, cols = n, k
					}
					ld := cols + 3
					src := make([]float32, rows*ld+1)[1:] // unaligned, with gaps between rows
					dense := make([]float32, rows*cols)
					for i := 0; i < rows; i++ {
						for j := 0; j < cols; j++ {
							v := float32(r.NormFloat64())
							src[i*ld+j], dense[i*cols+j] = v, v
						}
					}
					buf := make([]float32, kernels.PackedLen(k, n))
					for i := range buf {
						buf[i] = float32(math.NaN())
					}
					var got kernels.PackedWeights
					var want *kernels.PackedWeights
					var err error
					if nk {
						kernels.PackNKInto(&got, buf, src, ld, n, k)
						want, err = kernels.PackNK(dense, n, k, nil)
					} else {
						kernels.PackKNInto(&got, buf, src, ld, k, n)
						want, err = kernels.PackKN(dense, k, n, nil)
					}
					if err != nil {
						t.Fatal(err)
					}
					if got.K() != k || got.N() != n || got.Level() != l {
						t.Fatalf("packed %d x %d at %v, want %d x %d at %v", got.K(), got.N(), got.Level(), k, n, l)
					}
					m := 5
					a := make([]float32, m*k)
					for i := range a {
						a[i] = float32(r.NormFloat64())
					}
					var view kernels.PackedWeights // a second reader of the same buffer
					kernels.PackedView(&view, buf, k, n)
					c1, c2, c3 := make([]float32, m*n), make([]float32, m*n), make([]float32, m*n)
					got.MatMul(c1, a, m, kernels.ActNone)
					want.MatMul(c2, a, m, kernels.ActNone)
					view.MatMul(c3, a, m, kernels.ActNone)
					for i := range c1 {
						if math.Float32bits(c1[i]) != math.Float32bits(c2[i]) || math.Float32bits(c3[i]) != math.Float32bits(c2[i]) {
							t.Fatalf("C[%d] = %v (view %v), PackKN/PackNK give %v", i, c1[i], c3[i], c2[i])
						}
					}
					w, bias := make([]float32, k*n), make([]float32, n)
					got.Unpack(w, bias)
					for i := 0; i < k; i++ {
						for j := 0; j < n; j++ {
							v := dense[i*n+j]
							if nk {
								v = dense[j*k+i]
							}
							if w[i*n+j] != v {
								t.Fatalf("Unpack: W[%d][%d] = %v, want %v", i, j, w[i*n+j], v)
							}
						}
					}
					for j, v := range bias {
						if v != 0 {
							t.Fatalf("Unpack: bias[%d] = %v, want 0", j, v)
						}
					}
				})
			}
		}
	})
}

// TestUnpackBias checks that Unpack returns the bias PackKN was given.
func TestUnpackBias(t *testing.T) {
	w := []float32{1, 2, 3, 4, 5, 6}
	p, err := kernels.PackKN(w, 2, 3, []float32{7, 8, 9})
	if err != nil {
		t.Fatal(err)
	}
	gw, gb := make([]float32, 6), make([]float32, 3)
	p.Unpack(gw, gb)
	for i := range w {
		if gw[i] != w[i] {
			t.Fatalf("W = %v, want %v", gw, w)
		}
	}
	if gb[0] != 7 || gb[1] != 8 || gb[2] != 9 {
		t.Fatalf("bias = %v, want [7 8 9]", gb)
	}
}

// TestPackIntoShortBuffer checks that a buffer shorter than PackedLen is
// refused with a panic rather than written past.
func TestPackIntoShortBuffer(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("PackKNInto into a short buffer did not panic")
		}
	}()
	var p kernels.PackedWeights
	kernels.PackKNInto(&p, make([]float32, kernels.PackedLen(4, 40)-1), make([]float32, 160), 40, 4, 40)
}

// TestUnpackCols checks column ranges that start and end inside panels and
// cross their boundaries at every level.
func TestUnpackCols(t *testing.T) {
	leveltest.ForEach(t, func(t *testing.T) {
		const k, n = 3, 70
		w, bias := make([]float32, k*n), make([]float32, n)
		for i := range w {
			w[i] = float32(i)
		}
		for j := range bias {
			bias[j] = float32(-j)
		}
		p, err := kernels.PackKN(w, k, n, bias)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range [][2]int{{0, 70}, {0, 1}, {5, 11}, {15, 2}, {16, 16}, {30, 35}, {69, 1}, {40, 0}} {
			c0, width := r[0], r[1]
			got, gotBias := make([]float32, k*width), make([]float32, width)
			p.UnpackCols(got, gotBias, c0, width)
			for i := 0; i < k; i++ {
				for j := 0; j < width; j++ {
					if got[i*width+j] != w[i*n+c0+j] {
						t.Fatalf("[%d, +%d): W[%d][%d] = %v, want %v", c0, width, i, j, got[i*width+j], w[i*n+c0+j])
					}
				}
			}
			for j := range gotBias {
				if gotBias[j] != bias[c0+j] {
					t.Fatalf("[%d, +%d): bias[%d] = %v, want %v", c0, width, j, gotBias[j], bias[c0+j])
				}
			}
		}
	})
}
