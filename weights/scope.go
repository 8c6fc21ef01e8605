package weights

import (
	"slices"
	"strings"
)

// Scope resolves Keras variable paths relative to one head of a file, so
// that a head's loader can ask for "ffn_0/fc1/kernel" whether the file
// holds the head alone ("cap_head/ffn_0/fc1/kernel"), inside a multi-task
// wrapper ("multi_task_vlm_head/cap_head/ffn_0/fc1/kernel"), or without the
// head's prefix ("ffn_0/fc1/kernel"). See Resolve.
type Scope struct {
	f    *File
	head string
}

// Scope returns the scope of the head named head (e.g. "cap_head"). An
// empty head resolves paths as full tensor names.
func (f *File) Scope(head string) Scope { return Scope{f: f, head: head} }

// Head returns the scope's head name.
func (s Scope) Head() string { return s.head }

// File returns the scope's file.
func (s Scope) File() *File { return s.f }

// Resolve returns the full name of the tensor at the head-relative path,
// trying in turn:
//
//  1. head + "/" + path (a single-head file; also the matching head's
//     temperature "matching_head/matching_head_temperature", which Keras
//     creates outside any wrapper);
//  2. a name ending in "/" + head + "/" + path (the head inside a
//     multi-task wrapper; if several wrappers hold it, the first name in
//     sorted order);
//  3. path itself (a file whose names lack the head prefix).
//
// Every step is a map lookup: the index of name suffixes for step 2 is
// built on the first use of any Scope of the file.
func (s Scope) Resolve(path string) (string, bool) {
	if s.head == "" {
		_, ok := s.f.index[path]
		return path, ok
	}
	full := s.head + "/" + path
	if _, ok := s.f.index[full]; ok {
		return full, true
	}
	if i, ok := s.f.suffixIndex()[full]; ok {
		return s.f.tensors[i].Name, true
	}
	if _, ok := s.f.index[path]; ok {
		return path, true
	}
	return "", false
}

// suffixIndex maps each proper suffix of a tensor name that starts after a
// '/' to the first tensor (in name order) that ends with it.
func (f *File) suffixIndex() map[string]int {
	f.suffixOnce.Do(func() {
		m := make(map[string]int)
		for i, t := range f.tensors {
			name := t.Name
			for j := 0; j < len(name); j++ {
				if name[j] != '/' {
					continue
				}
				if _, dup := m[name[j+1:]]; !dup {
					m[name[j+1:]] = i
				}
			}
		}
		f.suffixes = m
	})
	return f.suffixes
}

// Has reports whether the path resolves to a tensor.
func (s Scope) Has(path string) bool {
	_, ok := s.Resolve(path)
	return ok
}

// Info returns the description of the tensor at the path.
func (s Scope) Info(path string) (TensorInfo, bool) {
	name, ok := s.Resolve(path)
	if !ok {
		return TensorInfo{}, false
	}
	return s.f.Info(name)
}

// resolve returns the tensor's full name, or an error wrapping ErrNotFound
// that names the head-relative path and the names tried; with a shape, it
// also checks the tensor's shape (ErrShape).
func (s Scope) resolve(path string, shape []int) (string, error) {
	if s.f.data == nil {
		return "", s.f.errorf(ErrClosed, path, "file is closed")
	}
	name, ok := s.Resolve(path)
	if !ok {
		if s.head == "" {
			return "", s.f.errorf(ErrNotFound, path, "not found")
		}
		full := s.head + "/" + path
		return "", s.f.errorf(ErrNotFound, path, "not found in head %s (tried %s, %s, %s)",
			quote(s.head), quote(full), quote(".../"+full), quote(path))
	}
	if shape != nil {
		t, _ := s.f.Info(name)
		if !slices.Equal(t.Shape, shape) {
			return "", s.f.errorf(ErrShape, name, "shape %s, want %s", formatShape(t.Shape), formatShape(shape))
		}
	}
	return name, nil
}

// Float32 returns the tensor at the path as File.Float32 does. When shape
// is given, a tensor of another shape is an error wrapping ErrShape, e.g.
//
//	weights: model.safetensors: tensor "cap_head/ffn_0/fc1/kernel": shape [48 256], want [48 192]
//
// A path that does not resolve is an error wrapping ErrNotFound.
func (s Scope) Float32(path string, shape ...int) ([]float32, error) {
	name, err := s.resolve(path, shape)
	if err != nil {
		return nil, err
	}
	return s.f.Float32(name)
}

// Release is File.Release for the tensor at the head-relative path.
func (s Scope) Release(path string) {
	if name, ok := s.Resolve(path); ok {
		s.f.Release(name)
	}
}

// Int32 is Float32 for File.Int32.
func (s Scope) Int32(path string, shape ...int) ([]int32, error) {
	name, err := s.resolve(path, shape)
	if err != nil {
		return nil, err
	}
	return s.f.Int32(name)
}

// Quantized is File.Quantized for the kernel at the path; shape, when
// given, is the kernel's.
func (s Scope) Quantized(path string, shape ...int) ([]int8, []float32, error) {
	name, err := s.resolve(path, shape)
	if err != nil {
		return nil, nil, err
	}
	return s.f.Quantized(name)
}

// formatShape prints a shape as [48 256] ([] for a scalar).
func formatShape(shape []int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, d := range shape {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(itoa(int64(d)))
	}
	b.WriteByte(']')
	return b.String()
}
