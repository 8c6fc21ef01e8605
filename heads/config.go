package heads

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
)

// ErrConfig is wrapped by every error about a model's configuration.
var ErrConfig = errors.New("invalid config")

// config reads the keys of one JSON object: a missing key takes its default,
// an unknown key is ignored, a known key with a wrong type is an error. The
// first error sticks, so a head's constructor reads all its keys and checks
// err once.
type config struct {
	where string // "config" or "config.task_config", for messages
	keys  map[string]json.RawMessage
	err   *error // shared with the configs nested in this one
}

func parseConfig(where string, data []byte) (*config, error) {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrConfig, where, err)
	}
	if keys == nil {
		return nil, fmt.Errorf("%w: %s: not a JSON object", ErrConfig, where)
	}
	var err error
	return &config{where: where, keys: keys, err: &err}, nil
}

func (c *config) fail(key, format string, args ...any) {
	if *c.err == nil {
		*c.err = fmt.Errorf("%w: %s.%s: %s", ErrConfig, c.where, key, fmt.Sprintf(format, args...))
	}
}

// Err returns the first error met while reading keys.
func (c *config) Err() error { return *c.err }

// has reports whether key is present and not null.
func (c *config) has(key string) bool {
	raw, ok := c.keys[key]
	return ok && !bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

func (c *config) decode(key string, v any, want string) bool {
	if !c.has(key) {
		return false
	}
	if err := json.Unmarshal(c.keys[key], v); err != nil {
		c.fail(key, "want %s, got %s", want, truncate(c.keys[key]))
		return false
	}
	return true
}

func truncate(raw []byte) string {
	if len(raw) > 40 {
		return string(raw[:40]) + "..."
	}
	return string(raw)
}

func (c *config) Int(key string, def int) int {
	var f float64
	if !c.decode(key, &f, "an integer") {
		return def
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<40 {
		c.fail(key, "want an integer, got %v", f)
		return def
	}
	return int(f)
}

// PositiveInt reads an integer that must be at least 1.
func (c *config) PositiveInt(key string, def int) int {
	v := c.Int(key, def)
	if v < 1 {
		c.fail(key, "must be positive, got %d", v)
		return def
	}
	return v
}

func (c *config) Float(key string, def float64) float64 {
	var f float64
	if !c.decode(key, &f, "a number") {
		return def
	}
	return f
}

func (c *config) String(key, def string) string {
	var s string
	if !c.decode(key, &s, "a string") {
		return def
	}
	return s
}

func (c *config) Bool(key string, def bool) bool {
	var b bool
	if !c.decode(key, &b, "a boolean") {
		return def
	}
	return b
}

func (c *config) Ints(key string, def []int) []int {
	var fs []float64
	if !c.decode(key, &fs, "a list of integers") {
		return def
	}
	out := make([]int, len(fs))
	for i, f := range fs {
		if f != math.Trunc(f) || f < 1 || f > 1<<30 {
			c.fail(key, "want positive integers, got %v", f)
			return def
		}
		out[i] = int(f)
	}
	return out
}

// Object returns the nested object under key, or an empty one when missing.
func (c *config) Object(key string) *config {
	sub := &config{where: c.where + "." + key, keys: map[string]json.RawMessage{}, err: c.err}
	if c.has(key) && json.Unmarshal(c.keys[key], &sub.keys) != nil {
		c.fail(key, "want an object, got %s", truncate(c.keys[key]))
	}
	if sub.keys == nil {
		sub.keys = map[string]json.RawMessage{}
	}
	return sub
}

// Keys returns the keys of the object in sorted order.
func (c *config) Keys() []string {
	keys := make([]string, 0, len(c.keys))
	for k := range c.keys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// with returns a copy of c where the keys of over replace its own.
func (c *config) with(over *config) *config {
	out := &config{where: c.where, keys: map[string]json.RawMessage{}, err: c.err}
	for k, v := range c.keys {
		out.keys[k] = v
	}
	for k, v := range over.keys {
		out.keys[k] = v
	}
	return out
}

// taskConfig is the part of dl_techniques' VLMTaskConfig the heads read.
type taskConfig struct {
	Name       string
	TaskType   string
	VocabSize  int
	HiddenSize int
	NumClasses int // 0 when unset
}

func readTaskConfig(c *config) taskConfig {
	t := taskConfig{
		Name:       c.String("name", ""),
		TaskType:   c.String("task_type", ""),
		VocabSize:  c.PositiveInt("vocab_size", 50000),
		HiddenSize: c.PositiveInt("hidden_size", 768),
	}
	if c.has("num_classes") {
		t.NumClasses = c.PositiveInt("num_classes", 0)
	}
	if t.Name == "" {
		c.fail("name", "missing")
	}
	return t
}
