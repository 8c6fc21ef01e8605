package generate

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

func TestSampleSeed(t *testing.T) {
	f := hashLogits(7, 5, 4)
	o := Options{BOS: 0, EOS: 6, MaxLength: 40, Sample: true, Temperature: 1.5, Seed: 42}
	var buf Buffers
	first, err := Sample(&toyStepper{v: 7, logits: f}, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	first.Tokens = slices.Clone(first.Tokens)
	for range 3 {
		again, err := Sample(&toyStepper{v: 7, logits: f}, o, &buf)
		if err != nil || !slices.Equal(again.Tokens, first.Tokens) || again.Score != first.Score {
			t.Fatalf("same seed: %v %v, first %v %v", again.Tokens, err, first.Tokens, first.Score)
		}
	}
	differs := false
	for seed := range uint64(10) {
		o.Seed = seed + 100
		other, err := Sample(&toyStepper{v: 7, logits: f}, o, &buf)
		if err != nil {
			t.Fatal(err)
		}
		differs = differs || !slices.Equal(other.Tokens, first.Tokens)
	}
	if !differs {
		t.Error("ten other seeds all gave the same tokens")
	}
}

// TestSampleNarrowIsGreedy checks that top-k 1, or a tiny top-p, keeps only
// the most likely token (the lowest id on ties), as greedy decoding does.
func TestSampleNarrowIsGreedy(t *testing.T) {
	for trial := range 20 {
		f := hashLogits(6, uint64(trial), 3)
		o := Options{BOS: 0, EOS: 5, MaxLength: 12, Seed: uint64(trial)}
		want, err := Greedy(&toyStepper{v: 6, logits: f}, o, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, narrow := range []Options{{TopK: 1}, {TopP: 1e-6}, {TopK: 4, TopP: 1e-6}} {
			o.TopK, o.TopP, o.Temperature = narrow.TopK, narrow.TopP, narrow.Temperature
			got, err := Sample(&toyStepper{v: 6, logits: f}, o, nil)
			if err != nil || !slices.Equal(got.Tokens, want.Tokens) || got.Score != want.Score {
				t.Fatalf("trial %d %+v: Sample = %v %v %v, greedy %v %v", trial, narrow, got.Tokens, got.Score, err, want.Tokens, want.Score)
			}
		}
	}
}

// TestSampleDistribution draws many tokens from fixed probabilities
// .1 .2 .3 .4 (and EOS with probability 0) and compares the frequencies
// with those each option asks for. The tolerance, 0.015, is over four
// standard deviations of a frequency from 20000 draws.
func TestSampleDistribution(t *testing.T) {
	p := []float64{.1, .2, .3, .4}
	pow := func(e float64) []float64 {
		q := make([]float64, len(p))
		sum := 0.0
		for i := range p {
			q[i] = math.Pow(p[i], e)
			sum += q[i]
		}
		for i := range q {
			q[i] /= sum
		}
		return q
	}
	tests := []struct {
		name string
		o    Options
		want []float64
	}{
		{"temperature 1", Options{}, p},
		{"temperature 2", Options{Temperature: 2}, pow(0.5)},
		{"temperature 0.5", Options{Temperature: 0.5}, pow(2)},
		{"top-k 2", Options{TopK: 2}, []float64{0, 0, 3. / 7, 4. / 7}},
		{"top-k 4 of 5 keeps all", Options{TopK: 4}, p},
		{"top-p .45 keeps two", Options{TopP: .45}, []float64{0, 0, 3. / 7, 4. / 7}},
		{"top-p .35 keeps one", Options{TopP: .35}, []float64{0, 0, 0, 1}},
		{"top-k 3 then top-p .6 of those", Options{TopK: 3, TopP: .6}, []float64{0, 0, 3. / 7, 4. / 7}},
	}
	const draws = 20000
	logits := []float32{float32(math.Log(.1)), float32(math.Log(.2)), float32(math.Log(.3)), float32(math.Log(.4)), float32(math.Inf(-1))}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := &constStepper{row: logits}
			o := tc.o
			o.BOS, o.EOS, o.MaxLength, o.Seed = 0, 4, draws, 7
			got, err := Sample(st, o, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Tokens) != draws {
				t.Fatalf("%d tokens, want %d", len(got.Tokens), draws)
			}
			count := make([]float64, 5)
			for _, tok := range got.Tokens {
				count[tok]++
			}
			for i, w := range tc.want {
				if f := count[i] / draws; math.Abs(f-w) > 0.015 {
					t.Errorf("token %d: frequency %.4f, want %.4f", i, f, w)
				}
			}
			if count[4] != 0 {
				t.Errorf("EOS of probability 0 drawn %v times", count[4])
			}
		})
	}
}

