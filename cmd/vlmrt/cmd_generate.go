package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/vlmrt/vlmrt/generate"
	"github.com/vlmrt/vlmrt/heads"
	"github.com/vlmrt/vlmrt/tokenizer"
	"github.com/vlmrt/vlmrt/weights"
)

func init() {
	commands["generate"] = command{"generate text with a decoder head: generate --model M --inputs I --out O", runGenerate}
}

func runGenerate(args []string, w io.Writer) error {
	fs := newFlags("generate", "--model M [--inputs I] --out O [--beam K] [--max-length L] [--bos B] [--eos E] "+
		"[--temperature T --top-k K --top-p P --seed S] [--tokenizer FILE] [--quantize int8] [--threads T] [--isa L]")
	model := fs.String("model", "", "model file (safetensors) with token_embedding")
	inputs := fs.String("inputs", "", "file with the input.<key> tensors (default: the model file)")
	out := fs.String("out", "", "file to write output.tokens and output.lengths to")
	task := fs.String("task", "", "task of a multi-task head")
	beam := fs.Int("beam", 0, "beam size (default: the model's generation.beam_size, or 1)")
	maxLength := fs.Int("max-length", 0, "most tokens to generate (default: the model's, or 32)")
	bos := fs.Int("bos", -1, "BOS token id (default: the model's, or 1)")
	eos := fs.Int("eos", -1, "EOS token id (default: the model's, or 2)")
	temperature := fs.Float64("temperature", 0, "sample with this temperature (default: greedy or beam)")
	topK := fs.Int("top-k", 0, "sample from the k most likely tokens")
	topP := fs.Float64("top-p", 0, "sample from the smallest set of tokens whose probability reaches p")
	seed := fs.Uint64("seed", 1, "seed of the sampler")
	tokenizerPath := fs.String("tokenizer", "", "tokenizer.json to print text with (default: the model's metadata)")
	machine := addMachineFlags(fs, 1)
	quantize := addQuantizeFlag(fs)
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	loadOpts, err := quantize.headOptions()
	if err != nil {
		return err
	}
	if *model == "" || *out == "" {
		return errors.New("--model and --out are required")
	}
	if *inputs == "" {
		*inputs = *model
	}
	if err := machine.apply(); err != nil {
		return err
	}
	m, in, err := loadModelAndInputs(*model, *inputs, loadOpts...)
	if err != nil {
		return err
	}
	cfg, _ := m.Generation()
	o := generate.Options{BOS: cfg.BOS, EOS: cfg.EOS, MaxLength: cfg.MaxLength, Beam: cfg.BeamSize,
		Temperature: cfg.Temperature, Seed: *seed}
	if o.MaxLength == 0 {
		o = generate.Options{BOS: 1, EOS: 2, MaxLength: 32, Beam: 1, Seed: *seed}
	}
	set := setFlags(fs.FlagSet)
	if set["beam"] {
		o.Beam = *beam
	}
	if set["max-length"] {
		o.MaxLength = *maxLength
	}
	if set["bos"] {
		o.BOS = int32(*bos)
	}
	if set["eos"] {
		o.EOS = int32(*eos)
	}
	if set["temperature"] || set["top-k"] || set["top-p"] {
		o.Sample, o.Beam = true, 1
		if set["temperature"] {
			o.Temperature = float32(*temperature)
		}
		o.TopK, o.TopP = *topK, float32(*topP)
	}
	g, err := m.NewGenerator(in.Shapes, heads.ForTask(*task), heads.MaxLength(o.MaxLength), heads.Beam(max(o.Beam, 1)))
	if err != nil {
		return err
	}
	results, err := g.Generate(in, o)
	if err != nil {
		return err
	}
	tokens, lengths := generate.Pad(results, o.EOS, o.MaxLength)
	wr := weights.NewWriter()
	if err := wr.AddInt32("output.tokens", []int{len(results), o.MaxLength}, tokens); err != nil {
		return err
	}
	if err := wr.AddInt32("output.lengths", []int{len(results)}, lengths); err != nil {
		return err
	}
	if err := wr.WriteFile(*out); err != nil {
		return err
	}
	tok, err := loadTokenizer(*tokenizerPath, m.Tokenizer(), *model)
	if err != nil {
		return err
	}
	for i, r := range results {
		line := fmt.Sprint(r.Tokens)
		if tok != nil {
			text, err := tok.Decode(r.Tokens, true)
			if err != nil {
				return err
			}
			line = fmt.Sprintf("%q", text)
		}
		fmt.Fprintf(w, "%d: %s (score %.3f)\n", i, line, r.Score)
	}
	return nil
}

// setFlags returns the names of the flags given on the command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// loadTokenizer returns the tokenizer named by the flag, else the one the
// model's metadata holds (JSON text, or a path relative to the model), else
// nil.
func loadTokenizer(flagPath, metadata, modelPath string) (*tokenizer.Tokenizer, error) {
	switch {
	case flagPath != "":
		return tokenizer.Load(flagPath)
	case strings.HasPrefix(strings.TrimSpace(metadata), "{"):
		return tokenizer.ParseNamed(modelPath+": metadata tokenizer", []byte(metadata))
	case metadata != "":
		return tokenizer.Load(filepath.Join(filepath.Dir(modelPath), metadata))
	}
	return nil, nil
}
