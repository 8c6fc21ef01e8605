package metrics

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// reference holds the metrics of tools/shapes/evaluate.py on seeded cases
// (tools/make_metrics_fixture.py).
type reference struct {
	CaptionSets []struct {
		Candidates, References []string
		BLEU4                  float64   `json:"bleu4"`
		Precisions             []float64 `json:"precisions"`
		BrevityPenalty         float64   `json:"brevity_penalty"`
		CIDErD                 float64   `json:"cider_d"`
		CIDErDScores           []float64 `json:"cider_d_scores"`
	} `json:"caption_sets"`
	IoU []struct {
		A, B [4]float64
		IoU  float64 `json:"iou"`
	} `json:"iou"`
	Recall []struct {
		Sim    [][]float32
		Recall map[string]float64
	} `json:"recall"`
}

func loadReference(t *testing.T) reference {
	t.Helper()
	data, err := os.ReadFile("testdata/reference.json")
	require.NoError(t, err)
	var r reference
	require.NoError(t, json.Unmarshal(data, &r))
	require.NotEmpty(t, r.CaptionSets)
	return r
}

func tokenizeAll(texts []string) [][]string {
	out := make([][]string, len(texts))
	for i, t := range texts {
		out[i] = Tokenize(t)
	}
	return out
}

// TestCaptionMetricsMatchPython checks corpus BLEU-4 and CIDEr-D against
// the Python definitions on sets of 1, 5 and 40 captions (exact copies,
// edits and unrelated ones) to 1e-12.
func TestCaptionMetricsMatchPython(t *testing.T) {
	for _, c := range loadReference(t).CaptionSets {
		cands, refs := tokenizeAll(c.Candidates), tokenizeAll(c.References)
		b := CorpusBLEU(cands, refs, 4)
		assert.InDelta(t, c.BLEU4, b.Score, 1e-12)
		assert.InDeltaSlice(t, c.Precisions, b.Precisions, 1e-12)
		if c.BLEU4 > 0 {
			assert.InDelta(t, c.BrevityPenalty, b.BrevityPenalty, 1e-12)
		}
		nested := make([][][]string, len(refs))
		for i, r := range refs {
			nested[i] = [][]string{r}
		}
		mean, scores := CIDErD(cands, nested)
		assert.InDelta(t, c.CIDErD, mean, 1e-9)
		assert.InDeltaSlice(t, c.CIDErDScores, scores, 1e-9)
	}
}

// TestIoUAndRecallMatchPython checks IoU on random boxes and recall@1/5
// both ways, ties included, against the Python definitions.
func TestIoUAndRecallMatchPython(t *testing.T) {
	r := loadReference(t)
	for _, c := range r.IoU {
		got := IoU(Box{c.A[0], c.A[1], c.A[2], c.A[3]}, Box{c.B[0], c.B[1], c.B[2], c.B[3]})
		assert.InDelta(t, c.IoU, got, 1e-12)
	}
	for _, c := range r.Recall {
		for _, k := range []int{1, 5} {
			i2t, t2i := Recall(c.Sim, k)
			assert.InDelta(t, c.Recall[map[int]string{1: "i2t_R@1", 5: "i2t_R@5"}[k]], i2t, 1e-7) // torch gives float32 means
			assert.InDelta(t, c.Recall[map[int]string{1: "t2i_R@1", 5: "t2i_R@5"}[k]], t2i, 1e-7) // torch gives float32 means
		}
	}
}

// TestMetricsByHand checks worked cases: tokenisation, a perfect and a
// disjoint corpus, a short candidate's brevity penalty, and IoU edge
// cases.
func TestMetricsByHand(t *testing.T) {
	assert.Equal(t, []string{"a", "red", "circle", "left", "of"}, Tokenize("A red circle , left  of ?"))
	same := [][]string{Tokenize("a small red circle left of a blue square")}
	assert.InDelta(t, 1, CorpusBLEU(same, same, 4).Score, 1e-15)
	assert.Zero(t, CorpusBLEU([][]string{{"x", "y", "z", "w"}}, same, 4).Score)
	short := CorpusBLEU([][]string{Tokenize("a small red circle")}, same, 4)
	assert.InDelta(t, 1, short.Precisions[0], 1e-15)
	assert.InDelta(t, 0.2865047968601901, short.BrevityPenalty, 1e-15, "exp(1 - 9/4)")
	for _, c := range []struct {
		name string
		a, b Box
		want float64
	}{
		{"same box", Box{0, 0, 2, 2}, Box{0, 0, 2, 2}, 1},
		{"half overlap", Box{0, 0, 2, 2}, Box{1, 0, 3, 2}, 1.0 / 3},
		{"disjoint", Box{0, 0, 1, 1}, Box{2, 2, 3, 3}, 0},
		{"empty boxes", Box{1, 1, 1, 1}, Box{1, 1, 1, 1}, 0},
		{"inverted box", Box{2, 2, 0, 0}, Box{0, 0, 2, 2}, 0},
	} {
		assert.InDelta(t, c.want, IoU(c.a, c.b), 1e-15, c.name)
	}
}
