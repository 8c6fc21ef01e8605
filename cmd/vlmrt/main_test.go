package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/weights"
)

// runCmd runs the command with args and returns its status, stdout and stderr.
func runCmd(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := mainWithArgs(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

const keras = "../../testdata/keras/"

func TestRunWritesOutputs(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.safetensors")
	code, stdout, stderr := runCmd("run", "--model", keras+"vqa_attention.safetensors",
		"--inputs", keras+"vqa_attention.safetensors", "--out", out, "--threads", "2")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "wrote 1 outputs")
	f, err := weights.Open(out)
	require.NoError(t, err)
	defer f.Close()
	got, err := f.Float32("output.answer_logits")
	require.NoError(t, err)
	ref, err := weights.Open(keras + "vqa_attention.safetensors")
	require.NoError(t, err)
	defer ref.Close()
	want, err := ref.Float32("output.answer_logits")
	require.NoError(t, err)
	assert.InDeltaSlice(t, want, got, 1e-4)
}

func TestRunOneTaskOfMultiTask(t *testing.T) {
	prev := kernels.Active()
	t.Cleanup(func() { _ = kernels.SetLevel(prev) })
	out := filepath.Join(t.TempDir(), "out.safetensors")
	code, _, stderr := runCmd("run", "--model", keras+"multitask.safetensors",
		"--inputs", keras+"multitask.safetensors", "--out", out, "--task", "grounding", "--isa", "generic")
	require.Equal(t, 0, code, stderr)
	f, err := weights.Open(out)
	require.NoError(t, err)
	defer f.Close()
	var names []string
	for _, info := range f.Tensors() {
		names = append(names, info.Name)
	}
	assert.Equal(t, []string{"output.grounding.bbox", "output.grounding.confidence", "output.grounding.grounded_features"}, names)
}

// TestBadInputIsOneLineError checks that bad input gives status 1 and one
// clear line on stderr.
func TestBadInputIsOneLineError(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing model", []string{"run", "--model", filepath.Join(dir, "none.safetensors"), "--inputs", "x", "--out", "y"}, "none.safetensors"},
		{"not a model", []string{"run", "--model", keras + "../../go.mod", "--inputs", "x", "--out", "y"}, "go.mod"},
		{"missing flag", []string{"run", "--model", "m"}, "required"},
		{"unknown task", []string{"run", "--model", keras + "multitask.safetensors", "--inputs", keras + "multitask.safetensors", "--out", filepath.Join(dir, "o"), "--task", "ocr"}, "ocr"},
		{"unknown level", []string{"bench", "--model", keras + "vqa_mean.safetensors", "--isa", "sse9"}, "sse9"},
		{"no embedding", []string{"generate", "--model", keras + "captioning_mlp.safetensors", "--out", filepath.Join(dir, "o")}, "token_embedding"},
		{"unknown flag", []string{"run", "--frobnicate"}, "frobnicate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCmd(tt.args...)
			assert.Equal(t, 1, code)
			assert.Contains(t, stderr, tt.want)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
		})
	}
	code, _, _ := runCmd("nonsense")
	assert.Equal(t, 2, code)
}

func TestBenchPrintsTheContractLines(t *testing.T) {
	code, stdout, stderr := runCmd("bench", "--model", keras+"grounding_gated.safetensors", "--runs", "5")
	require.Equal(t, 0, code, stderr)
	for _, key := range []string{"p50_ms:", "p90_ms:", "allocs_per_run: 0\n", "arena_bytes:", "weights_bytes:", "packed_bytes:"} {
		assert.Contains(t, stdout, key)
	}
}

// TestBenchEncoder checks that bench takes an encoder directory, with its
// reference inputs (both towers in one plan) and without (one random
// image), and runs it without allocating.
func TestBenchEncoder(t *testing.T) {
	const dir = "../../testdata/encoders/clip_tiny"
	for _, args := range [][]string{
		{"bench", "--model", dir, "--inputs", dir + "/reference.safetensors", "--runs", "5"},
		{"bench", "--model", dir, "--runs", "5", "--threads", "2"},
	} {
		code, stdout, stderr := runCmd(args...)
		require.Equal(t, 0, code, stderr)
		for _, key := range []string{"class: encoder clip", "p50_ms:", "allocs_per_run: 0\n", "arena_bytes:", "packed_bytes:"} {
			assert.Contains(t, stdout, key, args)
		}
	}
	code, _, stderr := runCmd("bench", "--model", dir, "--inputs", keras+"grounding_gated.safetensors")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "no input.pixel_values")
}

