// Command vlmrt runs vision-language task heads exported from Keras or
// PyTorch as safetensors files, and measures the kernels under them.
//
// Usage:
//
//	vlmrt <command> [flags]
//
// The commands are listed by "vlmrt help"; SPEC.md section 7 is their
// contract.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
)

// command is one sub-command. run returns an error for bad input; main prints
// it as one line on stderr and exits with status 1.
type command struct {
	summary string
	run     func(args []string, stdout io.Writer) error
}

// commands is filled by the init functions of this package's cmd_*.go files.
var commands = map[string]command{}

func main() {
	os.Exit(mainWithArgs(os.Args[1:], os.Stdout, os.Stderr))
}

func mainWithArgs(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "vlmrt: unknown command %q (run \"vlmrt help\")\n", args[0])
		return 2
	}
	if err := cmd.run(args[1:], stdout); err != nil {
		var help *helpError
		if errors.As(err, &help) {
			fmt.Fprint(stdout, help.text)
			return 0
		}
		fmt.Fprintf(stderr, "vlmrt %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: vlmrt <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-9s %s\n", name, commands[name].summary)
	}
}
