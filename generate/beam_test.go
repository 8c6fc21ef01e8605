package generate

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// Tokens of the hand-made beam cases: 0 is BOS, 1 is EOS, 2..4 are words.
// rows[t] holds the probabilities after token t (rows[0] after BOS).
const (
	bos int32 = 0
	eos int32 = 1
)

// logp is the log-softmax of the table's logits log(p): log(p[t] / sum(p)).
func logp(rows map[int32][]float64, after, t int32) float64 {
	sum := 0.0
	for _, q := range rows[after] {
		sum += q
	}
	return math.Log(rows[after][t] / sum)
}

func TestBeamHandComputed(t *testing.T) {
	tests := []struct {
		name      string
		beam, max int
		rows      map[int32][]float64
		want      []int32
		score     float64 // computed with logp
		steps     int     // Step calls
		reorders  int     // Reorder calls
	}{
		{
			// Step 1: EOS .4 finishes F1=[EOS]; 2 (.3) and 3 (.2) live.
			// Step 2: [3 EOS] .18 finishes F2, [2 EOS] .15 finishes F3:
			// three finished >= beam 2, so it stops at once (max 10).
			// By score/length F2 (log .18 / 2 = -0.857) beats F1
			// (log .4 = -0.916): the longer one wins.
			name: "EOS finishes, early stop at beam finished, longer wins by normalisation",
			beam: 2, max: 10,
			rows: map[int32][]float64{
				0: {.001, .4, .3, .2, .099},
				2: {.001, .5, .1, .1, .299},
				3: {.001, .9, .001, .001, .097},
			},
			want: []int32{3, 1}, steps: 2, reorders: 1,
		},
		{
			// As above with EOS .6 first: F1 = log .6 = -0.51 beats
			// F2 = log(.15 * .9) / 2 = -1.0: the shorter one wins.
			name: "shorter wins by normalisation",
			beam: 2, max: 10,
			rows: map[int32][]float64{
				0: {.001, .6, .2, .15, .049},
				2: {.001, .5, .1, .1, .299},
				3: {.001, .9, .001, .001, .097},
			},
			want: []int32{1}, steps: 2, reorders: 1,
		},
		{
			// Step 1: 2 and 3 tie; the lower id comes first (live 0 = [2]).
			// Step 2: the four candidates (live, EOS) and (live, 4) all
			// tie: walk (0 EOS) finishes [2 EOS], (0 4) live, (1 EOS)
			// finishes [3 EOS], (1 4) live. The two finished tie on
			// score/length: the first finished wins.
			name: "ties: lower live index, lower token id, first finished",
			beam: 2, max: 10,
			rows: map[int32][]float64{
				0: {.001, .198, .4, .4, .001},
				2: {.001, .4985, .001, .001, .4985},
				3: {.001, .4985, .001, .001, .4985},
			},
			want: []int32{2, 1}, steps: 2, reorders: 1,
		},
		{
			// Step 1: 2 (.35) live, EOS (.3) finishes [EOS], 3 and 4 live.
			// Step 2 (= max length): [2 2] .315, [3 4] .249, [4 4] .0986
			// live. One finished < beam 3: the live ones join, and
			// [2 2] (log .315 / 2 = -0.58) beats [EOS] (log .3 = -1.2).
			name: "live hypotheses join the finished list at max length",
			beam: 3, max: 2,
			rows: map[int32][]float64{
				0: {.001, .3, .35, .25, .099},
				2: {.001, .001, .9, .097, .001},
				3: {.001, .001, .001, .001, .996},
				4: {.001, .001, .001, .001, .996},
			},
			want: []int32{2, 2}, steps: 2, reorders: 1,
		},
		{
			// The walk stops when the live set is full, before EOS (.2).
			name: "max length 1, EOS not reached by the walk",
			beam: 2, max: 1,
			rows: map[int32][]float64{0: {.001, .2, .5, .298, .001}},
			want: []int32{2}, steps: 1,
		},
		{
			// Beam 1 is greedy: 3, then 4 (ties with 2? no: .5 > .3), EOS.
			name: "beam 1",
			beam: 1, max: 10,
			rows: map[int32][]float64{
				0: {.001, .1, .3, .5, .099},
				3: {.001, .1, .3, .1, .499},
				4: {.001, .9, .001, .001, .097},
			},
			want: []int32{3, 4, 1}, steps: 3,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := &toyStepper{v: len(tc.rows[0]), logits: tableLogits(tc.rows)}
			o := Options{BOS: bos, EOS: eos, MaxLength: tc.max, Beam: tc.beam}
			got, err := Beam(st, o, nil)
			if err != nil {
				t.Fatal(err)
			}
			score, prev := 0.0, bos
			for _, tok := range tc.want {
				score += logp(tc.rows, prev, tok)
				prev = tok
			}
			if !slices.Equal(got.Tokens, tc.want) || math.Abs(got.Score-score) > 1e-6 {
				t.Errorf("Beam = %v score %.6f, want %v score %.6f", got.Tokens, got.Score, tc.want, score)
			}
			if st.steps != tc.steps || st.reorders != tc.reorders {
				t.Errorf("%d steps, %d reorders; want %d, %d", st.steps, st.reorders, tc.steps, tc.reorders)
			}
			ref := refBeam(tableLogits(tc.rows), o)
			if !slices.Equal(got.Tokens, ref.Tokens) || got.Score != ref.Score {
				t.Errorf("reference beam search gives %v score %v", ref.Tokens, ref.Score)
			}
		})
	}
}

