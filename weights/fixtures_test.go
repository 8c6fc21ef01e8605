package weights

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// fixtureDir holds the reference files of SPEC.md section 1.1.
const fixtureDir = "../testdata/keras"

// fixturePath is one line of PATHS.txt.
type fixturePath struct {
	path  string
	shape []int
}

// readPaths parses PATHS.txt into case -> paths.
func readPaths(t *testing.T) map[string][]fixturePath {
	t.Helper()
	fh, err := os.Open(filepath.Join(fixtureDir, "PATHS.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	cases := map[string][]fixturePath{}
	cur := ""
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			cur = strings.Fields(line)[1]
			cases[cur] = nil
		case line == "" || strings.HasPrefix(line, "#"):
		default:
			cols := strings.Split(line, "\t")
			if len(cols) != 3 {
				t.Fatalf("PATHS.txt: bad line %q", line)
			}
			var shape []int
			for _, d := range strings.FieldsFunc(cols[1], func(r rune) bool { return r == '[' || r == ']' || r == ',' || r == ' ' }) {
				v, err := strconv.Atoi(d)
				if err != nil {
					t.Fatalf("PATHS.txt: bad shape in %q", line)
				}
				shape = append(shape, v)
			}
			if shape == nil {
				shape = []int{}
			}
			cases[cur] = append(cases[cur], fixturePath{cols[0], shape})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 17 {
		t.Fatalf("PATHS.txt lists %d cases, want 17", len(cases))
	}
	return cases
}

// splitHead returns the head and the head-relative path of a Keras path,
// skipping a multi-task wrapper's prefix.
func splitHead(path string) (head, rel string) {
	path = strings.TrimPrefix(path, "multi_task_vlm_head/")
	head, rel, _ = strings.Cut(path, "/")
	return head, rel
}

// TestFixturePaths opens every reference file and resolves every path of
// PATHS.txt through the head's Scope, checking dtype and shape.
func TestFixturePaths(t *testing.T) {
	for name, paths := range readPaths(t) {
		t.Run(name, func(t *testing.T) {
			f, err := Open(filepath.Join(fixtureDir, name+".safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Metadata()["class_name"] == "" || f.Metadata()["config"] == "" {
				t.Errorf("metadata lacks class_name or config: %v", f.Metadata())
			}
			for _, p := range paths {
				head, rel := splitHead(p.path)
				s := f.Scope(head)
				got, ok := s.Resolve(rel)
				if !ok || got != p.path {
					t.Errorf("Scope(%q).Resolve(%q) = %q, %v; want %q", head, rel, got, ok, p.path)
					continue
				}
				v, err := s.Float32(rel, p.shape...)
				if err != nil {
					t.Errorf("Float32(%q): %v", rel, err)
					continue
				}
				info, _ := s.Info(rel)
				if len(v) != info.Elements() || info.DType != F32 || !slices.Equal(info.Shape, p.shape) {
					t.Errorf("%s: %d elements, info %+v; want shape %v", p.path, len(v), info, p.shape)
				}
			}
		})
	}
}

// TestFixtureBareNames rewrites a multi-task file with every head's prefix
// (and the wrapper's) removed, and checks that the paths still resolve, to
// the bare names.
func TestFixtureBareNames(t *testing.T) {
	cases := readPaths(t)
	for _, name := range []string{"captioning_swiglu", "matching_gated", "multitask"} {
		t.Run(name, func(t *testing.T) {
			f, err := Open(filepath.Join(fixtureDir, name+".safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			w := NewWriter()
			for _, p := range cases[name] {
				head, rel := splitHead(p.path)
				if name == "multitask" {
					rel = head + "/" + rel // several heads: keep them apart
				}
				_, raw, err := f.Bytes(p.path)
				if err != nil {
					t.Fatal(err)
				}
				if err := w.Add(rel, F32, p.shape, raw); err != nil {
					t.Fatal(err)
				}
			}
			g := roundTrip(t, w)
			for _, p := range cases[name] {
				head, rel := splitHead(p.path)
				s := g.Scope(head)
				want := rel
				if name == "multitask" {
					// the head's prefix is back, with the wrapper's gone
					want = head + "/" + rel
				}
				if got, ok := s.Resolve(rel); !ok || got != want {
					t.Errorf("Scope(%q).Resolve(%q) = %q, %v; want %q", head, rel, got, ok, want)
				}
				a, _ := f.Float32(p.path)
				b, err := s.Float32(rel, p.shape...)
				if err != nil || !slices.Equal(a, b) {
					t.Errorf("%s: data differs after rewrite (%v)", p.path, err)
				}
			}
		})
	}
}

// TestScopeErrors checks the messages and classes of a missing path and of
// a shape mismatch.
func TestScopeErrors(t *testing.T) {
	f, err := Open(filepath.Join(fixtureDir, "multitask.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := f.Scope("cap_head")
	_, err = s.Float32("ffn_0/gate_proj/kernel", 48, 192)
	want := `weights: ../testdata/keras/multitask.safetensors: tensor "multi_task_vlm_head/cap_head/ffn_0/gate_proj/kernel": shape [48 256], want [48 192]`
	if !errors.Is(err, ErrShape) || err.Error() != want {
		t.Errorf("shape mismatch: got %v\nwant %s", err, want)
	}
	_, err = s.Float32("ffn_0/fc1/kernel")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `tensor "ffn_0/fc1/kernel"`) ||
		!strings.Contains(err.Error(), `"cap_head/ffn_0/fc1/kernel"`) {
		t.Errorf("missing path: got %v", err)
	}
	if got, ok := f.Scope("matching_head").Resolve("matching_head_temperature"); !ok || got != "matching_head/matching_head_temperature" {
		t.Errorf("temperature resolves to %q, %v", got, ok)
	}
	if _, ok := f.Scope("").Resolve("input.vision_features"); !ok {
		t.Errorf("empty scope does not resolve a full name")
	}
}

// TestViewAliasesFile checks that an aligned F32 tensor comes back as a view
// of the mapping, not a copy.
func TestViewAliasesFile(t *testing.T) {
	f, err := Open(filepath.Join(fixtureDir, "vqa_mean.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !littleEndian {
		t.Skip("big-endian: F32 tensors are decoded copies")
	}
	name := f.Tensors()[0].Name
	v, err := f.Float32(name)
	if err != nil {
		t.Fatal(err)
	}
	_, raw, _ := f.Bytes(name)
	if len(v) == 0 || &raw[0] != (*byte)(unsafePointer(&v[0])) {
		t.Errorf("Float32(%q) is not a view of the file", name)
	}
}
