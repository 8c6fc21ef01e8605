// Package weights reads and writes model files in the safetensors format
// (SPEC.md section 1): an 8-byte little-endian header length, a JSON header
// naming each tensor's dtype, shape and byte range, then the raw
// little-endian tensor bytes.
//
// Open memory-maps a file (on unix; elsewhere it reads it into memory) and
// validates every rule of SPEC.md section 1 before it returns: the header
// length, the JSON, duplicate names, the metadata, dtypes, shapes and the
// byte ranges, which must tile the data section exactly. Nothing in the
// header is trusted before it has been checked against the file's size, and
// no allocation is sized by a number read from the header. Open touches no
// tensor data.
//
// # Lifetime of views
//
// Float32, Int32, Int8, Bytes and Quantized return slices that may alias
// the file's memory (the mapping, or the buffer given to Parse) rather than
// copies: F32, I32 and I8 tensors whose bytes are suitably aligned come
// back as zero-copy views. Such a view stays valid until Close; the model
// (or whatever holds the views) must keep the File open for as long as it
// uses them and close it afterwards. Views are read-only: on unix the
// mapping is mapped read-only and a write through a view crashes the
// program. Tensors converted on load (F16, BF16, F64, I64, dequantised I8,
// unaligned data, or any data on a big-endian machine) come back as fresh
// slices that the caller owns.
//
// # Errors
//
// Every error returned by this package is an *Error that names the file
// and, where there is one, the tensor; it wraps one of the sentinel errors
// below (ErrFormat, ErrHeader, ErrDuplicate, ErrMetadata, ErrDType,
// ErrShape, ErrOffsets, ErrNotFound, ErrRange, ErrRead, ErrClosed), so callers can
// test the class of a problem with errors.Is, and also wraps the
// underlying cause (an *os.PathError, say) when there is one.
//
// # Names
//
// Tensor names are Keras variable paths. Scope resolves a path relative to
// one head, whether the file holds that head alone, inside a multi-task
// wrapper, or without the head's prefix (SPEC.md section 1).
package weights
