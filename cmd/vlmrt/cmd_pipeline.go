package main

import (
	"errors"
	"fmt"
	"image"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/vlmrt/vlmrt/parallel"
	"github.com/vlmrt/vlmrt/pipeline"
	"github.com/vlmrt/vlmrt/preprocess"
	"github.com/vlmrt/vlmrt/weights"
)

// The commands of SPEC.md 8: from image files and text to captions,
// answers, boxes, similarities and embeddings.
func init() {
	commands["caption"] = command{"describe images: caption --model M IMAGE...", runCaption}
	commands["ask"] = command{"answer a question about an image: ask --model M IMAGE QUESTION", runAsk}
	commands["ground"] = command{"find the box a phrase refers to: ground --model M IMAGE PHRASE", runGround}
	commands["match"] = command{"compare images with texts: match --model M --image F... --text T...", runMatch}
	commands["embed"] = command{"write image or text embeddings: embed --model M (--image F... | --text T...) --out O", runEmbed}
	commands["preprocess"] = command{"write an image's pixel_values: preprocess --model M IMAGE --out O", runPreprocess}
}

// listFlag is a flag that may be given several times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// pipelineFlags are the flags every pipeline command takes.
type pipelineFlags struct {
	model, encoder, tokenizer *string
	machine                   machineFlags
	quantize                  quantizeFlag
}

func addPipelineFlags(fs *flagSet) pipelineFlags {
	return pipelineFlags{
		model:     fs.String("model", "", "a Hugging Face model directory, a dl_techniques CLIP file, or a head file naming its encoder"),
		encoder:   fs.String("encoder", "", "the encoder to use instead of the one the head's metadata names"),
		tokenizer: fs.String("tokenizer", "", "tokenizer.json to use instead of the model's"),
		machine:   addMachineFlags(fs, 1),
		quantize:  addQuantizeFlag(fs),
	}
}

// load selects the kernel level and loads the pipeline; the pool, if any,
// is for the caller to close.
func (f pipelineFlags) load(opts ...pipeline.Option) (*pipeline.Pipeline, *parallel.Pool, error) {
	if *f.model == "" {
		return nil, nil, errors.New("--model is required")
	}
	if err := f.machine.apply(); err != nil {
		return nil, nil, err
	}
	precision, err := f.quantize.precision()
	if err != nil {
		return nil, nil, err
	}
	if precision != nil {
		opts = append(opts, pipeline.WithQuantize(*precision))
	}
	if *f.encoder != "" {
		opts = append(opts, pipeline.WithEncoder(*f.encoder))
	}
	if *f.tokenizer != "" {
		opts = append(opts, pipeline.WithTokenizer(*f.tokenizer))
	}
	pool := f.machine.pool()
	p, err := pipeline.Load(*f.model, append(opts, pipeline.WithPool(pool))...)
	if err != nil {
		closePool(pool)
		return nil, nil, err
	}
	return p, pool, nil
}

func closePool(p *parallel.Pool) {
	if p != nil {
		p.Close()
	}
}

// readImages decodes the image files, naming the file in any error.
func readImages(paths []string) ([]image.Image, error) {
	images := make([]image.Image, len(paths))
	for i, path := range paths {
		img, err := preprocess.DecodeFile(path)
		if err != nil {
			return nil, err
		}
		images[i] = img
	}
	return images, nil
}

func runCaption(args []string, w io.Writer) error {
	fs := newFlags("caption", "--model M [--beam K] [--max-length L] IMAGE...")
	pf := addPipelineFlags(fs)
	beam := fs.Int("beam", 0, "beam size (default: the model's generation.beam_size, or greedy)")
	maxLength := fs.Int("max-length", 0, "most tokens of a caption (default: the model's, or 32)")
	if err := parseFlags(fs, args, 1<<20); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("no image given (%s)", fs.usage())
	}
	p, pool, err := pf.load(pipeline.WithBeam(*beam), pipeline.WithMaxLength(*maxLength))
	if err != nil {
		return err
	}
	defer closePool(pool)
	for _, path := range fs.Args() {
		img, err := preprocess.DecodeFile(path)
		if err != nil {
			return err
		}
		text, err := p.Caption(img)
		if errors.Is(err, pipeline.ErrNoTokenizer) {
			var tokens []int32
			if tokens, err = p.CaptionTokens(img); err == nil {
				text = fmt.Sprint(tokens)
			}
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		fmt.Fprintf(w, "%s\t%s\n", path, text)
	}
	return nil
}

func runAsk(args []string, w io.Writer) error {
	fs := newFlags("ask", "--model M IMAGE QUESTION")
	pf := addPipelineFlags(fs)
	top := fs.Int("top", 1, "print the k most likely answers")
	p, pool, img, question, err := loadImageAndText(fs, pf, args, "a question")
	if err != nil {
		return err
	}
	defer closePool(pool)
	a, err := p.Ask(img, question)
	if err != nil {
		return err
	}
	order := make([]int, len(a.Probabilities))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return a.Probabilities[order[i]] > a.Probabilities[order[j]] })
	for _, i := range order[:min(max(*top, 1), len(order))] {
		fmt.Fprintf(w, "%s\t%.4f\n", p.Label(i), a.Probabilities[i])
	}
	return nil
}

