package weights

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unsafe"
)

// Writer builds a safetensors file. It keeps references to the tensors'
// data, not copies, and streams them out in WriteTo: the data passed to the
// Add methods must not change until WriteTo returns.
//
// The header lists the tensors sorted by name and is padded with spaces so
// that the data section starts at a multiple of 8 bytes. The data section
// holds the tensors by decreasing element size, then by name, so that every
// tensor starts at a multiple of its element size and F32 tensors read back
// as zero-copy views.
type Writer struct {
	metadata map[string]string
	entries  []writerEntry
	names    map[string]struct{}
}

type writerEntry struct {
	name  string
	dtype DType
	shape []int
	raw   []byte // little-endian bytes, or nil when f32 or i32 is set
	f32   []float32
	i32   []int32
	size  int64
}

// writerName stands for the file in the Writer's errors.
const writerName = "(writer)"

// NewWriter returns an empty Writer.
func NewWriter() *Writer {
	return &Writer{metadata: map[string]string{}, names: map[string]struct{}{}}
}

// SetMetadata sets a __metadata__ key.
func (w *Writer) SetMetadata(key, value string) { w.metadata[key] = value }

// AddFloat32 adds an F32 tensor. len(data) must be the shape's product.
func (w *Writer) AddFloat32(name string, shape []int, data []float32) error {
	return w.add(writerEntry{name: name, dtype: F32, shape: shape, f32: data}, int64(len(data)))
}

// AddInt32 adds an I32 tensor. len(data) must be the shape's product.
func (w *Writer) AddInt32(name string, shape []int, data []int32) error {
	return w.add(writerEntry{name: name, dtype: I32, shape: shape, i32: data}, int64(len(data)))
}

// Add adds a tensor of any dtype from its little-endian bytes; len(raw)
// must be the shape's product times dtype.Size().
func (w *Writer) Add(name string, dtype DType, shape []int, raw []byte) error {
	if !dtype.Valid() {
		return &Error{File: writerName, Tensor: name, Kind: ErrDType, Detail: fmt.Sprintf("invalid dtype %v", dtype)}
	}
	return w.add(writerEntry{name: name, dtype: dtype, shape: shape, raw: raw}, int64(len(raw))/int64(dtype.Size()))
}

func (w *Writer) add(e writerEntry, elements int64) error {
	fail := func(kind error, format string, args ...any) error {
		return &Error{File: writerName, Tensor: e.name, Kind: kind, Detail: fmt.Sprintf(format, args...)}
	}
	switch {
	case e.name == "":
		return fail(ErrHeader, "empty tensor name")
	case e.name == metadataKey:
		return fail(ErrHeader, "%s is reserved for metadata", metadataKey)
	}
	if _, dup := w.names[e.name]; dup {
		return fail(ErrDuplicate, "added twice")
	}
	size := int64(e.dtype.Size())
	n := int64(1)
	for _, d := range e.shape {
		if d < 0 {
			return fail(ErrShape, "shape %v has a negative dimension", e.shape)
		}
		if d != 0 && n > math.MaxInt64/size/int64(d) {
			return fail(ErrShape, "shape %v overflows", e.shape)
		}
		n *= int64(d)
	}
	if e.raw != nil && int64(len(e.raw)) != n*size || e.raw == nil && elements != n {
		have := elements
		if e.raw != nil {
			have = int64(len(e.raw))
			n *= size
		}
		return fail(ErrShape, "shape %s needs %d, data holds %d", formatShape(e.shape), n, have)
	}
	e.shape = slices.Clone(e.shape)
	e.size = n * size
	w.names[e.name] = struct{}{}
	w.entries = append(w.entries, e)
	return nil
}

// header returns the padded header and the entries in data order.
func (w *Writer) header() ([]byte, []*writerEntry, error) {
	byName := make([]*writerEntry, len(w.entries))
	for i := range w.entries {
		byName[i] = &w.entries[i]
	}
	slices.SortFunc(byName, func(a, b *writerEntry) int { return strings.Compare(a.name, b.name) })
	order := slices.Clone(byName)
	slices.SortStableFunc(order, func(a, b *writerEntry) int { return b.dtype.Size() - a.dtype.Size() })
	offsets := make(map[*writerEntry]int64, len(order))
	var off int64
	for _, e := range order {
		offsets[e] = off
		off += e.size
	}

	var b bytes.Buffer
	b.WriteString("{")
	if len(w.metadata) > 0 {
		keys := make([]string, 0, len(w.metadata))
		for k := range w.metadata {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteString(`"__metadata__":{`)
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(&b, k)
			b.WriteByte(':')
			writeJSONString(&b, w.metadata[k])
		}
		b.WriteString("}")
		if len(byName) > 0 {
			b.WriteByte(',')
		}
	}
	for i, e := range byName {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(&b, e.name)
		fmt.Fprintf(&b, `:{"dtype":"%s","shape":[`, e.dtype)
		for j, d := range e.shape {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(itoa(int64(d)))
		}
		fmt.Fprintf(&b, `],"data_offsets":[%d,%d]}`, offsets[e], offsets[e]+e.size)
	}
	b.WriteString("}")
	for (8+b.Len())%8 != 0 {
		b.WriteByte(' ')
	}
	out := make([]byte, 8, 8+b.Len())
	binary.LittleEndian.PutUint64(out, uint64(b.Len()))
	return append(out, b.Bytes()...), order, nil
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s) // a string always marshals
	b.Write(enc)
}

// WriteTo writes the file to out and returns the number of bytes written.
func (w *Writer) WriteTo(out io.Writer) (int64, error) {
	head, order, err := w.header()
	if err != nil {
		return 0, err
	}
	n, err := out.Write(head)
	total := int64(n)
	if err != nil {
		return total, err
	}
	var scratch []byte
	for _, e := range order {
		var raw []byte
		switch {
		case e.raw != nil:
			raw = e.raw
		case littleEndian && e.f32 != nil && len(e.f32) > 0:
			raw = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(e.f32))), 4*len(e.f32))
		case littleEndian && e.i32 != nil && len(e.i32) > 0:
			raw = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(e.i32))), 4*len(e.i32))
		default:
			scratch = encode32(scratch[:0], e)
			raw = scratch
		}
		n, err := out.Write(raw)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// encode32 encodes an F32 or I32 entry's values little-endian (on a
// big-endian machine).
func encode32(buf []byte, e *writerEntry) []byte {
	for _, v := range e.f32 {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
	}
	for _, v := range e.i32 {
		buf = binary.LittleEndian.AppendUint32(buf, uint32(v))
	}
	return buf
}

// WriteFile writes the file to path atomically: to a temporary file in the
// same directory, renamed over path once complete.
func (w *Writer) WriteFile(path string) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = w.WriteTo(tmp); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
