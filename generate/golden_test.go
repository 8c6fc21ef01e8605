package generate

import (
	"hash/fnv"
	"math"
	"testing"
)

// goldenDigest is the digest of TestSameBitsEverywhere's results, computed
// on linux/amd64. The test runs on every GOARCH (arm64 under qemu in CI):
// scores and tokens must be the same bits everywhere.
const goldenDigest = 0x0ee71428fc413304

// TestSameBitsEverywhere runs beam search, greedy decoding and sampling on
// random problems with irregular logits and digests every token and the
// bits of every score.
func TestSameBitsEverywhere(t *testing.T) {
	h := fnv.New64a()
	put := func(r Result) {
		var b [8]byte
		for _, tok := range r.Tokens {
			b[0], b[1], b[2], b[3] = byte(tok), byte(tok>>8), byte(tok>>16), byte(tok>>24)
			h.Write(b[:4])
		}
		bits := math.Float64bits(r.Score)
		for i := range b {
			b[i] = byte(bits >> (8 * i))
		}
		h.Write(b[:])
	}
	var buf Buffers
	for trial := range 200 {
		v := 2 + trial%50
		levels := 1000 + trial
		f := func(hist []int32) []float32 {
			row := hashLogits(v, uint64(trial), levels)(hist)
			for i := range row {
				// Explicit conversions keep arm64 from fusing these into FMAs.
				row[i] = float32(row[i]*0.0137) - 3 + float32(float32(row[i]*row[i])*1e-5)
			}
			return row
		}
		o := Options{BOS: 0, EOS: int32(trial % v), MaxLength: 1 + trial%9, Beam: 1 + trial%4,
			Temperature: 0.7, TopK: trial % 5, TopP: []float32{0, 0.5, 0.9}[trial%3], Seed: uint64(trial)}
		for _, alg := range []func(Stepper, Options, *Buffers) (Result, error){Beam, Greedy, Sample} {
			r, err := alg(&toyStepper{v: v, logits: f}, o, &buf)
			if err != nil {
				t.Fatal(err)
			}
			put(r)
		}
	}
	if got := h.Sum64(); got != goldenDigest {
		t.Errorf("digest %#x, want %#x", got, uint64(goldenDigest))
	}
}
