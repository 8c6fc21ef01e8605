// Command report turns the benchmark results of tools/bench_report.sh into
// bench/report.md and its PNG charts:
//
//	go run . assemble -logs DIR -o RESULTS.json   # the raw logs of a run -> results
//	go run . -in RESULTS.json -out DIR            # results -> DIR/report.md, DIR/report_*.png
//
// It lives in its own module (bench/report/go.mod) so that gonum.org/v1/plot
// stays out of vlmrt's go.mod.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "report: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) > 0 && args[0] == "assemble" {
		fs := flag.NewFlagSet("assemble", flag.ContinueOnError)
		logs := fs.String("logs", "", "the log directory of tools/bench_report.sh")
		out := fs.String("o", "", "the results file to write (JSON)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *logs == "" || *out == "" {
			return fmt.Errorf("assemble needs -logs DIR and -o FILE")
		}
		r, err := assemble(*logs)
		if err != nil {
			return err
		}
		if len(r.Rows) == 0 {
			return fmt.Errorf("%s: no result in the logs", *logs)
		}
		return writeResults(*out, r)
	}
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	in := fs.String("in", "../report.json", "the results file (JSON)")
	out := fs.String("out", "..", "the directory to write report.md and report_*.png into")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r, err := readResults(*in)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := render(r, *out, &buf); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(*out, "report.md"), buf.Bytes(), 0o644)
}
