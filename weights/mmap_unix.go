//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package weights

import (
	"fmt"
	"math"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// load maps the whole file read-only. The mapping outlives the descriptor,
// which is closed before load returns; release unmaps it.
func load(path string) (data []byte, release func() error, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	size := st.Size()
	switch {
	case !st.Mode().IsRegular():
		// Pipes and devices cannot be mapped; read them, but no more than a
		// sane bound past which a stream is not a model file.
		return readAll(f)
	case size == 0:
		return []byte{}, func() error { return nil }, nil
	case size > math.MaxInt:
		return nil, nil, fmt.Errorf("file of %d bytes is too large to map", size)
	}
	data, err = syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, &os.PathError{Op: "mmap", Path: path, Err: err}
	}
	return data, func() error { return syscall.Munmap(data) }, nil
}

// dropPages tells the kernel that the mapped pages wholly inside b are not
// needed for now: they leave the process's resident set and are read back
// from the file if touched again.
func dropPages(b []byte) {
	if len(b) == 0 {
		return
	}
	page := uintptr(syscall.Getpagesize())
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo := int((page - start%page) % page)                // first page boundary in b
	hi := int((start+uintptr(len(b)))&^(page-1) - start) // last page boundary in b
	if hi <= lo {
		return
	}
	_ = unix.Madvise(b[lo:hi], unix.MADV_DONTNEED)
}