func runGround(args []string, w io.Writer) error {
	fs := newFlags("ground", "--model M IMAGE PHRASE")
	pf := addPipelineFlags(fs)
	p, pool, img, phrase, err := loadImageAndText(fs, pf, args, "a phrase")
	if err != nil {
		return err
	}
	defer closePool(pool)
	box, err := p.Ground(img, phrase)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%.1f %.1f %.1f %.1f\t%.4f\n", box.X0, box.Y0, box.X1, box.Y1, box.Confidence)
	return nil
}

// loadImageAndText parses the flags and the two arguments IMAGE TEXT of
// ask and ground (what names the text in errors), loads the pipeline and
// decodes the image; the pool, if any, is for the caller to close.
func loadImageAndText(fs *flagSet, pf pipelineFlags, args []string, what string) (*pipeline.Pipeline, *parallel.Pool, image.Image, string, error) {
	if err := parseFlags(fs, args, 2); err != nil {
		return nil, nil, nil, "", err
	}
	if fs.NArg() != 2 {
		return nil, nil, nil, "", fmt.Errorf("want an image and %s (%s)", what, fs.usage())
	}
	img, err := preprocess.DecodeFile(fs.Arg(0))
	if err != nil {
		return nil, nil, nil, "", err
	}
	p, pool, err := pf.load()
	if err != nil {
		return nil, nil, nil, "", err
	}
	return p, pool, img, fs.Arg(1), nil
}

func runMatch(args []string, w io.Writer) error {
	fs := newFlags("match", "--model M (--image F... --text T... | IMAGE... -- TEXT...)")
	pf := addPipelineFlags(fs)
	var imagePaths, texts listFlag
	fs.Var(&imagePaths, "image", "an image file (repeat for several)")
	fs.Var(&texts, "text", "a text (repeat for several)")
	if err := parseFlags(fs, args, 1<<20); err != nil {
		return err
	}
	rest := fs.Args()
	for i, a := range rest {
		if a == "--" {
			imagePaths, texts = append(imagePaths, rest[:i]...), append(texts, rest[i+1:]...)
			rest = nil
			break
		}
	}
	if len(rest) > 0 {
		return fmt.Errorf("separate images from texts with -- (%s)", fs.usage())
	}
	if len(imagePaths) == 0 || len(texts) == 0 {
		return fmt.Errorf("want at least one image and one text (%s)", fs.usage())
	}
	p, pool, err := pf.load()
	if err != nil {
		return err
	}
	defer closePool(pool)
	images, err := readImages(imagePaths)
	if err != nil {
		return err
	}
	sim, err := p.Match(images, texts)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprint(tw, "image")
	for j := range texts {
		fmt.Fprintf(tw, "\t%d", j)
	}
	fmt.Fprint(tw, "\tbest\tprobability\n")
	for i, path := range imagePaths {
		fmt.Fprint(tw, path)
		for j := range texts {
			fmt.Fprintf(tw, "\t%.4f", sim.Cosine[i][j])
		}
		best := sim.Best(i)
		fmt.Fprintf(tw, "\t%q\t%.4f\n", texts[best], sim.Prob[i][best])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for j, t := range texts {
		fmt.Fprintf(w, "text %d: %q\n", j, t)
	}
	return nil
}

func runEmbed(args []string, w io.Writer) error {
	fs := newFlags("embed", "--model M (--image F... | --text T...) --out O")
	pf := addPipelineFlags(fs)
	var imagePaths, texts listFlag
	fs.Var(&imagePaths, "image", "an image file (repeat for several)")
	fs.Var(&texts, "text", "a text (repeat for several)")
	out := fs.String("out", "", "safetensors file to write the output.<name> tensors to")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *out == "" || (len(imagePaths) == 0) == (len(texts) == 0) {
		return fmt.Errorf("want --out and either --image or --text (%s)", fs.usage())
	}
	p, pool, err := pf.load()
	if err != nil {
		return err
	}
	defer closePool(pool)
	var outputs map[string]pipeline.Tensor
	if len(imagePaths) > 0 {
		images, err := readImages(imagePaths)
		if err != nil {
			return err
		}
		outputs, err = p.EmbedImages(images)
		if err != nil {
			return err
		}
	} else if outputs, err = p.EmbedTexts(texts); err != nil {
		return err
	}
	wr := weights.NewWriter()
	names := make([]string, 0, len(outputs))
	for name := range outputs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t := outputs[name]
		if err := wr.AddFloat32("output."+name, t.Shape, t.Values); err != nil {
			return err
		}
		fmt.Fprintf(w, "output.%s %v\n", name, t.Shape)
	}
	return wr.WriteFile(*out)
}

func runPreprocess(args []string, w io.Writer) error {
	fs := newFlags("preprocess", "--model M IMAGE --out O")
	pf := addPipelineFlags(fs)
	out := fs.String("out", "", "safetensors file to write output.pixel_values to")
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	if fs.NArg() != 1 || *out == "" {
		return fmt.Errorf("want an image and --out (%s)", fs.usage())
	}
	p, pool, err := pf.load()
	if err != nil {
		return err
	}
	defer closePool(pool)
	img, err := preprocess.DecodeFile(fs.Arg(0))
	if err != nil {
		return err
	}
	t, err := p.Preprocess(img)
	if err != nil {
		return err
	}
	wr := weights.NewWriter()
	if err := wr.AddFloat32("output.pixel_values", t.Shape, t.Values); err != nil {
		return err
	}
	fmt.Fprintf(w, "output.pixel_values %v\n", t.Shape)
	return wr.WriteFile(*out)
}
