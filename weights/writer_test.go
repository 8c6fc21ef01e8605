package weights

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// roundTrip writes w to memory and parses the result.
func roundTrip(t *testing.T, w *Writer) *File {
	t.Helper()
	var buf bytes.Buffer
	n, err := w.WriteTo(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Fatalf("WriteTo returned %d, wrote %d bytes", n, buf.Len())
	}
	f, err := Parse(buf.Bytes(), "roundtrip")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestWriterRoundTrip(t *testing.T) {
	w := NewWriter()
	w.SetMetadata("class_name", "VQAHead")
	w.SetMetadata("quote\"and\\slash", "<tab>\t\u00e9\U0001F600")
	f32 := []float32{1, -2, float32(math.Inf(1)), 3.5, 0, 6}
	i32 := []int32{7, -8, math.MaxInt32}
	q := []int8{1, -2, 3, -4, 5, -6}
	scale := []float32{0.5, 0.25, 2}
	bf16 := []byte{0x80, 0x3f, 0x00, 0xc0} // 1, -2
	f16 := []byte{0x00, 0x3c, 0x00, 0xc0}  // 1, -2
	f64 := binaryF64(1.5, -3)
	i64 := binaryI64(5, -6)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.AddFloat32("b/f32", []int{2, 3}, f32))
	must(w.AddInt32("a/i32", []int{3}, i32))
	must(w.Add("k", I8, []int{2, 3}, int8Bytes(q)))
	must(w.AddFloat32("k.scale", []int{3}, scale))
	must(w.Add("bf", BF16, []int{2}, bf16))
	must(w.Add("h", F16, []int{1, 2}, f16))
	must(w.Add("d", F64, []int{2}, f64))
	must(w.Add("l", I64, []int{2}, i64))
	must(w.AddFloat32("scalar", []int{}, []float32{0.75}))
	must(w.AddFloat32("empty", []int{0, 4}, nil))
	if err := w.AddFloat32("b/f32", []int{6}, f32); !errors.Is(err, ErrDuplicate) {
		t.Errorf("duplicate add: %v", err)
	}
	if err := w.AddFloat32("x", []int{4}, f32); !errors.Is(err, ErrShape) {
		t.Errorf("wrong length: %v", err)
	}
	if err := w.Add("x", I8, []int{-1}, nil); !errors.Is(err, ErrShape) {
		t.Errorf("negative dim: %v", err)
	}
	if err := w.Add("__metadata__", I8, nil, []byte{1}); err == nil {
		t.Errorf("reserved name accepted")
	}

	f := roundTrip(t, w)
	if md := f.Metadata(); md["class_name"] != "VQAHead" || md["quote\"and\\slash"] != "<tab>\t\u00e9\U0001F600" {
		t.Errorf("metadata %q", md)
	}
	names := []string{}
	for _, ti := range f.Tensors() {
		names = append(names, ti.Name)
	}
	if !slices.IsSorted(names) || len(names) != 10 {
		t.Errorf("tensors %v", names)
	}
	check := func(name string, want []float32) {
		t.Helper()
		got, err := f.Float32(name)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("Float32(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	check("b/f32", f32)
	check("k", []float32{0.5, -0.5, 6, -2, 1.25, -12})
	check("k.scale", scale)
	check("bf", []float32{1, -2})
	check("h", []float32{1, -2})
	check("d", []float32{1.5, -3})
	check("scalar", []float32{0.75})
	check("empty", []float32{})
	if got, err := f.Int32("a/i32"); err != nil || !slices.Equal(got, i32) {
		t.Errorf("Int32 = %v, %v", got, err)
	}
	if got, err := f.Int32("l"); err != nil || !slices.Equal(got, []int32{5, -6}) {
		t.Errorf("Int32(I64) = %v, %v", got, err)
	}
	if gq, gs, err := f.Quantized("k"); err != nil || !slices.Equal(gq, q) || !slices.Equal(gs, scale) {
		t.Errorf("Quantized = %v, %v, %v", gq, gs, err)
	}
	for _, name := range []string{"b/f32", "k.scale", "a/i32", "scalar"} {
		ti, _ := f.Info(name)
		if (ti.Offset+int64(len(f.data)-len(f.body)))%4 != 0 {
			t.Errorf("%s at data offset %d is not 4-byte aligned in the file", name, ti.Offset)
		}
	}
	// Accessors refuse dtypes they cannot return.
	for _, c := range []struct {
		name string
		call func(string) error
	}{
		{"a/i32", func(n string) error { _, err := f.Float32(n); return err }},
		{"b/f32", func(n string) error { _, err := f.Int32(n); return err }},
		{"b/f32", func(n string) error { _, err := f.Int8(n); return err }},
		{"b/f32", func(n string) error { _, _, err := f.Quantized(n); return err }},
	} {
		if err := c.call(c.name); !errors.Is(err, ErrDType) {
			t.Errorf("%s: want ErrDType, got %v", c.name, err)
		}
	}
	if _, err := f.Float32("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	f.Close()
	if _, err := f.Float32("b/f32"); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

func TestInt64Range(t *testing.T) {
	w := NewWriter()
	if err := w.Add("l", I64, []int{2}, binaryI64(1, math.MaxInt32+1)); err != nil {
		t.Fatal(err)
	}
	if _, err := roundTrip(t, w).Int32("l"); !errors.Is(err, ErrRange) {
		t.Errorf("want ErrRange, got %v", err)
	}
}

func TestWriteFileOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	w := NewWriter()
	data := []float32{1, 2, 3}
	if err := w.AddFloat32("x", []int{3}, data); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, err := f.Float32("x"); err != nil || !slices.Equal(got, data) {
		t.Errorf("got %v, %v", got, err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, ErrRead) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("WriteFile left %d files", len(entries))
	}
}

func binaryF64(v ...float64) []byte {
	var b []byte
	for _, x := range v {
		b = appendU64(b, math.Float64bits(x))
	}
	return b
}

func binaryI64(v ...int64) []byte {
	var b []byte
	for _, x := range v {
		b = appendU64(b, uint64(x))
	}
	return b
}

func appendU64(b []byte, v uint64) []byte {
	for i := 0; i < 8; i++ {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}

func int8Bytes(q []int8) []byte {
	b := make([]byte, len(q))
	for i, v := range q {
		b[i] = byte(v)
	}
	return b
}
