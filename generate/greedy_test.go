package generate

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestGreedyBruteForce enumerates every sequence of length maxLen over a
// small vocabulary and keeps those whose every token is the argmax (lowest
// id on ties) of the logits given its prefix, cut after the first EOS:
// exactly one path must remain, and Greedy must return it, as must Beam
// with one hypothesis.
func TestGreedyBruteForce(t *testing.T) {
	var buf Buffers
	for trial := range 60 {
		v, maxLen := 2+trial%3, 1+trial%5
		o := Options{BOS: int32(trial % v), EOS: int32((trial / 2) % v), MaxLength: maxLen}
		f := hashLogits(v, uint64(trial), 2+trial%3)

		var paths [][]int32
		seq := make([]int32, maxLen)
		for code := 0; code < int(math.Pow(float64(v), float64(maxLen))); code++ {
			c := code
			for i := range seq {
				seq[i] = int32(c % v)
				c /= v
			}
			path, ok := argmaxPath(f, o, seq)
			if ok && !slices.ContainsFunc(paths, func(p []int32) bool { return slices.Equal(p, path) }) {
				paths = append(paths, slices.Clone(path))
			}
		}
		if len(paths) != 1 {
			t.Fatalf("trial %d: %d argmax paths", trial, len(paths))
		}
		score, hist := 0.0, []int32{o.BOS}
		for _, tok := range paths[0] {
			row := f(hist)
			_, m, ls, _ := rowStats(row)
			score += logProb(row[tok], m, ls)
			hist = append(hist, tok)
		}

		got, err := Greedy(&toyStepper{v: v, logits: f}, o, &buf)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Tokens, paths[0]) || got.Score != score {
			t.Fatalf("trial %d: Greedy = %v %v, argmax path %v %v", trial, got.Tokens, got.Score, paths[0], score)
		}
		o.Beam = 1
		beam, err := Beam(&toyStepper{v: v, logits: f}, o, nil)
		if err != nil || !slices.Equal(beam.Tokens, paths[0]) || beam.Score != score {
			t.Fatalf("trial %d: Beam(1) = %v %v %v, argmax path %v %v", trial, beam.Tokens, beam.Score, err, paths[0], score)
		}
	}
}

// argmaxPath returns seq cut after its first EOS, and whether each of its
// tokens is the lowest-id argmax given its prefix.
func argmaxPath(f func([]int32) []float32, o Options, seq []int32) ([]int32, bool) {
	hist := []int32{o.BOS}
	for i, tok := range seq {
		row := f(hist)
		best := 0
		for j, x := range row {
			if x > row[best] {
				best = j
			}
		}
		if int32(best) != tok {
			return nil, false
		}
		hist = append(hist, tok)
		if tok == o.EOS {
			return seq[:i+1], true
		}
	}
	return seq, true
}

func TestRowStats(t *testing.T) {
	inf := float32(math.Inf(-1))
	for _, row := range [][]float32{
		{0}, {1, 2, 3}, {-5, 7, 7, 1, 0.5}, {100, -100, 3, 3, 2, 1, 0, -1, -2}, {inf, 2, inf, 1},
	} {
		arg, m, ls, err := rowStats(row)
		if err != nil {
			t.Fatal(err)
		}
		// Reference: the lowest argmax, and a float64 log-sum-exp.
		want := slices.Index(row, slices.Max(row))
		sum := 0.0
		for _, x := range row {
			sum += math.Exp(float64(x) - float64(row[want]))
		}
		if arg != want || m != float64(row[want]) || math.Abs(ls-math.Log(sum)) > 1e-15 {
			t.Errorf("rowStats(%v) = %d %v %v, want %d %v %v", row, arg, m, ls, want, row[want], math.Log(sum))
		}
		total := 0.0
		for _, x := range row {
			total += math.Exp(logProb(x, m, ls))
		}
		if math.Abs(total-1) > 1e-14 {
			t.Errorf("softmax of %v sums to %v", row, total)
		}
	}
}

