package pipeline

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/vlmrt/vlmrt/weights"
)

// files is where Load reads a model: the operating system's files (model
// files memory-mapped) or an fs.FS (read into memory).
type files interface {
	isDir(name string) (bool, error)
	exists(name string) bool
	// open opens a safetensors file.
	open(name string) (*weights.File, error)
	// read reads a file of at most limit bytes.
	read(name string, limit int64) ([]byte, error)
	join(elem ...string) string
	dir(name string) string
}

type osFiles struct{}

func (osFiles) isDir(name string) (bool, error) {
	st, err := os.Stat(name)
	if err != nil {
		return false, err
	}
	return st.IsDir(), nil
}

func (osFiles) exists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}

func (osFiles) open(name string) (*weights.File, error) { return weights.Open(name) }

func (osFiles) read(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLimited(f, name, limit)
}

func (osFiles) join(elem ...string) string { return filepath.Join(elem...) }
func (osFiles) dir(name string) string     { return filepath.Dir(name) }

// fsFiles reads from an fs.FS; safetensors files are read whole and
// parsed in memory.
type fsFiles struct{ fsys fs.FS }

func (f fsFiles) isDir(name string) (bool, error) {
	st, err := fs.Stat(f.fsys, name)
	if err != nil {
		return false, err
	}
	return st.IsDir(), nil
}

func (f fsFiles) exists(name string) bool {
	_, err := fs.Stat(f.fsys, name)
	return err == nil
}

// maxModelSize bounds a safetensors file read from an fs.FS.
const maxModelSize = 1 << 34

func (f fsFiles) open(name string) (*weights.File, error) {
	data, err := f.read(name, maxModelSize)
	if err != nil {
		return nil, fmt.Errorf("weights: %w", err)
	}
	return weights.Parse(data, name)
}

func (f fsFiles) read(name string, limit int64) ([]byte, error) {
	file, err := f.fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	return readLimited(file, name, limit)
}

func (fsFiles) join(elem ...string) string { return path.Join(elem...) }
func (fsFiles) dir(name string) string     { return path.Dir(name) }

// readLimited reads all of r, refusing more than limit bytes.
func readLimited(r io.Reader, name string, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: %w: more than %d bytes", name, errTooLarge, limit)
	}
	return data, nil
}

var errTooLarge = errors.New("file too large")
