package main

import (
	"errors"
	"io"
)

// benchModel measures a whole head: "vlmrt bench --model M --inputs I".
func benchModel(args []string, w io.Writer) error {
	return errors.New("model benchmarks are not implemented yet")
}
