package weights

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// MaxHeaderSize is the largest JSON header accepted, in bytes (SPEC.md
// section 1: 100 MB).
const MaxHeaderSize = 100_000_000

// metadataKey is the header key that holds the file's metadata.
const metadataKey = "__metadata__"

// TensorInfo describes one tensor of a file.
type TensorInfo struct {
	Name   string
	DType  DType
	Shape  []int // empty for a scalar; do not modify
	Offset int64 // first byte within the data section
	Size   int64 // length in bytes: Elements() * DType.Size()
}

// Elements returns the number of elements, the product of the shape (1 for
// a scalar).
func (t TensorInfo) Elements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// header is a parsed and validated header.
type header struct {
	tensors  []TensorInfo // sorted by name
	metadata map[string]string
}

// parseHeader validates the framing of a whole file and its header by every
// rule of SPEC.md section 1, and returns the tensors and the metadata and
// the offset at which the data section starts. It reads no tensor data.
func parseHeader(data []byte, file string) (*header, int64, error) {
	fail := func(kind error, tensor, format string, args ...any) (*header, int64, error) {
		return nil, 0, &Error{File: file, Tensor: tensor, Kind: kind, Detail: fmt.Sprintf(format, args...)}
	}
	if len(data) < 8 {
		return fail(ErrFormat, "", "file is %d bytes, shorter than the 8-byte header length", len(data))
	}
	n := binary.LittleEndian.Uint64(data)
	if n > MaxHeaderSize {
		return fail(ErrFormat, "", "header length %d exceeds the limit of %d bytes", n, MaxHeaderSize)
	}
	if n > uint64(len(data)-8) {
		return fail(ErrFormat, "", "header length %d exceeds the %d bytes after the length prefix", n, len(data)-8)
	}
	js := data[8 : 8+n]
	if !utf8.Valid(js) {
		return fail(ErrHeader, "", "header is not valid UTF-8")
	}
	start := int64(8 + n)
	h, err := parseJSON(js, int64(len(data))-start, file)
	if err != nil {
		return nil, 0, err
	}
	// Sorting by name brings duplicates together: a map of the names seen
	// would cost more on a header of thousands of tensors.
	slices.SortFunc(h.tensors, func(a, b TensorInfo) int { return strings.Compare(a.Name, b.Name) })
	for i := 1; i < len(h.tensors); i++ {
		if h.tensors[i].Name == h.tensors[i-1].Name {
			return fail(ErrDuplicate, h.tensors[i].Name, "name appears twice in the header")
		}
	}
	if err := checkLayout(h.tensors, int64(len(data))-start, file); err != nil {
		return nil, 0, err
	}
	return h, start, nil
}

// parseJSON reads the header object. It checks each entry on its own
// (names, dtypes, shapes, offsets); checkLayout then checks the entries
// against each other and the data section.
func parseJSON(js []byte, dataLen int64, file string) (*header, error) {
	p := &scanner{s: js}
	syntax := func(tensor string, err error) error {
		return &Error{File: file, Tensor: tensor, Kind: ErrHeader, Detail: "malformed JSON: " + err.Error()}
	}
	if p.peek() != '{' {
		return nil, &Error{File: file, Kind: ErrHeader, Detail: "header is not a JSON object"}
	}
	p.i++
	h := &header{}
	first, sawMeta := true, false
	for {
		ok, err := p.more('}', &first)
		if err != nil {
			return nil, syntax("", err)
		}
		if !ok {
			break
		}
		name, err := p.key()
		if err != nil {
			return nil, syntax("", err)
		}
		if name == metadataKey {
			if sawMeta {
				return nil, &Error{File: file, Kind: ErrDuplicate, Detail: "__metadata__ appears twice"}
			}
			sawMeta = true
			if h.metadata, err = parseMetadata(p, file); err != nil {
				return nil, err
			}
			continue
		}
		if name == "" {
			// The writer refuses empty names too: no path can address one.
			return nil, &Error{File: file, Kind: ErrHeader, Detail: "a tensor has an empty name"}
		}
		t, err := parseEntry(p, name, dataLen, file)
		if err != nil {
			return nil, err
		}
		h.tensors = append(h.tensors, t)
	}
	if p.peek() != 0 {
		return nil, syntax("", p.fail("data after the header object"))
	}
	return h, nil
}

