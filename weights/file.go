package weights

import (
	"fmt"
	"io"
	"maps"
	"os"
	"sync"
)

// File is an open, validated safetensors file. Its methods may be called
// from several goroutines at once, but not concurrently with Close.
type File struct {
	name     string
	data     []byte // the whole file; nil once closed
	body     []byte // the data section
	tensors  []TensorInfo
	index    map[string]int // name -> position in tensors
	metadata map[string]string
	release  func() error // unmaps; nil for Parse

	suffixOnce sync.Once
	suffixes   map[string]int // see suffixIndex
}

// Open opens and validates the safetensors file at path. On unix it maps
// the file into memory (read-only); elsewhere it reads it. Nothing is read
// from the data section. Close the File when no view of its tensors is in
// use any more (see the package documentation on lifetimes).
//
// The error is an *Error wrapping ErrFormat, ErrHeader, ErrDuplicate,
// ErrMetadata, ErrDType, ErrShape or ErrOffsets for an invalid file, and
// ErrRead, wrapping the *os.PathError, for one that cannot be read.
func Open(path string) (*File, error) {
	data, release, err := load(path)
	if err != nil {
		return nil, &Error{File: path, Kind: ErrRead, Detail: "cannot read", Cause: unwrapPath(err)}
	}
	f, err := parse(data, path)
	if err != nil {
		if release != nil {
			release()
		}
		return nil, err
	}
	f.release = release
	return f, nil
}

// unwrapPath drops the *os.PathError's own path, which the message already
// names, keeping the cause testable with errors.Is (os.ErrNotExist).
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pathCause{pe}
	}
	return err
}

// pathCause prints an *os.PathError as "op: err" and unwraps to it.
type pathCause struct{ pe *os.PathError }

func (c pathCause) Error() string { return c.pe.Op + ": " + c.pe.Err.Error() }
func (c pathCause) Unwrap() error { return c.pe }

// Parse validates a safetensors file held in memory. name stands for the
// file in error messages. The File's views alias data, which must not be
// modified while they are in use.
func Parse(data []byte, name string) (*File, error) {
	return parse(data, name)
}

func parse(data []byte, name string) (*File, error) {
	h, start, err := parseHeader(data, name)
	if err != nil {
		return nil, err
	}
	f := &File{
		name:     name,
		data:     data,
		body:     data[start:],
		tensors:  h.tensors,
		index:    make(map[string]int, len(h.tensors)),
		metadata: h.metadata,
	}
	for i, t := range h.tensors {
		f.index[t.Name] = i
	}
	return f, nil
}

// readAll reads a stream whose size is not known in advance.
func readAll(r io.Reader) ([]byte, func() error, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, err
	}
	return data, func() error { return nil }, nil
}

// Release tells the system that the named tensor's bytes will not be read
// again soon. For a memory-mapped file its pages leave the process's
// resident set (a loader calls it once a tensor is copied or packed, so
// that the mapped original does not stay resident beside the copy). Views
// of the tensor stay valid: touching them reads the pages back from the
// file. Unknown names and files that are not mapped are ignored.
func (f *File) Release(name string) {
	i, ok := f.index[name]
	if !ok || f.release == nil || f.body == nil {
		return
	}
	t := f.tensors[i]
	dropPages(f.body[t.Offset : t.Offset+t.Size])
}

// Close releases the file's memory. Every view returned by the File's
// methods becomes invalid (on unix, reading one crashes the program); the
// File's methods return ErrClosed afterwards. Closing twice is harmless.
func (f *File) Close() error {
	if f.data == nil {
		return nil
	}
	f.data, f.body = nil, nil
	if f.release == nil {
		return nil
	}
	release := f.release
	f.release = nil
	if err := release(); err != nil {
		return &Error{File: f.name, Kind: ErrClosed, Detail: "unmap", Cause: err}
	}
	return nil
}

// Name returns the path given to Open or the name given to Parse.
func (f *File) Name() string { return f.name }

// Metadata returns a copy of the header's __metadata__ map; it is empty
// (never nil) when the file has none. It is safe to call on a nil *File.
func (f *File) Metadata() map[string]string {
	if f == nil || f.metadata == nil {
		return map[string]string{}
	}
	return maps.Clone(f.metadata)
}

// MetadataValue returns one metadata value and whether it is present.
func (f *File) MetadataValue(key string) (string, bool) {
	if f == nil {
		return "", false
	}
	v, ok := f.metadata[key]
	return v, ok
}

// Tensors returns the tensors sorted by name. The slice is a copy; the
// shapes in it are shared and must not be modified.
func (f *File) Tensors() []TensorInfo {
	out := make([]TensorInfo, len(f.tensors))
	copy(out, f.tensors)
	return out
}

// Len returns the number of tensors.
func (f *File) Len() int { return len(f.tensors) }

// Info returns the description of the tensor called name.
func (f *File) Info(name string) (TensorInfo, bool) {
	i, ok := f.index[name]
	if !ok {
		return TensorInfo{}, false
	}
	return f.tensors[i], true
}

// Has reports whether the file holds a tensor called name.
func (f *File) Has(name string) bool {
	_, ok := f.index[name]
	return ok
}

// errorf returns an *Error about tensor (which may be empty).
func (f *File) errorf(kind error, tensor, format string, args ...any) error {
	return &Error{File: f.name, Tensor: tensor, Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// lookup returns a tensor's description and its bytes.
func (f *File) lookup(name string) (TensorInfo, []byte, error) {
	if f.data == nil {
		return TensorInfo{}, nil, f.errorf(ErrClosed, name, "file is closed")
	}
	i, ok := f.index[name]
	if !ok {
		return TensorInfo{}, nil, f.errorf(ErrNotFound, name, "not found")
	}
	t := f.tensors[i]
	return t, f.body[t.Offset : t.Offset+t.Size : t.Offset+t.Size], nil
}

// Bytes returns the raw little-endian bytes of a tensor: a view of the
// file (see the package documentation on lifetimes).
func (f *File) Bytes(name string) (TensorInfo, []byte, error) {
	return f.lookup(name)
}
