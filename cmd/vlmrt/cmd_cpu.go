package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/cpuid/v2"

	"github.com/vlmrt/vlmrt/kernels"
)

func init() {
	commands["cpu"] = command{"print the CPU's features and the kernel level chosen", runCPU}
}

func runCPU(args []string, w io.Writer) error {
	if err := parseFlags(newFlags("cpu", ""), args, 0); err != nil {
		return err
	}
	if err := kernels.EnvError(); err != nil {
		return err
	}
	c := cpuid.CPU
	fmt.Fprintf(w, "cpu: %s\n", c.BrandName)
	fmt.Fprintf(w, "cores: %d physical, %d logical\n", c.PhysicalCores, c.LogicalCores)
	fmt.Fprintf(w, "cache: L1d %s, L2 %s, L3 %s\n", size(c.Cache.L1D), size(c.Cache.L2), size(c.Cache.L3))
	fmt.Fprintf(w, "features: %s\n", strings.Join(c.FeatureSet(), " "))
	var levels []string
	for _, l := range kernels.Levels() {
		levels = append(levels, l.String())
	}
	fmt.Fprintf(w, "levels: %s\n", strings.Join(levels, " "))
	fmt.Fprintf(w, "level: %s\n", kernels.Active())
	return nil
}

func size(bytes int) string {
	switch {
	case bytes <= 0:
		return "unknown"
	case bytes >= 1<<20:
		return fmt.Sprintf("%d MiB", bytes>>20)
	default:
		return fmt.Sprintf("%d KiB", bytes>>10)
	}
}
