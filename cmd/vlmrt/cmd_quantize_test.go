package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlmrt/vlmrt/weights"
)

// TestQuantizeWritesWhatLoadQuantizes checks that "vlmrt quantize" writes
// I8 kernels with their scales, prints each kernel's error, and that the
// file runs to the same outputs, bit for bit, as the float file quantized
// at load with --quantize int8.
func TestQuantizeWritesWhatLoadQuantizes(t *testing.T) {
	dir := t.TempDir()
	src := keras + "captioning_swiglu.safetensors"
	q := filepath.Join(dir, "q.safetensors")
	code, stdout, stderr := runCmd("quantize", src, q)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "cap_head/ffn_0/gate_proj/kernel")
	assert.Contains(t, stdout, "17 kernels quantized")
	assert.Contains(t, stdout, "wrote "+q+": ok")
	f, err := weights.Open(q)
	require.NoError(t, err)
	info, ok := f.Info("cap_head/ffn_0/gate_proj/kernel")
	require.True(t, ok)
	assert.Equal(t, weights.I8, info.DType)
	assert.True(t, f.Has("cap_head/ffn_0/gate_proj/kernel"+weights.ScaleSuffix))
	f.Close()

	outI8, outLoad := filepath.Join(dir, "i8.safetensors"), filepath.Join(dir, "load.safetensors")
	code, _, stderr = runCmd("run", "--model", q, "--inputs", src, "--out", outI8)
	require.Equal(t, 0, code, stderr)
	code, _, stderr = runCmd("run", "--model", src, "--inputs", src, "--out", outLoad, "--quantize", "int8")
	require.Equal(t, 0, code, stderr)
	a, err := weights.Open(outI8)
	require.NoError(t, err)
	defer a.Close()
	b, err := weights.Open(outLoad)
	require.NoError(t, err)
	defer b.Close()
	for _, name := range []string{"output.logits", "output.hidden_states"} {
		x, err := a.Float32(name)
		require.NoError(t, err)
		y, err := b.Float32(name)
		require.NoError(t, err)
		assert.Equal(t, y, x, name)
	}
}

// TestQuantizeRejects checks the errors of quantize and --quantize.
func TestQuantizeRejects(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.safetensors")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"quantize", keras + "vqa_attention.safetensors"}, "want an input and an output file"},
		{[]string{"quantize", pipe + "expected.safetensors", out}, "no float Dense kernel"},
		{[]string{"run", "--model", keras + "vqa_attention.safetensors", "--inputs", keras + "vqa_attention.safetensors", "--out", out, "--quantize", "int4"}, "--quantize: kernels: unknown precision \"int4\""},
	} {
		code, _, stderr := runCmd(c.args...)
		assert.Equal(t, 1, code, c.args)
		assert.Contains(t, stderr, c.want)
	}
}
