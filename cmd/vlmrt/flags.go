package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/vlmrt/vlmrt/heads"
	"github.com/vlmrt/vlmrt/kernels"
	"github.com/vlmrt/vlmrt/parallel"
)

// flagSet is a sub-command's flags with the synopsis its usage line shows.
// Flags may come before, between or after the positional arguments
// ("vlmrt preprocess --model M photo.png --out x"); "--" ends the flags and
// is kept among the positional arguments, where a command may read it.
type flagSet struct {
	*flag.FlagSet
	synopsis   string   // the arguments after "vlmrt <name>"
	positional []string // set by parseFlags
}

// Args returns the positional arguments.
func (fs *flagSet) Args() []string { return fs.positional }

// NArg returns the number of positional arguments.
func (fs *flagSet) NArg() int { return len(fs.positional) }

// Arg returns positional argument i, or "" when there is none.
func (fs *flagSet) Arg(i int) string {
	if i < 0 || i >= len(fs.positional) {
		return ""
	}
	return fs.positional[i]
}

// newFlags returns the flags of command name ("run", "bench matmul"),
// which reports errors through parseFlags rather than printing them.
func newFlags(name, synopsis string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &flagSet{FlagSet: fs, synopsis: synopsis}
}

// usage returns the usage line, "usage: vlmrt <name> <synopsis>".
func (fs *flagSet) usage() string {
	return strings.TrimSpace("usage: vlmrt " + fs.Name() + " " + fs.synopsis)
}

// helpError is what parseFlags returns for -h or --help: the command's
// usage and flags, which main prints on stdout with status 0.
type helpError struct{ text string }

func (e *helpError) Error() string { return e.text }

// parseFlags parses args and rejects positional arguments beyond maxArgs.
// A bad flag's error carries the usage line; -h and --help return a
// *helpError.
func parseFlags(fs *flagSet, args []string, maxArgs int) error {
	if err := fs.parseInterspersed(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			var b strings.Builder
			b.WriteString(fs.usage() + "\n")
			n := 0
			fs.VisitAll(func(*flag.Flag) { n++ })
			if n > 0 {
				b.WriteString("\nflags:\n")
				fs.SetOutput(&b)
				fs.PrintDefaults()
				fs.SetOutput(io.Discard)
			}
			return &helpError{b.String()}
		}
		return fmt.Errorf("%w (%s)", err, fs.usage())
	}
	if fs.NArg() > maxArgs {
		return fmt.Errorf("unexpected argument %q (%s)", fs.Arg(maxArgs), fs.usage())
	}
	return nil
}

// machineFlags are the flags that choose where kernels run.
type machineFlags struct {
	isa     *string
	threads *int
}

// addMachineFlags adds --isa and --threads, the latter defaulting to
// threads.
func addMachineFlags(fs *flagSet, threads int) machineFlags {
	return machineFlags{
		isa:     fs.String("isa", "", "kernel level: generic, avx2, avx512 or neon (default: the best the CPU has, or VLMRT_ISA)"),
		threads: fs.Int("threads", threads, "worker threads (0: one per CPU)"),
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
	if err == nil {
		err = kernels.SetLevel(l)
	}
	if err != nil {
		return fmt.Errorf("--isa: %w", err)
	}
	return nil
}

// pool returns a worker pool for the --threads flag, nil for one thread.
func (m machineFlags) pool() *parallel.Pool {
	if *m.threads == 1 {
		return nil
	}
	return parallel.New(*m.threads)
}

// parseInterspersed parses flags wherever they stand among args, collecting
// the other arguments, in order, as the positional ones; everything from a
// "--" on (the "--" included) is positional.
func (fs *flagSet) parseInterspersed(args []string) error {
	fs.positional = nil
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		rest := fs.FlagSet.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			fs.positional = append(append(fs.positional, "--"), rest...)
			return nil
		}
		if len(rest) == 0 {
			return nil
		}
		fs.positional = append(fs.positional, rest[0])
		args = rest[1:]
	}
}

// quantizeFlag is --quantize: the precision models are loaded at.
type quantizeFlag struct{ name *string }

func addQuantizeFlag(fs *flagSet) quantizeFlag {
	return quantizeFlag{fs.String("quantize", "", "load the model's products as int8 or float32 (default: float weights as float32, I8 weights as int8)")}
}

// precision returns the precision asked for, nil when the flag is unset.
func (q quantizeFlag) precision() (*heads.Precision, error) {
	if *q.name == "" {
		return nil, nil
	}
	p, err := kernels.ParsePrecision(*q.name)
	if err != nil {
		return nil, fmt.Errorf("--quantize: %w", err)
	}
	return &p, nil
}

// headOptions returns the heads.Load options of the flag.
func (q quantizeFlag) headOptions() ([]heads.LoadOption, error) {
	p, err := q.precision()
	if p == nil || err != nil {
		return nil, err
	}
	return []heads.LoadOption{heads.Quantize(*p)}, nil
}
