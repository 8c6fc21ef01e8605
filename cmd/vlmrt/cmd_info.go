package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/vlmrt/vlmrt/encoders"
	"github.com/vlmrt/vlmrt/heads"
	"github.com/vlmrt/vlmrt/weights"
)

func init() {
	commands["info"] = command{"print a model file's class, config, tensors and sizes, and validate its head", runInfo}
}

// infoConfigKeys are the config keys that info summarises, task_config's
// first, then the head's own (SPEC.md sections 3-5), in this order.
var (
	infoTaskKeys = []string{"name", "task_type", "hidden_size", "vocab_size", "num_classes"}
	infoHeadKeys = []string{"vision_dim", "text_dim", "num_layers", "num_heads", "attention_type",
		"ffn_type", "ffn_expansion_factor", "hidden_dims", "pooling_strategy", "fusion_strategy",
		"fusion_config", "normalization_type", "use_post_fusion_ffn", "projection_dim", "num_regions",
		"shared_vision_dim", "shared_text_dim"}
)

// ioPrefixes mark the tensors of a reference file that are inputs and
// outputs, not parameters.
var ioPrefixes = []string{"input.", "output."}

func runInfo(args []string, w io.Writer) error {
	fs := newFlags("info", "FILE")
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New(fs.usage())
	}
	path := fs.Arg(0)
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return infoEncoderDir(w, path)
	}
	f, err := weights.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := printInfo(w, f); err != nil {
		return err
	}
	if f.Metadata()["class_name"] == encoders.ClassDLCLIP {
		return validate(w, "encoder", func() error { _, err := encoders.NewDLCLIP(f); return err })
	}
	return validate(w, "head", func() error { _, err := heads.New(f); return err })
}

// infoEncoderDir describes a Hugging Face model directory: its weights
// file as for a head, the towers, and whether the encoder loads.
func infoEncoderDir(w io.Writer, dir string) error {
	fmt.Fprintf(w, "directory: %s\n", dir)
	for _, name := range []string{encoders.ConfigFile, encoders.PreprocessorFile, encoders.TokenizerFile, "head.safetensors"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			fmt.Fprintf(w, "  %s\n", name)
		}
	}
	f, err := weights.Open(filepath.Join(dir, encoders.WeightsFile))
	if err != nil {
		return err
	}
	defer f.Close()
	if err := printInfo(w, f); err != nil {
		return err
	}
	return validate(w, "encoder", func() error {
		m, err := encoders.Load(dir)
		if err == nil {
			c := m.Config()
			fmt.Fprintf(w, "family: %s\ntowers: %s\n", c.Family, strings.Join(m.Towers(), ", "))
			if c.Vision != nil && m.HasVision() {
				v := c.Vision
				fmt.Fprintf(w, "vision: %d layers, width %d, %d heads, mlp %d, %s, image %d, patch %d\n",
					v.Layers, v.Hidden, v.Heads, v.Intermediate, v.Act, v.ImageSize, v.PatchSize)
			}
			if c.Text != nil && m.HasText() {
				t := c.Text
				fmt.Fprintf(w, "text: %d layers, width %d, %d heads, mlp %d, %s, vocab %d, context %d\n",
					t.Layers, t.Hidden, t.Heads, t.Intermediate, t.Act, t.Vocab, t.MaxPositions)
			}
		}
		return err
	})
}

// validate builds the model as the commands that run it do and ends
// info's output with "<what>: ok", or with "<what>: invalid: " and the
// error they would give, which it also returns, so that the exit status
// is 1.
func validate(w io.Writer, what string, build func() error) error {
	if err := build(); err != nil {
		fmt.Fprintf(w, "%s: invalid: %v\n", what, err)
		return err
	}
	fmt.Fprintf(w, "%s: ok\n", what)
	return nil
}

