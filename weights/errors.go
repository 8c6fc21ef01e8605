package weights

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors: each error returned by this package wraps exactly one of
// them, so that callers can test the class of a problem with errors.Is.
var (
	// ErrFormat: the file is not framed as safetensors: shorter than its
	// 8-byte length prefix, or a header length larger than the file or
	// than MaxHeaderSize.
	ErrFormat = errors.New("weights: not a safetensors file")
	// ErrHeader: the header is not a JSON object in UTF-8, or a tensor's
	// entry is not an object with dtype, shape and data_offsets.
	ErrHeader = errors.New("weights: invalid header")
	// ErrDuplicate: a tensor name (or a metadata key) appears twice.
	ErrDuplicate = errors.New("weights: duplicate name")
	// ErrMetadata: __metadata__ is not a map of strings to strings.
	ErrMetadata = errors.New("weights: invalid metadata")
	// ErrDType: a dtype this package does not read, or a tensor whose
	// dtype the asked-for accessor cannot return.
	ErrDType = errors.New("weights: unsupported dtype")
	// ErrShape: a shape with a negative or non-integer dimension, a
	// product that overflows, or a shape other than the one asked for.
	ErrShape = errors.New("weights: invalid shape")
	// ErrOffsets: data_offsets that are not two non-negative integers,
	// are reversed, leave the data section, overlap another tensor's,
	// hold another byte count than the shape needs, or leave bytes of the
	// data section that no tensor covers.
	ErrOffsets = errors.New("weights: invalid data offsets")
	// ErrNotFound: no tensor of that name.
	ErrNotFound = errors.New("weights: tensor not found")
	// ErrRange: a value that does not fit the asked-for type (an I64
	// read as I32).
	ErrRange = errors.New("weights: value out of range")
	// ErrRead: the file cannot be opened or read (the error also wraps the
	// *os.PathError, so errors.Is(err, os.ErrNotExist) works).
	ErrRead = errors.New("weights: cannot read file")
	// ErrClosed: the file was closed.
	ErrClosed = errors.New("weights: file closed")
)

// Error is the error type of this package. Its message reads
//
//	weights: model.safetensors: tensor "cap_head/ffn_0/fc1/kernel": shape [48 256], want [48 192]
//
// and it unwraps to its Kind (one of the sentinel errors) and to its Cause
// when there is one.
type Error struct {
	File   string // the file's path, or the name given to Parse
	Tensor string // the tensor's name; empty for an error about the whole file
	Kind   error  // one of the sentinel errors
	Detail string // what is wrong, in words
	Cause  error  // the underlying error, or nil
}

// Error returns the message, "weights: FILE: [tensor "NAME": ]DETAIL[: CAUSE]".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("weights: ")
	b.WriteString(e.File)
	b.WriteString(": ")
	if e.Tensor != "" {
		b.WriteString("tensor ")
		b.WriteString(quote(e.Tensor))
		b.WriteString(": ")
	}
	switch {
	case e.Detail != "":
		b.WriteString(e.Detail)
	case e.Kind != nil:
		b.WriteString(strings.TrimPrefix(e.Kind.Error(), "weights: "))
	}
	if e.Cause != nil {
		b.WriteString(": ")
		b.WriteString(e.Cause.Error())
	}
	return b.String()
}

// Unwrap returns the sentinel error and the cause.
func (e *Error) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Kind, e.Cause}
	}
	return []error{e.Kind}
}

// quote quotes a name for a message, keeping it on one line and short even
// when a hostile header made it long.
func quote(s string) string {
	const max = 200
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strconv.Quote(s)
}
