package kernels

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// Level names a tier of kernel implementations.
type Level uint8

// The kernel levels, lowest first.
const (
	Generic Level = iota // pure Go, every GOARCH and the purego build
	AVX2                 // amd64 with AVX2 and FMA
	AVX512               // amd64 with AVX-512 F, BW, DQ and VL
	NEON                 // arm64 Advanced SIMD
	numLevels
)

var levelNames = [numLevels]string{"generic", "avx2", "avx512", "neon"}

// String returns the level's name as VLMRT_ISA and --isa spell it.
func (l Level) String() string {
	if l < numLevels {
		return levelNames[l]
	}
	return fmt.Sprintf("Level(%d)", uint8(l))
}

// ErrUnknownLevel is returned by ParseLevel for a name that is no level.
var ErrUnknownLevel = errors.New("kernels: unknown kernel level")

// ErrUnsupportedLevel is returned when a level is asked for that this CPU
// (or this build) cannot run.
var ErrUnsupportedLevel = errors.New("kernels: kernel level not supported on this CPU")

// ParseLevel returns the level named s ("generic", "avx2", "avx512", "neon").
func ParseLevel(s string) (Level, error) {
	for i, name := range levelNames {
		if strings.EqualFold(strings.TrimSpace(s), name) {
			return Level(i), nil
		}
	}
	return 0, fmt.Errorf("%w %q (want one of %s)", ErrUnknownLevel, s, strings.Join(levelNames[:], ", "))
}

// Supported reports whether this CPU and build can run level l.
func (l Level) Supported() bool { return l < numLevels && supported[l] }

// Levels returns the levels this CPU supports, lowest first. Generic is
// always among them.
func Levels() []Level {
	var ls []Level
	for l := Generic; l < numLevels; l++ {
		if supported[l] {
			ls = append(ls, l)
		}
	}
	return ls
}

// Best returns the highest level this CPU supports.
func Best() Level {
	ls := Levels()
	return ls[len(ls)-1]
}

// active is the level whose kernels the package functions call.
var active, envErr = initialLevel()

// initialLevel picks the best level, or the one VLMRT_ISA names.
func initialLevel() (Level, error) {
	s, ok := os.LookupEnv("VLMRT_ISA")
	if !ok || s == "" {
		return Best(), nil
	}
	l, err := ParseLevel(s)
	if err != nil {
		return Best(), fmt.Errorf("VLMRT_ISA: %w", err)
	}
	if !l.Supported() {
		return Best(), fmt.Errorf("VLMRT_ISA=%s: %w", l, ErrUnsupportedLevel)
	}
	return l, nil
}

// EnvError reports a VLMRT_ISA value that could not be honoured. The
// package then runs at Best; commands should report the error and stop.
func EnvError() error { return envErr }

// Active returns the level in use.
func Active() Level { return active }

// levelHooks are called with the new level whenever it changes; each kernel
// family registers one to choose its implementations.
var levelHooks []func(Level)

// onLevel registers a kernel family's selector and calls it at once with the
// active level. Call it from init functions only.
func onLevel(choose func(Level)) {
	levelHooks = append(levelHooks, choose)
	choose(active)
}

// SetLevel makes l the active level for every kernel family. It returns
// ErrUnsupportedLevel if the CPU cannot run l.
//
// SetLevel must not run while kernels run on other goroutines: call it at
// start-up, or between runs in tests and benchmarks. Packed weights keep the
// level they were packed at; pack again after changing it.
func SetLevel(l Level) error {
	if !l.Supported() {
		return fmt.Errorf("%w: %s", ErrUnsupportedLevel, l)
	}
	active = l
	for _, choose := range levelHooks {
		choose(l)
	}
	return nil
}