func TestBeamOnlyEOS(t *testing.T) {
	// With EOS the only token, the first step finishes the only hypothesis
	// and leaves no live one.
	st := &toyStepper{v: 1, logits: func([]int32) []float32 { return []float32{3} }}
	got, err := Beam(st, Options{BOS: 0, EOS: 0, MaxLength: 5, Beam: 3}, nil)
	if err != nil || !slices.Equal(got.Tokens, []int32{0}) || got.Score != 0 || st.steps != 1 {
		t.Errorf("Beam = %+v, %v after %d steps; want [0] score 0 after 1 step", got, err, st.steps)
	}
}

// TestBeamMatchesReference compares Beam with the plain reference on many
// random small problems whose logits depend on the whole history and tie
// often, reusing one Buffers across sizes.
func TestBeamMatchesReference(t *testing.T) {
	var buf Buffers
	trials := 600
	if testing.Short() {
		trials = 150
	}
	for trial := range trials {
		seed := uint64(trial)
		v := 1 + trial%6
		o := Options{
			BOS:       int32((trial / 6) % v),
			EOS:       int32((trial / 3) % v),
			MaxLength: 1 + (trial/7)%6,
			Beam:      1 + (trial/5)%4,
		}
		f := hashLogits(v, seed, 2+trial%4)
		st := &toyStepper{v: v, logits: f}
		got, err := Beam(st, o, &buf)
		if err != nil {
			t.Fatalf("trial %d %+v: %v", trial, o, err)
		}
		want := refBeam(f, o)
		if !slices.Equal(got.Tokens, want.Tokens) || got.Score != want.Score {
			t.Fatalf("trial %d (V=%d %+v): Beam = %v %v, reference %v %v", trial, v, o, got.Tokens, got.Score, want.Tokens, want.Score)
		}
	}
}

func TestBeamErrors(t *testing.T) {
	nan := float32(math.NaN())
	tests := []struct {
		name   string
		st     *toyStepper
		o      Options
		errSub string
	}{
		{"NaN logit", &toyStepper{v: 3, logits: func([]int32) []float32 { return []float32{0, nan, 1} }},
			Options{EOS: 1, MaxLength: 3, Beam: 2}, "step 0: hypothesis 0: logits not finite"},
		{"+Inf logit", &toyStepper{v: 3, logits: func([]int32) []float32 { return []float32{0, float32(math.Inf(1)), 1} }},
			Options{EOS: 1, MaxLength: 3, Beam: 2}, "logits not finite"},
		{"all -Inf", &toyStepper{v: 2, logits: func([]int32) []float32 { return []float32{float32(math.Inf(-1)), float32(math.Inf(-1))} }},
			Options{EOS: 1, MaxLength: 3, Beam: 2}, "logits not finite"},
		{"stepper error", &toyStepper{v: 3, logits: hashLogits(3, 1, 5), failAt: 2, failErr: errToy},
			Options{EOS: 2, MaxLength: 5, Beam: 2}, "step 1: toy failure"},
		{"negative beam", &toyStepper{v: 3}, Options{EOS: 1, MaxLength: 3, Beam: -1}, "Beam -1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Beam(tc.st, tc.o, nil)
			if err == nil || !strings.Contains(err.Error(), tc.errSub) {
				t.Errorf("error %v, want one containing %q", err, tc.errSub)
			}
		})
	}
}