func printInfo(w io.Writer, f *weights.File) error {
	md := f.Metadata()
	fmt.Fprintf(w, "file: %s\n", f.Name())
	class := md["class_name"]
	if class == "" {
		class = "(none)"
	}
	fmt.Fprintf(w, "class: %s\n", class)

	if text, ok := md["config"]; ok {
		var cfg map[string]any
		if err := json.Unmarshal([]byte(text), &cfg); err != nil {
			// the head check below reports it; show what could be read
			fmt.Fprintf(w, "config: (not a JSON object: %v)\n", err)
		} else {
			fmt.Fprintln(w, "config:")
			printConfig(w, "  ", cfg)
		}
	}
	for _, key := range []string{"generation", "tokenizer"} {
		if v, ok := md[key]; ok {
			if len(v) > 120 {
				v = fmt.Sprintf("(%d bytes)", len(v))
			}
			fmt.Fprintf(w, "%s: %s\n", key, v)
		}
	}
	var other []string
	for k := range md {
		switch k {
		case "class_name", "config", "generation", "tokenizer":
		default:
			other = append(other, k)
		}
	}
	if len(other) > 0 {
		slices.Sort(other)
		fmt.Fprintf(w, "metadata: %s\n", strings.Join(other, ", "))
	}

	tensors := f.Tensors()
	fmt.Fprintf(w, "tensors: %d\n", len(tensors))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	var params, ioCount int
	bytesBy := map[weights.DType]int64{}
	var dtypes []weights.DType
	for _, t := range tensors {
		shape := make([]string, len(t.Shape))
		for i, d := range t.Shape {
			shape[i] = fmt.Sprint(d)
		}
		fmt.Fprintf(tw, "  %s\t%s\t[%s]\n", t.Name, t.DType, strings.Join(shape, ", "))
		if isIO(t.Name) {
			ioCount++
			continue
		}
		if strings.HasSuffix(t.Name, weights.ScaleSuffix) && t.DType == weights.F32 {
			// the scale of a quantised kernel is part of that kernel
			if k, ok := f.Info(strings.TrimSuffix(t.Name, weights.ScaleSuffix)); ok && k.DType == weights.I8 {
				continue
			}
		}
		params += t.Elements()
		if _, seen := bytesBy[t.DType]; !seen {
			dtypes = append(dtypes, t.DType)
		}
		bytesBy[t.DType] += t.Size
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "parameters: %d\n", params)
	if ioCount > 0 {
		fmt.Fprintf(w, "input/output tensors: %d (not counted as parameters)\n", ioCount)
	}
	slices.Sort(dtypes)
	var parts []string
	for _, d := range dtypes {
		parts = append(parts, fmt.Sprintf("%s %d", d, bytesBy[d]))
	}
	if len(parts) == 0 {
		parts = []string{"none"}
	}
	fmt.Fprintf(w, "parameter bytes: %s\n", strings.Join(parts, ", "))
	return nil
}

func isIO(name string) bool {
	for _, p := range ioPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// printConfig prints the summarised keys of a head's config; a multi-task
// config prints each task's in turn.
func printConfig(w io.Writer, indent string, cfg map[string]any) {
	if name, ok := cfg["name"]; ok {
		fmt.Fprintf(w, "%sname: %s\n", indent, compact(name))
	}
	if tc, ok := cfg["task_config"].(map[string]any); ok {
		for _, k := range infoTaskKeys {
			if v, ok := tc[k]; ok {
				fmt.Fprintf(w, "%stask_config.%s: %s\n", indent, k, compact(v))
			}
		}
	}
	for _, k := range infoHeadKeys {
		if v, ok := cfg[k]; ok {
			fmt.Fprintf(w, "%s%s: %s\n", indent, k, compact(v))
		}
	}
	if tc, _ := cfg["task_config"].(map[string]any); decodes(tc) && cfg["attention_type"] == nil {
		fmt.Fprintf(w, "%sattention_type: \"multi_head\" (default)\n", indent)
	}
	tasks, _ := cfg["task_configs"].(map[string]any)
	kwargs, _ := cfg["task_specific_kwargs"].(map[string]any)
	names := make([]string, 0, len(tasks))
	for name := range tasks {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(w, "%stask %s:\n", indent, name)
		tc, _ := tasks[name].(map[string]any)
		for _, k := range infoTaskKeys[1:] {
			if v, ok := tc[k]; ok {
				fmt.Fprintf(w, "%s  task_config.%s: %s\n", indent, k, compact(v))
			}
		}
		kw, _ := kwargs[name].(map[string]any)
		keys := make([]string, 0, len(kw))
		for k := range kw {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "%s  %s: %s\n", indent, k, compact(kw[k]))
		}
		if decodes(tc) && kw["attention_type"] == nil {
			fmt.Fprintf(w, "%s  attention_type: \"multi_head\" (default)\n", indent)
		}
	}
}

// decodes reports whether a task_config's head has the caption decoder,
// whose attention type info always shows.
func decodes(tc map[string]any) bool {
	switch tc["task_type"] {
	case "image_captioning", "dense_captioning", "visual_dialogue":
		return true
	}
	return false
}

// compact prints a config value as compact JSON.
func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