func TestGenerateWritesTokens(t *testing.T) {
	out := filepath.Join(t.TempDir(), "gen.safetensors")
	model := "../../testdata/reference/generation_mlp.safetensors"
	code, stdout, stderr := runCmd("generate", "--model", model, "--out", out, "--beam", "3")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, 2, strings.Count(stdout, "\n"))
	f, err := weights.Open(out)
	require.NoError(t, err)
	defer f.Close()
	got, err := f.Int32("output.tokens")
	require.NoError(t, err)
	ref, err := weights.Open(model)
	require.NoError(t, err)
	defer ref.Close()
	want, err := ref.Int32("output.beam3.tokens")
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

func TestDemoAgreesWithKeras(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every embedded head")
	}
	out := t.TempDir()
	code, stdout, stderr := runCmd("demo", "--out", out)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "cases agree with their reference")
	assert.NotContains(t, stdout, "DISAGREES")
	// The shapes model on its 8 demo images: what the trained model says
	// of test_000.png, and the tally (6/8, 15/16, 8/8, 8/8 on amd64; an
	// answer of probability 0.51 may flip on another machine's rounding).
	assert.Contains(t, stdout, "caption  \"a small blue triangle above a small green circle\"  [right]")
	assert.Regexp(t, `shapes model: captions [5-8]/8 as the scene's, answers 1[3-6]/16 right, boxes [78]/8 at IoU >= 0.5, matches 8/8 right`, stdout)
	pngs, err := filepath.Glob(filepath.Join(out, "*_box.png"))
	require.NoError(t, err)
	assert.Len(t, pngs, 8)
}

// TestHelp checks that -h and --help print a command's usage line and its
// flags on stdout with status 0, and that a bad flag fails with the usage
// line on stderr.
func TestHelp(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		usage     string // the start of stdout
		flagNamed string // a flag the list must show; "" for none
	}{
		{[]string{"run", "-h"}, "usage: vlmrt run --model M", "-inputs"},
		{[]string{"generate", "--help"}, "usage: vlmrt generate --model M", "-beam"},
		{[]string{"bench", "-h"}, "usage: vlmrt bench --model M", "-runs"},
		{[]string{"bench", "matmul", "-h"}, "usage: vlmrt bench matmul -m M", "-threads"},
		{[]string{"bench", "softmax", "-h"}, "usage: vlmrt bench softmax [--isa L|all]", "-reps"},
		{[]string{"demo", "-h"}, "usage: vlmrt demo", "-isa"},
		{[]string{"info", "-h"}, "usage: vlmrt info FILE", ""},
		{[]string{"cpu", "-h"}, "usage: vlmrt cpu", ""},
	} {
		code, stdout, stderr := runCmd(tc.args...)
		assert.Equal(t, 0, code, "%v: %s", tc.args, stderr)
		assert.True(t, strings.HasPrefix(stdout, tc.usage), "%v: stdout %q", tc.args, stdout)
		if tc.flagNamed != "" {
			assert.Contains(t, stdout, "\nflags:\n", tc.args)
			assert.Contains(t, stdout, tc.flagNamed, tc.args)
		} else {
			assert.NotContains(t, stdout, "flags:", tc.args)
		}
	}
	code, stdout, stderr := runCmd("run", "--bogus")
	assert.Equal(t, 1, code)
	assert.Empty(t, stdout)
	assert.Equal(t, "vlmrt run: flag provided but not defined: -bogus (usage: vlmrt run --model M --inputs I --out O [--task T] [--quantize int8] [--threads T] [--isa L])\n", stderr)
}

// TestBadISA checks that every command that takes --isa names the flag and
// the level in its error.
func TestBadISA(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--model", "m", "--inputs", "i", "--out", "o", "--isa", "avx9"},
		{"bench", "matmul", "--isa", "avx9"},
		{"demo", "--isa", "avx9"},
	} {
		code, _, stderr := runCmd(args...)
		assert.Equal(t, 1, code, args)
		assert.Contains(t, stderr, `--isa: kernels: unknown kernel level "avx9"`, args)
	}
}
