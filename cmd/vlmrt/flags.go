package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/parallel"
)

// newFlags returns a flag set that reports errors through the returned
// error rather than printing usage.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses args and rejects positional arguments beyond maxArgs.
func parseFlags(fs *flag.FlagSet, args []string, maxArgs int) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > maxArgs {
		return fmt.Errorf("unexpected argument %q", fs.Arg(maxArgs))
	}
	return nil
}

// machineFlags are the flags that choose where kernels run.
type machineFlags struct {
	isa     *string
	threads *int
}

func addMachineFlags(fs *flag.FlagSet) machineFlags {
	return machineFlags{
		isa:     fs.String("isa", "", "kernel level: generic, avx2, avx512 or neon (default: the best the CPU has, or VLMRT_ISA)"),
		threads: fs.Int("threads", 1, "worker threads (0: one per CPU)"),
	}
}

// apply selects the kernel level; call it before loading a model, since
// weights are packed for the active level.
func (m machineFlags) apply() error {
	if err := kernels.EnvError(); err != nil {
		return err
	}
	if *m.isa == "" {
		return nil
	}
	l, err := kernels.ParseLevel(*m.isa)
	if err != nil {
		return err
	}
	return kernels.SetLevel(l)
}

// pool returns a worker pool for the --threads flag, nil for one thread.
func (m machineFlags) pool() *parallel.Pool {
	if *m.threads == 1 {
		return nil
	}
	return parallel.New(*m.threads)
}
