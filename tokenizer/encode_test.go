package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// The files in testdata are written by tools/tokref/make_fixtures.py:
// vocabularies trained on the licenses in /usr/share/common-licenses, in
// the shape of CLIP's, GPT-2's and BERT's tokenizer.json, and the ids that
// tools/tokref/reference.py (written from the published algorithms, not
// from this package) gives for a few hundred sentences.

var testTokenizers = []string{"clip", "gpt2", "bert"}

func loadTestTokenizer(t testing.TB, name string) *Tokenizer {
	t.Helper()
	tok, err := Load(filepath.Join("testdata", name+".json"))
	require.NoError(t, err)
	return tok
}

type encodeCase struct {
	Text string  `json:"text"`
	IDs  []int32 `json:"ids"`
}

func loadEncodeCases(t testing.TB) map[string][]encodeCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "encode_cases.json"))
	require.NoError(t, err)
	var f struct {
		Cases map[string][]encodeCase `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(data, &f))
	return f.Cases
}

func TestEncodeMatchesReference(t *testing.T) {
	cases := loadEncodeCases(t)
	for _, name := range testTokenizers {
		tok := loadTestTokenizer(t, name)
		require.NotEmpty(t, cases[name], name)
		t.Run(name, func(t *testing.T) {
			for i, c := range cases[name] {
				enc, err := tok.Encode(c.Text, true)
				require.NoError(t, err, "case %d %q", i, c.Text)
				require.Equal(t, c.IDs, enc.IDs, "case %d %q", i, c.Text)
				require.Len(t, enc.AttentionMask, len(c.IDs))
				require.False(t, enc.Truncated)
			}
		})
	}
}
