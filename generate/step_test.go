package generate

import (
	"math"
	"slices"
	"testing"

	"github.com/vlmrt/vlmrt/parallel"
)

// TestChunkedRows checks the normaliser and Beam on rows longer than one
// chunk: the argmax across chunk boundaries (ties to the lowest index),
// the log-sum-exp against a plain float64 sum, and Beam with and without a
// Pool against the plain reference.
func TestChunkedRows(t *testing.T) {
	v := 2*chunkLen + 123
	row := make([]float32, v)
	for i := range row {
		row[i] = float32(math.Sin(float64(i)*0.37)) * 5
	}
	row[chunkLen-1], row[chunkLen], row[2*chunkLen+5] = 9, 9, 9
	arg, m, ls, err := rowStats(row)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, x := range row {
		sum += math.Exp(float64(x) - 9)
	}
	if arg != chunkLen-1 || m != 9 || math.Abs(ls-math.Log(sum)) > 1e-13 {
		t.Errorf("rowStats = %d %v %v, want %d 9 %v", arg, m, ls, chunkLen-1, math.Log(sum))
	}
	row[2*chunkLen+7] = float32(math.NaN())
	if _, _, _, err := rowStats(row); err == nil {
		t.Error("NaN in the last chunk not reported")
	}

	pool := parallel.New(4)
	var plain, pooled Buffers
	pooled.Pool = pool
	trials := 8
	if testing.Short() {
		trials = 3
	}
	for trial := range trials {
		v := chunkLen + 1 + trial*700
		f := hashLogits(v, uint64(trial), 40+trial)
		o := Options{BOS: 1, EOS: int32(trial * 977 % v), MaxLength: 2 + trial%4, Beam: 1 + trial%4}
		a, err := Beam(&toyStepper{v: v, logits: f}, o, &plain)
		if err != nil {
			t.Fatal(err)
		}
		a.Tokens = slices.Clone(a.Tokens)
		b, err := Beam(&toyStepper{v: v, logits: f}, o, &pooled)
		if err != nil {
			t.Fatal(err)
		}
		want := refBeam(f, o)
		if !slices.Equal(a.Tokens, want.Tokens) || a.Score != want.Score || !slices.Equal(b.Tokens, want.Tokens) || b.Score != want.Score {
			t.Fatalf("trial %d (V=%d %+v): Beam %v %v, on a pool %v %v, reference %v %v", trial, v, o, a.Tokens, a.Score, b.Tokens, b.Score, want.Tokens, want.Score)
		}
		g1, _ := Greedy(&toyStepper{v: v, logits: f}, o, &plain)
		g1.Tokens = slices.Clone(g1.Tokens)
		g2, _ := Greedy(&toyStepper{v: v, logits: f}, o, &pooled)
		if !slices.Equal(g1.Tokens, g2.Tokens) || g1.Score != g2.Score {
			t.Fatalf("trial %d: Greedy %v %v, on a pool %v %v", trial, g1.Tokens, g1.Score, g2.Tokens, g2.Score)
		}
	}
}