func TestOptionErrors(t *testing.T) {
	st := func() *toyStepper { return &toyStepper{v: 4, logits: hashLogits(4, 3, 5)} }
	ok := Options{BOS: 0, EOS: 1, MaxLength: 4}
	with := func(f func(*Options)) Options { o := ok; f(&o); return o }
	tests := []struct {
		name string
		run  func(Stepper, Options, *Buffers) (Result, error)
		o    Options
		want string
	}{
		{"MaxLength 0", Greedy, with(func(o *Options) { o.MaxLength = 0 }), "MaxLength 0"},
		{"BOS past V", Greedy, with(func(o *Options) { o.BOS = 4 }), "BOS 4 outside"},
		{"EOS negative", Beam, with(func(o *Options) { o.EOS = -1 }), "EOS -1 outside"},
		{"negative temperature", Sample, with(func(o *Options) { o.Temperature = -1 }), "Temperature -1"},
		{"NaN temperature", Sample, with(func(o *Options) { o.Temperature = float32(math.NaN()) }), "Temperature NaN"},
		{"negative top-k", Sample, with(func(o *Options) { o.TopK = -2 }), "TopK -2"},
		{"top-p above 1", Sample, with(func(o *Options) { o.TopP = 1.5 }), "TopP 1.5"},
		{"beam and sample", Run, with(func(o *Options) { o.Beam, o.Sample = 2, true }), "sampling with beam search"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.run(st(), tc.o, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	failing := &toyStepper{v: 4, logits: func([]int32) []float32 { return []float32{3, 2, 1, 0} }, failAt: 3, failErr: errToy}
	if _, err := Greedy(failing, with(func(o *Options) { o.EOS = 3; o.MaxLength = 9 }), nil); !errors.Is(err, errToy) || !strings.Contains(err.Error(), "step 2") {
		t.Errorf("Greedy with a failing stepper: %v", err)
	}
	nan := &toyStepper{v: 2, logits: func([]int32) []float32 { return []float32{float32(math.NaN()), 1} }}
	if _, err := Greedy(nan, Options{EOS: 1, MaxLength: 2}, nil); !errors.Is(err, ErrNonFinite) {
		t.Errorf("Greedy with NaN logits: %v, want ErrNonFinite", err)
	}
}

func TestRun(t *testing.T) {
	f := hashLogits(5, 11, 7)
	o := Options{BOS: 0, EOS: 4, MaxLength: 6}
	for _, tc := range []struct {
		name string
		o    Options
		alg  func(Stepper, Options, *Buffers) (Result, error)
	}{
		{"greedy", o, Greedy},
		{"beam", Options{BOS: 0, EOS: 4, MaxLength: 6, Beam: 3}, Beam},
		{"sample", Options{BOS: 0, EOS: 4, MaxLength: 6, Sample: true, Seed: 5, TopK: 3}, Sample},
	} {
		got, err1 := Run(&toyStepper{v: 5, logits: f}, tc.o, nil)
		want, err2 := tc.alg(&toyStepper{v: 5, logits: f}, tc.o, nil)
		if err1 != nil || err2 != nil || !slices.Equal(got.Tokens, want.Tokens) || got.Score != want.Score {
			t.Errorf("%s: Run = %v %v, want %v %v", tc.name, got, err1, want, err2)
		}
	}
}

func TestPad(t *testing.T) {
	results := []Result{{Tokens: []int32{5, 6, 2}}, {Tokens: []int32{7}}, {}, {Tokens: []int32{1, 1, 1, 1, 1}}}
	tokens, lengths := Pad(results, 2, 4)
	want := []int32{5, 6, 2, 2, 7, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1}
	if !slices.Equal(tokens, want) || !slices.Equal(lengths, []int32{3, 1, 0, 4}) {
		t.Errorf("Pad = %v %v, want %v [3 1 0 4]", tokens, lengths, want)
	}
	if tokens, lengths := Pad(nil, 2, 4); len(tokens) != 0 || len(lengths) != 0 {
		t.Errorf("Pad(nil) = %v %v", tokens, lengths)
	}
}

func TestExpNonPos(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	worst := 0.0
	for i := range 200000 {
		var x float64
		switch i % 3 {
		case 0:
			x = -rng.Float64() * 708
		case 1:
			x = -rng.Float64() * 40
		default:
			x = -rng.Float64() * 0.02
		}
		got, want := expNonPos(x), math.Exp(x)
		if rel := math.Abs(got-want) / want; rel > worst {
			worst = rel
		}
	}
	// 2 ulp of float64 is 2^-51.
	if worst > 0x1p-51 {
		t.Errorf("expNonPos relative error %g, want at most 2^-51", worst)
	}
	for _, x := range []float64{0, -0.0, -1e-300, -708, -708.1, -745, -1e10, math.Inf(-1), math.NaN()} {
		got, want := expNonPos(x), math.Exp(x)
		if x < expMin || x != x {
			want = 0
		}
		if math.Abs(got-want) > 0x1p-51*want {
			t.Errorf("expNonPos(%v) = %v, want %v", x, got, want)
		}
	}
}

func TestSumExp(t *testing.T) {
	for _, row := range [][]float32{
		{}, {0}, {0, -1}, {0, -1, -2.5}, {-700, -800, float32(math.Inf(-1)), -0.001, 0, -3, -707.9, -708.1},
	} {
		want := 0.0
		for _, x := range row {
			want += math.Exp(float64(x))
		}
		if got := sumExp(row, 0); math.Abs(got-want) > 0x1p-51*want {
			t.Errorf("sumExp(%v) = %v, want %v", row, got, want)
		}
	}
}

func TestLogAtLeast1(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	worst := 0.0
	for i := range 100000 {
		s := 1 + rng.Float64()*float64(int(1)<<(i%20))
		if i%7 == 0 {
			s = 1 + rng.Float64()*1e-6
		}
		got, want := logAtLeast1(s), math.Log(s)
		if err := math.Abs(got-want) / max(want, 1e-300); err > worst && want > 1e-3 {
			worst = err
		}
		if math.Abs(got-want) > 0x1p-52*max(want, 1) {
			t.Fatalf("logAtLeast1(%v) = %v, want %v", s, got, want)
		}
	}
	for _, s := range []float64{1, 2, math.E, 32000, 1e300} {
		if got, want := logAtLeast1(s), math.Log(s); math.Abs(got-want) > 0x1p-52*max(want, 1) {
			t.Errorf("logAtLeast1(%v) = %v, want %v", s, got, want)
		}
	}
	t.Logf("worst relative error %g", worst)
}