// parseMetadata reads the __metadata__ object, which must map strings to
// strings.
func parseMetadata(p *scanner, file string) (map[string]string, error) {
	bad := func(detail string) error {
		return &Error{File: file, Kind: ErrMetadata, Detail: detail}
	}
	syntax := func(err error) error {
		return &Error{File: file, Kind: ErrHeader, Detail: "malformed JSON in __metadata__: " + err.Error()}
	}
	if p.peek() != '{' {
		return nil, bad("__metadata__ is not an object")
	}
	p.i++
	m := make(map[string]string)
	first := true
	for {
		ok, err := p.more('}', &first)
		if err != nil {
			return nil, syntax(err)
		}
		if !ok {
			return m, nil
		}
		k, err := p.key()
		if err != nil {
			return nil, syntax(err)
		}
		if p.peek() != '"' {
			return nil, bad(fmt.Sprintf("__metadata__ value of %s is not a string", quote(k)))
		}
		v, err := p.str()
		if err != nil {
			return nil, syntax(err)
		}
		if _, dup := m[k]; dup {
			return nil, &Error{File: file, Kind: ErrDuplicate, Detail: fmt.Sprintf("__metadata__ key %s appears twice", quote(k))}
		}
		m[k] = v
	}
}

// parseEntry reads one tensor's object: dtype, shape and data_offsets.
// Other keys are skipped. The offsets must lie inside a data section of
// dataLen bytes.
func parseEntry(p *scanner, name string, dataLen int64, file string) (TensorInfo, error) {
	t := TensorInfo{Name: name}
	fail := func(kind error, format string, args ...any) (TensorInfo, error) {
		return TensorInfo{}, &Error{File: file, Tensor: name, Kind: kind, Detail: fmt.Sprintf(format, args...)}
	}
	syntax := func(err error) (TensorInfo, error) {
		return fail(ErrHeader, "malformed JSON: %v", err)
	}
	if p.peek() != '{' {
		return fail(ErrHeader, "entry is not an object")
	}
	p.i++
	var haveDType, haveShape, haveOffsets bool
	var begin, end int64
	var shape []int64
	first := true
	for {
		ok, err := p.more('}', &first)
		if err != nil {
			return syntax(err)
		}
		if !ok {
			break
		}
		k, err := p.key()
		if err != nil {
			return syntax(err)
		}
		switch k {
		case "dtype":
			if haveDType {
				return fail(ErrHeader, "dtype appears twice")
			}
			haveDType = true
			if p.peek() != '"' {
				return fail(ErrDType, "dtype is not a string")
			}
			s, err := p.str()
			if err != nil {
				return syntax(err)
			}
			d, ok := ParseDType(s)
			if !ok {
				return fail(ErrDType, "unknown dtype %s", quote(s))
			}
			t.DType = d
		case "shape":
			if haveShape {
				return fail(ErrHeader, "shape appears twice")
			}
			haveShape = true
			dims, err := intArray(p)
			if err != nil {
				if _, isSyntax := err.(*errSyntax); isSyntax {
					return syntax(err)
				}
				return fail(ErrShape, "shape %v", err)
			}
			shape = dims
		case "data_offsets":
			if haveOffsets {
				return fail(ErrHeader, "data_offsets appears twice")
			}
			haveOffsets = true
			offs, err := intArray(p)
			if err != nil {
				if _, isSyntax := err.(*errSyntax); isSyntax {
					return syntax(err)
				}
				return fail(ErrOffsets, "data_offsets %v", err)
			}
			if len(offs) != 2 {
				return fail(ErrOffsets, "data_offsets has %d values, want 2", len(offs))
			}
			begin, end = offs[0], offs[1]
		default:
			if _, _, err := p.value(0); err != nil {
				return syntax(err)
			}
		}
	}
	switch {
	case !haveDType:
		return fail(ErrHeader, "entry has no dtype")
	case !haveShape:
		return fail(ErrHeader, "entry has no shape")
	case !haveOffsets:
		return fail(ErrHeader, "entry has no data_offsets")
	case begin > end:
		return fail(ErrOffsets, "data_offsets [%d, %d] are reversed", begin, end)
	case end > dataLen:
		return fail(ErrOffsets, "data_offsets [%d, %d] leave the data section of %d bytes", begin, end, dataLen)
	}
	// The product of the dimensions, in bytes, must not overflow.
	size := int64(t.DType.Size())
	for _, d := range shape {
		if d != 0 && size > math.MaxInt64/d {
			return fail(ErrShape, "shape %v of %s overflows", shape, t.DType)
		}
		size *= d
	}
	if end-begin != size {
		return fail(ErrOffsets, "data_offsets [%d, %d] hold %d bytes, shape %v of %s needs %d", begin, end, end-begin, shape, t.DType, size)
	}
	t.Shape = make([]int, len(shape))
	for i, d := range shape {
		if d > math.MaxInt { // only where int is 32 bits, in a shape with a 0
			return fail(ErrShape, "dimension %d is too large for this machine", d)
		}
		t.Shape[i] = int(d)
	}
	t.Offset, t.Size = begin, size
	return t, nil
}

