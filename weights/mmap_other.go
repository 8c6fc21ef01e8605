//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package weights

import "os"

// load reads the whole file into memory: this platform has no mmap that the
// package uses.
func load(path string) (data []byte, release func() error, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return readAll(f)
}

// dropPages does nothing: the file was read into the Go heap.
func dropPages([]byte) {}
