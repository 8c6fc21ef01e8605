package weights

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// sentinels are the classes every error of Parse must belong to.
var sentinels = []error{ErrFormat, ErrHeader, ErrDuplicate, ErrMetadata, ErrDType, ErrShape, ErrOffsets}

// FuzzParse feeds arbitrary bytes to Parse. An invalid file must give an
// *Error of a known class, never a panic; a valid one must have tensors
// inside its data section that every accessor reads without panicking, and
// must survive a round trip through Writer. Seeds: the malformed corpus of
// testdata/malformed, small valid files, and one reference fixture.
func FuzzParse(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join(malformedDir, "*.safetensors"))
	paths = append(paths, filepath.Join(fixtureDir, "grounding_concatenation.safetensors"))
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	for _, c := range []string{
		`{"__metadata__":{"class_name":"VQAHead"},"h/a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"h/a.scale":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`,
		`{"k":{"dtype":"I8","shape":[2,2],"data_offsets":[0,4]},"k.scale":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`,
		`{"b":{"dtype":"BF16","shape":[3],"data_offsets":[0,6]},"h":{"dtype":"F16","shape":[1,1],"data_offsets":[6,8]},"d":{"dtype":"F64","shape":[],"data_offsets":[8,16]},"l":{"dtype":"I64","shape":[1],"data_offsets":[16,24]}}`,
	} {
		f.Add(file(c, 24))
		f.Add(file(c, 12))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, err := Parse(data, "fuzz")
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.File != "fuzz" {
				t.Fatalf("error %v is a %T without the file's name", err, err)
			}
			for _, s := range sentinels {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("error %v has no sentinel class", err)
		}
		w := NewWriter()
		for k, v := range fl.Metadata() {
			w.SetMetadata(k, v)
		}
		for _, ti := range fl.Tensors() {
			if ti.Offset < 0 || ti.Size < 0 || ti.Offset+ti.Size > int64(len(fl.body)) {
				t.Fatalf("tensor %q at [%d, +%d) outside a data section of %d bytes", ti.Name, ti.Offset, ti.Size, len(fl.body))
			}
			if int64(ti.Elements())*int64(ti.DType.Size()) != ti.Size {
				t.Fatalf("tensor %q: %d elements of %s in %d bytes", ti.Name, ti.Elements(), ti.DType, ti.Size)
			}
			_, raw, err := fl.Bytes(ti.Name)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Add(ti.Name, ti.DType, ti.Shape, raw); err != nil {
				t.Fatalf("Writer rejects a tensor Parse accepted: %v", err)
			}
			v, err := fl.Float32(ti.Name)
			if err == nil && len(v) != ti.Elements() {
				t.Fatalf("Float32(%q): %d elements, want %d", ti.Name, len(v), ti.Elements())
			}
			fl.Int32(ti.Name)
			fl.Int8(ti.Name)
			fl.Quantized(ti.Name)
			head, rel, ok := cutLast(ti.Name)
			if !ok || head == "" {
				head, rel = "", ti.Name
			}
			if got, ok := fl.Scope(head).Resolve(rel); !ok || !fl.Has(got) {
				t.Fatalf("Scope(%q).Resolve(%q) = %q, %v", head, rel, got, ok)
			}
		}
		var buf bytes.Buffer
		if _, err := w.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		g, err := Parse(buf.Bytes(), "rewritten")
		if err != nil {
			t.Fatalf("a rewritten valid file does not parse: %v", err)
		}
		if g.Len() != fl.Len() {
			t.Fatalf("rewritten file has %d tensors, want %d", g.Len(), fl.Len())
		}
	})
}

// cutLast splits a name at its last '/'.
func cutLast(name string) (head, rel string, ok bool) {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '/' {
			return name[:i], name[i+1:], true
		}
	}
	return "", name, false
}