// errValue says that a well-formed JSON value is not what the header
// needs there (an array of non-negative integers).
type errValue string

func (e errValue) Error() string { return string(e) }

// intArray reads an array of non-negative integers. A JSON syntax error is
// an *errSyntax; a well-formed value of the wrong kind an errValue. The
// array's length is bounded by the header's size, which was checked.
func intArray(p *scanner) ([]int64, error) {
	if p.peek() != '[' {
		if _, _, err := p.value(0); err != nil {
			return nil, err
		}
		return nil, errValue("is not an array")
	}
	p.i++
	var out []int64
	first := true
	for {
		ok, err := p.more(']', &first)
		if err != nil {
			return nil, err
		}
		if !ok {
			return out, nil
		}
		kind, text, err := p.value(0)
		if err != nil {
			return nil, err
		}
		if kind != kindNumber {
			return nil, errValue("holds a value that is not a number")
		}
		v, ok := integer(text)
		if !ok {
			return nil, errValue(fmt.Sprintf("holds %s, not a non-negative 64-bit integer", text))
		}
		out = append(out, v)
	}
}

// checkLayout checks that the tensors' byte ranges lie inside a data section
// of dataLen bytes and tile it exactly: no range overlaps another, and no
// byte is left uncovered. A tensor of zero bytes may sit anywhere inside.
func checkLayout(tensors []TensorInfo, dataLen int64, file string) error {
	order := make([]int, len(tensors))
	for i := range order {
		order[i] = i
	}
	for _, t := range tensors {
		if t.Offset+t.Size > dataLen {
			return &Error{File: file, Tensor: t.Name, Kind: ErrOffsets,
				Detail: fmt.Sprintf("data_offsets [%d, %d] leave the data section of %d bytes", t.Offset, t.Offset+t.Size, dataLen)}
		}
	}
	slices.SortFunc(order, func(a, b int) int {
		ta, tb := &tensors[a], &tensors[b]
		if ta.Offset != tb.Offset {
			return cmpInt64(ta.Offset, tb.Offset)
		}
		if ta.Size != tb.Size {
			return cmpInt64(ta.Size, tb.Size)
		}
		return strings.Compare(ta.Name, tb.Name)
	})
	var covered int64 // bytes [0, covered) are covered
	last := -1        // the tensor that covers the byte before covered
	for _, i := range order {
		t := &tensors[i]
		if t.Size == 0 {
			continue
		}
		switch {
		case t.Offset > covered:
			return &Error{File: file, Tensor: t.Name, Kind: ErrOffsets,
				Detail: fmt.Sprintf("bytes [%d, %d) of the data section before it belong to no tensor", covered, t.Offset)}
		case t.Offset < covered:
			return &Error{File: file, Tensor: t.Name, Kind: ErrOffsets,
				Detail: fmt.Sprintf("data_offsets [%d, %d] overlap those of %s", t.Offset, t.Offset+t.Size, quote(tensors[last].Name))}
		}
		covered, last = t.Offset+t.Size, i
	}
	if covered != dataLen {
		return &Error{File: file, Kind: ErrOffsets,
			Detail: fmt.Sprintf("bytes [%d, %d) at the end of the data section belong to no tensor", covered, dataLen)}
	}
	return nil
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
