package weights

import (
	"encoding/binary"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/malformed from the table in malformed_test.go")

const malformedDir = "testdata/malformed"

// file frames a header and a data section of dataLen zero bytes.
func file(header string, dataLen int) []byte {
	b := make([]byte, 8, 8+len(header)+dataLen)
	binary.LittleEndian.PutUint64(b, uint64(len(header)))
	b = append(b, header...)
	return append(b, make([]byte, dataLen)...)
}

// withLength is file with a stated header length that differs from the
// header's.
func withLength(n uint64, rest string) []byte {
	b := make([]byte, 8, 8+len(rest))
	binary.LittleEndian.PutUint64(b, n)
	return append(b, rest...)
}

// malformed lists the corpus of bad files: each name's prefix (up to the
// first '-') says which sentinel error it must give; tensor is the name
// the message must quote, if any.
var malformed = []struct {
	name   string
	data   []byte
	tensor string
}{
	{"format-empty", nil, ""},
	{"format-short", []byte{1, 0, 0, 0}, ""},
	{"format-header-longer-than-file", withLength(100, `{}`), ""},
	{"format-header-over-limit", withLength(MaxHeaderSize+1, `{}`), ""},
	{"format-header-length-huge", withLength(1<<63, `{}`), ""},
	{"header-not-utf8", file("{\"a\xff\":{}}", 0), ""},
	{"header-array", file(`[]`, 0), ""},
	{"header-empty", file(``, 0), ""},
	{"header-truncated", file(`{"a":{"dtype":"F32",`, 0), "a"},
	{"header-trailing-garbage", file(`{} x`, 0), ""},
	{"header-missing-comma", file(`{"a":{"dtype":"F32" "shape":[],"data_offsets":[0,4]}}`, 4), "a"},
	{"header-entry-number", file(`{"a":5}`, 0), "a"},
	{"header-missing-dtype", file(`{"a":{"shape":[1],"data_offsets":[0,4]}}`, 4), "a"},
	{"header-missing-shape", file(`{"a":{"dtype":"F32","data_offsets":[0,4]}}`, 4), "a"},
	{"header-missing-offsets", file(`{"a":{"dtype":"F32","shape":[1]}}`, 4), "a"},
	{"header-repeated-key", file(`{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4), "a"},
	{"header-bad-escape", file(`{"a\q":{}}`, 0), ""},
	{"header-control-char", file("{\"a\n\":{}}", 0), ""},
	{"header-deep-nesting", file(`{"a":{"x":`+strings.Repeat("[", 100)+strings.Repeat("]", 100)+`}}`, 0), "a"},
	{"header-bad-literal", file(`{"a":{"x":nul}}`, 0), "a"},
	{"header-unterminated-string", file(`{"a`, 0), ""},
	{"header-empty-name", file(`{"":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4), ""},
	{"duplicate-name", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), "a"},
	{"duplicate-escaped-name", file(`{"ab":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a\u0062":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), "ab"},
	{"duplicate-metadata-key", file(`{"__metadata__":{"k":"1","k":"2"}}`, 0), ""},
	{"duplicate-metadata", file(`{"__metadata__":{},"__metadata__":{}}`, 0), ""},
	{"metadata-array", file(`{"__metadata__":[]}`, 0), ""},
	{"metadata-number-value", file(`{"__metadata__":{"k":1}}`, 0), ""},
	{"metadata-object-value", file(`{"__metadata__":{"config":{"hidden_size":48}}}`, 0), ""},
	{"metadata-null-value", file(`{"__metadata__":{"k":null}}`, 0), ""},
	{"dtype-unknown", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, 1), "a"},
	{"dtype-lowercase", file(`{"a":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}`, 4), "a"},
	{"dtype-number", file(`{"a":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}`, 4), "a"},
	{"shape-negative", file(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, 4), "a"},
	{"shape-fraction", file(`{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, 4), "a"},
	{"shape-exponent", file(`{"a":{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}}`, 4), "a"},
	{"shape-string", file(`{"a":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}`, 4), "a"},
	{"shape-not-array", file(`{"a":{"dtype":"F32","shape":1,"data_offsets":[0,4]}}`, 4), "a"},
	{"shape-product-overflow", file(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, 4), "a"},
	{"shape-bytes-overflow", file(`{"a":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,8]}}`, 8), "a"},
	{"shape-dim-overflow", file(`{"a":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,4]}}`, 4), "a"},
	{"offsets-negative", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}`, 4), "a"},
	{"offsets-one-value", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4]}}`, 4), "a"},
	{"offsets-three-values", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, 8), "a"},
	{"offsets-not-array", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":"0,4"}}`, 4), "a"},
	{"offsets-fraction", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4.0]}}`, 4), "a"},
	{"offsets-reversed", file(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}`, 4), "a"},
	{"offsets-outside", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 4), "a"},
	{"offsets-huge", file(`{"a":{"dtype":"I8","shape":[9223372036854775807],"data_offsets":[0,9223372036854775807]}}`, 4), "a"},
	{"offsets-size-mismatch", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, 4), "a"},
	{"offsets-overlap", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), "b"},
	{"offsets-same-range", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4), "b"},
	{"offsets-hole", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, 12), "b"},
	{"offsets-leading-hole", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), "a"},
	{"offsets-trailing-bytes", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 5), ""},
	{"offsets-no-tensors-trailing", file(`{}`, 3), ""},
	{"offsets-zero-size-outside", file(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,8]}}`, 4), "a"},
}

// sentinelOf returns the error a corpus file's name promises.
func sentinelOf(name string) error {
	prefix, _, _ := strings.Cut(name, "-")
	return map[string]error{
		"format": ErrFormat, "header": ErrHeader, "duplicate": ErrDuplicate, "metadata": ErrMetadata,
		"dtype": ErrDType, "shape": ErrShape, "offsets": ErrOffsets,
	}[prefix]
}

// TestMalformed reads every file of testdata/malformed and checks that it
// gives the sentinel error its name promises, naming the file and (where
// the table says so) the tensor. With -update it first rewrites the
// directory from the table.
func TestMalformed(t *testing.T) {
	if *update {
		os.RemoveAll(malformedDir)
		if err := os.MkdirAll(malformedDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, c := range malformed {
			if err := os.WriteFile(filepath.Join(malformedDir, c.name+".safetensors"), c.data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	tensors := map[string]string{}
	for _, c := range malformed {
		tensors[c.name] = c.tensor
	}
	paths, err := filepath.Glob(filepath.Join(malformedDir, "*.safetensors"))
	if err != nil || len(paths) < len(malformed) {
		t.Fatalf("%d corpus files for %d table entries (%v); run go test -run TestMalformed -update", len(paths), len(malformed), err)
	}
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".safetensors")
		t.Run(name, func(t *testing.T) {
			want := sentinelOf(name)
			if want == nil {
				t.Fatalf("corpus file %s: its name has no known prefix", path)
			}
			f, err := Open(path)
			if err == nil {
				f.Close()
				t.Fatalf("Open succeeded, want %v", want)
			}
			if !errors.Is(err, want) {
				t.Errorf("got %v, want %v", err, want)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "weights: "+path+": ") || strings.Contains(msg, "\n") {
				t.Errorf("message does not start with the file's name on one line: %q", msg)
			}
			if tn, ok := tensors[name]; ok && tn != "" && !strings.Contains(msg, `tensor "`+tn+`"`) {
				t.Errorf("message does not name tensor %q: %s", tn, msg)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("error is a %T, not an *Error", err)
			}
			data, _ := os.ReadFile(path)
			if _, err := Parse(data, "mem"); !errors.Is(err, want) {
				t.Errorf("Parse gives %v, Open %v", err, want)
			}
		})
	}
}

// TestLegalEdgeCases checks files that look odd but are valid.
func TestLegalEdgeCases(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"no tensors", file(`{}`, 0)},
		{"only metadata", file(`{"__metadata__":{"a":"b"}}`, 0)},
		{"space padding", file(`{}      `, 0)},
		{"zero-size tensor", file(`{"a":{"dtype":"F32","shape":[3,0],"data_offsets":[0,0]}}`, 0)},
		{"zero-size tensor at end", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[0],"data_offsets":[4,4]}}`, 4)},
		{"scalar", file(`{"t":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}`, 4)},
		{"unknown entry key", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":[{"y":null},true]}}`, 4)},
		{"escaped names", file(`{"a\/b\u00e9\ud83d\ude00":{"dtype":"I8","shape":[1],"data_offsets":[0,1]}}`, 1)},
		{"unaligned f32", file(`{"i":{"dtype":"I8","shape":[1],"data_offsets":[0,1]},"f":{"dtype":"F32","shape":[2],"data_offsets":[1,9]}}`, 9)},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, err := Parse(c.data, c.name)
			if err != nil {
				t.Fatal(err)
			}
			for _, ti := range f.Tensors() {
				if ti.DType == I8 {
					if _, err := f.Int8(ti.Name); err != nil {
						t.Error(err)
					}
					continue
				}
				v, err := f.Float32(ti.Name)
				if err != nil || len(v) != ti.Elements() {
					t.Errorf("%s: %d elements, %v", ti.Name, len(v), err)
				}
			}
		})
	}
	f, _ := Parse(file(`{"a\/b\u00e9\ud83d\ude00":{"dtype":"I8","shape":[1],"data_offsets":[0,1]}}`, 1), "x")
	if !f.Has("a/b\u00e9\U0001F600") {
		t.Errorf("escaped name decoded as %q", f.Tensors()[0].Name)
	}
}
