package weights

import (
	"bytes"
	"encoding/binary"
	"os"
	"syscall"
	"testing"
)

// TestParseTouchesNoData lays a file out so that its data section starts on
// a page boundary, makes those pages inaccessible, and parses it: a read of
// any tensor byte would crash the test.
func TestParseTouchesNoData(t *testing.T) {
	page := os.Getpagesize()
	w := NewWriter()
	data := make([]float32, 3*page)
	if err := w.AddFloat32("h/a", []int{page, 2}, data[:2*page]); err != nil {
		t.Fatal(err)
	}
	if err := w.AddFloat32("h/b", []int{page}, data[2*page:]); err != nil {
		t.Fatal(err)
	}
	w.SetMetadata("class_name", "X")
	head, _, err := w.header()
	if err != nil {
		t.Fatal(err)
	}
	// Pad the header with spaces to one page.
	head = append(head, bytes.Repeat([]byte{' '}, page-len(head))...)
	binary.LittleEndian.PutUint64(head, uint64(page-8))

	mem, err := syscall.Mmap(-1, 0, page+4*len(data), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skip("mmap:", err)
	}
	defer syscall.Munmap(mem)
	copy(mem, head)
	if err := syscall.Mprotect(mem[page:], syscall.PROT_NONE); err != nil {
		t.Skip("mprotect:", err)
	}
	f, err := Parse(mem, "guarded")
	if err != nil {
		t.Fatal(err)
	}
	if f.Len() != 2 || f.Metadata()["class_name"] != "X" {
		t.Fatalf("parsed %d tensors, metadata %v", f.Len(), f.Metadata())
	}
	if _, ok := f.Scope("h").Info("b"); !ok {
		t.Fatal("h/b not resolved")
	}
}
