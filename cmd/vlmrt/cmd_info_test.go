package main

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlmrt/vlmrt/weights"
)

// TestInfoFixtures runs "vlmrt info" on every reference file and checks the
// class and the parameter count against PATHS.txt.
func TestInfoFixtures(t *testing.T) {
	const dir = "../../testdata/keras"
	fh, err := os.Open(filepath.Join(dir, "PATHS.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	header := regexp.MustCompile(`^## (\S+)\s+class=(\S+)\s+variables=\d+\s+params=(\d+)`)
	sc := bufio.NewScanner(fh)
	n := 0
	for sc.Scan() {
		m := header.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		n++
		var out, errOut bytes.Buffer
		if rc := mainWithArgs([]string{"info", filepath.Join(dir, m[1]+".safetensors")}, &out, &errOut); rc != 0 {
			t.Errorf("%s: exit %d: %s", m[1], rc, errOut.String())
			continue
		}
		for _, want := range []string{"class: " + m[2] + "\n", "parameters: " + m[3] + "\n", "task_type", "parameter bytes: F32 "} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s: output lacks %q:\n%s", m[1], want, out.String())
			}
		}
	}
	if n < 17 {
		t.Errorf("checked %d fixtures, want 17", n)
	}
}

// TestInfoBadFile checks that a bad file gives exit status 1 and one line.
func TestInfoBadFile(t *testing.T) {
	for _, args := range [][]string{
		{"info", "../../weights/testdata/malformed/offsets-hole.safetensors"},
		{"info", filepath.Join(t.TempDir(), "missing.safetensors")},
		{"info"},
	} {
		var out, errOut bytes.Buffer
		rc := mainWithArgs(args, &out, &errOut)
		if rc != 1 || strings.Count(errOut.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", args, rc, errOut.String())
		}
	}
}

// rewriteFixture copies the reference file src to a new file in dir with
// the metadata key set to value (when key is not empty) and the tensor
// named reshape, if any, replaced by zeros of the given shape.
func rewriteFixture(t *testing.T, src, key, value, reshape string, shape []int) string {
	t.Helper()
	f, err := weights.Open(src)
	require.NoError(t, err)
	defer f.Close()
	w := weights.NewWriter()
	for k, v := range f.Metadata() {
		w.SetMetadata(k, v)
	}
	if key != "" {
		w.SetMetadata(key, value)
	}
	for _, info := range f.Tensors() {
		if info.Name == reshape {
			n := 1
			for _, d := range shape {
				n *= d
			}
			require.NoError(t, w.AddFloat32(info.Name, shape, make([]float32, n)))
			continue
		}
		_, raw, err := f.Bytes(info.Name)
		require.NoError(t, err)
		require.NoError(t, w.Add(info.Name, info.DType, info.Shape, raw))
	}
	path := filepath.Join(t.TempDir(), "model.safetensors")
	require.NoError(t, w.WriteFile(path))
	return path
}

// TestInfoValidatesHead checks that info prints what it read of a file
// whose head cannot be built, ends with "head: invalid: " and the very
// error "vlmrt run" gives, and exits 1 with that error as the one line on
// stderr; and that a good head ends with "head: ok".
func TestInfoValidatesHead(t *testing.T) {
	const src = "../../testdata/keras/captioning_swiglu.safetensors"
	f, err := weights.Open(src)
	require.NoError(t, err)
	config := f.Metadata()["config"]
	f.Close()
	require.Contains(t, config, `"num_heads": 4`)

	cases := []struct {
		name       string
		key, value string // metadata to set
		tensor     string // tensor to give a wrong shape
		shape      []int
		want       string // in the error
	}{
		{name: "unknown class", key: "class_name", value: "ImageCaptioningHeadV2", want: "ImageCaptioningHeadV2"},
		{name: "hidden not a multiple of heads", key: "config",
			value: strings.Replace(config, `"num_heads": 4`, `"num_heads": 5`, 1), want: "num_heads"},
		{name: "config not JSON", key: "config", value: "{not json", want: "config"},
		{name: "wrong weight shape", tensor: "cap_head/cap_head_output_proj/kernel", shape: []int{48, 49},
			want: "cap_head/cap_head_output_proj/kernel"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := rewriteFixture(t, src, c.key, c.value, c.tensor, c.shape)
			var out, errOut bytes.Buffer
			rc := mainWithArgs([]string{"info", path}, &out, &errOut)
			assert.Equal(t, 1, rc, "exit status")
			assert.Contains(t, out.String(), "tensors: ", "info still prints the tensors")
			assert.Contains(t, out.String(), "parameters: ")
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			last := lines[len(lines)-1]
			require.True(t, strings.HasPrefix(last, "head: invalid: "), "last line %q", last)
			t.Log(last)
			assert.Contains(t, last, c.want)

			var runOut, runErr bytes.Buffer
			outFile := filepath.Join(t.TempDir(), "out.safetensors")
			require.Equal(t, 1, mainWithArgs([]string{"run", "--model", path, "--inputs", path, "--out", outFile}, &runOut, &runErr))
			assert.Equal(t, "vlmrt run: "+strings.TrimPrefix(last, "head: invalid: ")+"\n", runErr.String(),
				"info reports the error run gives")
			assert.Equal(t, "vlmrt info: "+strings.TrimPrefix(last, "head: invalid: ")+"\n", errOut.String(),
				"the same error is the one line on stderr")
		})
	}

	var out, errOut bytes.Buffer
	require.Equal(t, 0, mainWithArgs([]string{"info", src}, &out, &errOut), errOut.String())
	assert.True(t, strings.HasSuffix(out.String(), "\nhead: ok\n"), "a good head ends with head: ok:\n%s", out.String())
}

// TestInfoEncoders checks info on a Hugging Face directory and on a
// dl_techniques CLIP file: the towers, then "encoder: ok"; a directory
// whose config cannot build ends with "encoder: invalid: " and exit 1.
func TestInfoEncoders(t *testing.T) {
	code, out, errOut := runCmd("info", "../../testdata/encoders/clip_tiny")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "towers: vision, text\n")
	assert.True(t, strings.HasSuffix(out, "encoder: ok\n"), out)
	code, out, errOut = runCmd("info", "../../testdata/encoders/dl_clip_tiny.safetensors")
	require.Equal(t, 0, code, errOut)
	assert.True(t, strings.HasSuffix(out, "encoder: ok\n"), out)

	dir := t.TempDir()
	for _, name := range []string{"model.safetensors"} {
		data, err := os.ReadFile(filepath.Join("../../testdata/encoders/clip_tiny", name))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"model_type":"clip","vision_config":{"hidden_size":48,"num_attention_heads":5}}`), 0o644))
	code, out, errOut = runCmd("info", dir)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "encoder: invalid: ")
	assert.Contains(t, errOut, "num_attention_heads")
}
