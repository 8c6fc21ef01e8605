package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlmrt/vlmrt/tokenizer"
	"github.com/vlmrt/vlmrt/weights"
)

// The end-to-end fixtures of tools/make_pipeline_fixtures.py (see
// pipeline/pipeline_test.go for the numerical checks).
const pipe = "../../testdata/pipeline/"

func pipelineExpected(t *testing.T) *weights.File {
	t.Helper()
	f, err := weights.Open(pipe + "expected.safetensors")
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

// TestCaptionPrintsTokensWithoutTokenizer checks caption's line format: the
// file, a tab, and the reference's greedy tokens (the fixture's head has
// no tokenizer, so ids are printed).
func TestCaptionPrintsTokensWithoutTokenizer(t *testing.T) {
	want, err := pipelineExpected(t).Int32("caption.tokens")
	require.NoError(t, err)
	code, stdout, stderr := runCmd("caption", "--model", pipe+"caption.safetensors", "--beam", "1", pipe+"photo.png", pipe+"photo.png")
	require.Equal(t, 0, code, stderr)
	line := fmt.Sprintf("%sphoto.png\t%v\n", pipe, want)
	assert.Equal(t, line+line, stdout)
}

// TestAskPrintsAnswerAndProbability checks ask's "<answer>\t<probability>"
// against the reference's answer, and --top.
func TestAskPrintsAnswerAndProbability(t *testing.T) {
	md := pipelineExpected(t).Metadata()
	code, stdout, stderr := runCmd("ask", "--model", pipe+"vqa.safetensors", pipe+"photo.png", md["vqa_text"])
	require.Equal(t, 0, code, stderr)
	fields := strings.Split(strings.TrimSpace(stdout), "\t")
	require.Len(t, fields, 2, stdout)
	assert.Equal(t, md["vqa_answer"], fields[0])
	p, err := strconv.ParseFloat(fields[1], 64)
	require.NoError(t, err)
	assert.True(t, p > 0 && p <= 1, p)

	code, stdout, stderr = runCmd("ask", "--model", pipe+"vqa.safetensors", "--top", "3", pipe+"photo.png", md["vqa_text"])
	require.Equal(t, 0, code, stderr)
	assert.Len(t, strings.Split(strings.TrimSpace(stdout), "\n"), 3)
}

// TestGroundPrintsBoxInPixels checks ground's "x0 y0 x1 y1\tconfidence":
// a box inside the 61 x 43 photo.
func TestGroundPrintsBoxInPixels(t *testing.T) {
	md := pipelineExpected(t).Metadata()
	code, stdout, stderr := runCmd("ground", "--model", pipe+"ground.safetensors", "--threads", "2", pipe+"photo.png", md["ground_text"])
	require.Equal(t, 0, code, stderr)
	var x0, y0, x1, y1, conf float64
	_, err := fmt.Sscanf(stdout, "%g %g %g %g\t%g", &x0, &y0, &x1, &y1, &conf)
	require.NoError(t, err, stdout)
	for _, v := range []float64{x0, x1} {
		assert.True(t, v >= 0 && v <= 61, stdout)
	}
	for _, v := range []float64{y0, y1} {
		assert.True(t, v >= 0 && v <= 43, stdout)
	}
	assert.True(t, conf > 0 && conf < 1, stdout)
}

// TestMatchPrintsTable checks both ways of naming images and texts and the
// table's shape: a header, one row per image with the best text, then the
// texts.
func TestMatchPrintsTable(t *testing.T) {
	for _, args := range [][]string{
		{"match", "--model", pipe + "clip48", "--image", pipe + "photo.png", "--text", "a green disc", "--text", "stripes"},
		{"match", "--model", pipe + "clip48", pipe + "photo.png", "--", "a green disc", "stripes"},
	} {
		code, stdout, stderr := runCmd(args...)
		require.Equal(t, 0, code, stderr)
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		require.Len(t, lines, 4, stdout)
		assert.Regexp(t, `^image\s+0\s+1\s+best\s+probability$`, lines[0])
		assert.Regexp(t, `photo\.png\s+-?[0-9.]+\s+-?[0-9.]+\s+"(a green disc|stripes)"\s+[0-9.]+$`, lines[1])
		assert.Equal(t, `text 1: "stripes"`, lines[3])
	}
}

// TestEmbedAndPreprocessWriteFiles checks that embed writes the encoder's
// outputs for images and for texts, and preprocess the pixel values.
func TestEmbedAndPreprocessWriteFiles(t *testing.T) {
	dir := t.TempDir()
	tok, err := tokenizer.Load(pipe + "clip48/tokenizer.json")
	require.NoError(t, err)
	enc, err := tok.Encode("a green disc", true) // the longer text, in CLIP's BPE ids
	require.NoError(t, err)
	longest := len(enc.IDs)
	cases := []struct {
		args  []string
		names map[string][]int
	}{
		{[]string{"embed", "--model", pipe + "clip48", "--image", pipe + "photo.png", "--image", pipe + "photo.png"},
			map[string][]int{"output.image_embeds": {2, 32}, "output.last_hidden_state": {2, 17, 48}, "output.pooler_output": {2, 48}}},
		{[]string{"embed", "--model", pipe + "clip48", "--text", "a green disc", "--text", "the disc"},
			map[string][]int{"output.text_embeds": {2, 32}, "output.last_hidden_state": {2, longest, 48}, "output.pooler_output": {2, 48}}},
		{[]string{"preprocess", "--model", pipe + "vqa.safetensors", pipe + "photo.png"},
			map[string][]int{"output.pixel_values": {1, 3, 32, 32}}},
	}
	for i, c := range cases {
		out := filepath.Join(dir, fmt.Sprintf("%d.safetensors", i))
		code, _, stderr := runCmd(append(c.args, "--out", out)...)
		require.Equal(t, 0, code, stderr)
		f, err := weights.Open(out)
		require.NoError(t, err)
		got := map[string][]int{}
		for _, info := range f.Tensors() {
			got[info.Name] = info.Shape
		}
		f.Close()
		assert.Equal(t, c.names, got, c.args)
	}
}

// TestPipelineCommandsRejectBadInput checks that each bad input gives exit
// status 1 and one line on stderr that names the problem.
func TestPipelineCommandsRejectBadInput(t *testing.T) {
	notImage := filepath.Join(t.TempDir(), "notes.png")
	require.NoError(t, os.WriteFile(notImage, []byte("not an image"), 0o644))
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"missing image", []string{"caption", "--model", pipe + "caption.safetensors", pipe + "nothing.png"}, "nothing.png"},
		{"not an image", []string{"ask", "--model", pipe + "vqa.safetensors", notImage, "what?"}, "notes.png"},
		{"wrong task", []string{"ask", "--model", pipe + "caption.safetensors", pipe + "photo.png", "what?"}, "has no head for this task"},
		{"encoder alone cannot caption", []string{"caption", "--model", pipe + "clip48", pipe + "photo.png"}, "an encoder alone"},
		{"no question", []string{"ask", "--model", pipe + "vqa.safetensors", pipe + "photo.png"}, "want an image and a question"},
		{"no model", []string{"ground", pipe + "photo.png", "x"}, "--model is required"},
		{"head without encoder", []string{"ask", "--model", keras + "vqa_attention.safetensors", pipe + "photo.png", "x"}, "no encoder for the head"},
		{"embed both", []string{"embed", "--model", pipe + "clip48", "--image", pipe + "photo.png", "--text", "x", "--out", notImage}, "either --image or --text"},
		{"match without --", []string{"match", "--model", pipe + "clip48", pipe + "photo.png", "x"}, "separate images from texts with --"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runCmd(c.args...)
			assert.Equal(t, 1, code)
			assert.Contains(t, stderr, c.want)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), stderr)
		})
	}
}
