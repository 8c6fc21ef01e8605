package weights

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// sparseModel writes a header for tensors F32 tensors of shape [rows, cols]
// to path and extends the file to its full size with os.Truncate, so that
// the data section is a hole that costs no disk and no write.
func sparseModel(tb testing.TB, path string, tensors, rows, cols int) int64 {
	tb.Helper()
	w := NewWriter()
	w.SetMetadata("class_name", "MultiTaskVLMHead")
	for i := range tensors {
		w.entries = append(w.entries, writerEntry{
			name:  fmt.Sprintf("multi_task_vlm_head/cap_head/layer_%03d/ffn/fc%d/kernel", i/2, i%2),
			dtype: F32, shape: []int{rows, cols}, size: int64(4 * rows * cols),
		})
	}
	head, order, err := w.header()
	if err != nil {
		tb.Fatal(err)
	}
	size := int64(len(head))
	for _, e := range order {
		size += e.size
	}
	if err := os.WriteFile(path, head, 0o644); err != nil {
		tb.Fatal(err)
	}
	if err := os.Truncate(path, size); err != nil {
		tb.Fatal(err)
	}
	return size
}

// BenchmarkOpen opens a 1 GiB file of 1,000 tensors (sparse: its data is
// never written, and Open must not read it). Target: 5 ms per Open.
func BenchmarkOpen(b *testing.B) {
	path := filepath.Join(b.TempDir(), "big.safetensors")
	size := sparseModel(b, path, 1000, 256, 1024)
	for b.Loop() {
		f, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if f.Len() != 1000 {
			b.Fatalf("%d tensors", f.Len())
		}
		f.Close()
	}
	b.ReportMetric(float64(size)/(1<<30), "GiB")
}

// BenchmarkScopeResolve measures a head-relative lookup through the
// multi-task suffix index.
func BenchmarkScopeResolve(b *testing.B) {
	path := filepath.Join(b.TempDir(), "big.safetensors")
	sparseModel(b, path, 1000, 4, 4)
	f, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	s := f.Scope("cap_head")
	for b.Loop() {
		if !s.Has("layer_123/ffn/fc1/kernel") {
			b.Fatal("not resolved")
		}
	}
}

// TestOpenSparse opens a small sparse file and checks the layout.
func TestOpenSparse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	sparseModel(t, path, 10, 3, 5)
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, err := f.Scope("cap_head").Float32("layer_004/ffn/fc1/kernel", 3, 5)
	if err != nil || len(v) != 15 {
		t.Fatalf("%d elements, %v", len(v), err)
	}
}