// TestPickMatchesFullSort checks the threshold shortcut of pick against
// the rule applied to a full sort, with the same random numbers, on rows
// with long tails and ties.
func TestPickMatchesFullSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var sb samplerBuffers
	for trial := range 300 {
		v := 1 + rng.IntN(300)
		row := make([]float32, v)
		for i := range row {
			switch trial % 3 {
			case 0: // long tail
				row[i] = float32(-0.2 * float64(rng.IntN(400)))
			case 1: // ties
				row[i] = float32(rng.IntN(4))
			default:
				row[i] = float32(rng.NormFloat64() * 3)
			}
		}
		topK := []int{0, 1, 2, 5, 50, 1000}[trial%6]
		topP := []float64{1, 0.5, 0.9, 0.99, 0.999999, 1e-9}[(trial/6)%6]
		invT := []float64{1, 0.5, 3}[trial%3]
		_, m, _, _ := rowStats(row)
		sb.pcg.Seed(uint64(trial), 0)
		ref := samplerBuffers{}
		ref.pcg.Seed(uint64(trial), 0)
		for draw := range 5 {
			got := sb.pick(row, m, invT, topK, topP)
			want := refPick(&ref, row, m, invT, topK, topP)
			if got != want {
				t.Fatalf("trial %d draw %d (V=%d top-k %d top-p %v 1/T %v): pick %d, full sort %d", trial, draw, v, topK, topP, invT, got, want)
			}
		}
	}
}

// refPick is pick's rule without the threshold shortcut.
func refPick(sb *samplerBuffers, row []float32, m, invT float64, topK int, topP float64) int {
	w := make([]float64, len(row))
	total := 0.0
	for i, x := range row {
		w[i] = expNonPos(float64((float64(x) - m) * invT))
		total += w[i]
	}
	if topK >= len(row) {
		topK = 0
	}
	order := make([]int32, len(row))
	for i := range order {
		order[i] = int32(i)
	}
	if topK > 0 || topP < 1 {
		sort.SliceStable(order, func(i, j int) bool { return w[order[i]] > w[order[j]] })
		if topK > 0 {
			order = order[:topK]
		}
		if topP < 1 {
			kept := total
			if topK > 0 {
				kept = 0
				for _, id := range order {
					kept += w[id]
				}
			}
			acc := 0.0
			for j, id := range order {
				acc += w[id]
				if acc >= topP*kept {
					order = order[:j+1]
					break
				}
			}
		}
	}
	kept := 0.0
	for _, id := range order {
		kept += w[id]
	}
	u := sb.uniform() * kept
	acc := 0.0
	for _, id := range order {
		if w[id] > 0 {
			acc += w[id]
			if u < acc {
				return int(id)
			}
		}
	}
	panic("no token drawn")
}

// constStepper returns the same logits row at every step for every slot,
// and allocates nothing.
type constStepper struct {
	row      []float32
	live     int
	steps    int
	reorders int
}

func (s *constStepper) Vocab() int              { return len(s.row) }
func (s *constStepper) Reset(int) error         { s.live, s.steps, s.reorders = 0, 0, 0; return nil }
func (s *constStepper) Reorder(src []int) error { s.live = len(src); s.reorders++; return nil }
func (s *constStepper) Step(tokens []int32, logits []float32) error {
	for i := range tokens {
		copy(logits[i*len(s.row):], s.row)
	}
	s.live = len(tokens)
	s.steps++
	return nil
}
