package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vlmrt/vlmrt/heads"
	"github.com/vlmrt/vlmrt/metrics"
	"github.com/vlmrt/vlmrt/pipeline"
	"github.com/vlmrt/vlmrt/preprocess"
)

func init() {
	commands["eval"] = command{"task metrics over a dataset: eval --model M --data DIR", runEval}
}

// evalRecord is one line of a dataset's targets.jsonl (testdata/shapes
// README): an image and what the model should say about it. A task whose
// fields are empty is not evaluated on the record.
type evalRecord struct {
	File      string `json:"file"`
	Caption   string `json:"caption"`
	Questions []struct {
		Question string `json:"question"`
		Answer   string `json:"answer"`
	} `json:"questions"`
	Phrase string    `json:"phrase"`
	Box    []float64 `json:"box"`
	Match  string    `json:"match"`

	line int         // line number in targets.jsonl
	img  image.Image // decoded
}

// targetsFile is the name of a dataset's targets within its directory.
const targetsFile = "targets.jsonl"

// evalProblems collects the records that could not be evaluated; the run
// goes on without them and ends with an error.
type evalProblems struct {
	n     int
	first error
}

func (p *evalProblems) add(err error) {
	fmt.Fprintf(os.Stderr, "vlmrt eval: %v\n", err)
	if p.n == 0 {
		p.first = err
	}
	p.n++
}

func runEval(args []string, w io.Writer) error {
	fs := newFlags("eval", "--model M --data DIR [--tasks caption,vqa,ground,match] [--reference F] [--limit N]")
	pf := addPipelineFlags(fs)
	data := fs.String("data", "", "dataset directory: "+targetsFile+" and the images it names")
	tasks := fs.String("tasks", "", "comma-separated tasks to evaluate (default: every task the model has)")
	reference := fs.String("reference", "", "PyTorch's metrics (JSON) to print beside ours (default: metrics_torch.json beside the model)")
	limit := fs.Int("limit", 0, "evaluate the first N records only")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *data == "" {
		return fmt.Errorf("--data is required (%s)", fs.usage())
	}
	p, pool, err := pf.load()
	if err != nil {
		return err
	}
	defer closePool(pool)
	var problems evalProblems
	recs, err := readTargets(*data, *limit, &problems)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, t := range strings.Split(*tasks, ",") {
		if t = strings.TrimSpace(t); t != "" {
			want[t] = true
		}
	}
	has := func(task, class string) bool {
		if len(want) > 0 && !want[task] {
			return false
		}
		_, ok := headTask(p, class)
		return ok
	}
	refPath := *reference
	if refPath == "" {
		refPath = filepath.Join(modelDir(*pf.model), "metrics_torch.json")
	}
	ref := readReference(refPath)
	fmt.Fprintf(w, "data: %s (%d records", *data, len(recs))
	if problems.n > 0 {
		fmt.Fprintf(w, ", %d unreadable", problems.n)
	}
	fmt.Fprintln(w, ")")
	out := evalOutput{w: w, ref: ref}
	if has("caption", heads.ClassCaptioning) {
		if err := evalCaptions(p, recs, *pf.model, &out, &problems); err != nil {
			return err
		}
	}
	if has("vqa", heads.ClassVQA) {
		evalVQA(p, recs, &out, &problems)
	}
	if has("ground", heads.ClassGrounding) {
		evalGrounding(p, recs, &out, &problems)
	}
	if len(want) == 0 || want["match"] {
		if err := evalMatching(p, recs, &out); err != nil {
			return err
		}
	}
	if problems.n > 0 {
		return fmt.Errorf("%d problem(s) in %s; the metrics above leave them out; the first: %w", problems.n, *data, problems.first)
	}
	return nil
}

// headTask reports whether the pipeline's head runs class.
func headTask(p *pipeline.Pipeline, class string) (string, bool) {
	if p.Head() == nil {
		return "", false
	}
	return p.Head().TaskOfClass(class)
}

// modelDir is the directory that holds the model (a file's directory, or
// the model directory itself).
func modelDir(model string) string {
	if st, err := os.Stat(model); err == nil && st.IsDir() {
		return model
	}
	return filepath.Dir(model)
}

// readTargets reads dir's targets.jsonl and decodes each record's image.
// A malformed line or an unreadable image is a problem of that record, and
// the others go on; an empty split is an error.
func readTargets(dir string, limit int, problems *evalProblems) ([]*evalRecord, error) {
	path := filepath.Join(dir, targetsFile)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var recs []*evalRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		if limit > 0 && len(recs) >= limit {
			break
		}
		r := &evalRecord{line: line}
		if err := json.Unmarshal([]byte(text), r); err != nil {
			problems.add(fmt.Errorf("%s:%d: %v", path, line, err))
			continue
		}
		if r.File == "" {
			problems.add(fmt.Errorf("%s:%d: no \"file\"", path, line))
			continue
		}
		if r.Box != nil && len(r.Box) != 4 {
			problems.add(fmt.Errorf("%s:%d: \"box\" has %d values, want 4", path, line, len(r.Box)))
			continue
		}
		img, err := preprocess.DecodeFile(filepath.Join(dir, r.File))
		if err != nil {
			problems.add(fmt.Errorf("%s:%d: %w", path, line, err))
			continue
		}
		r.img = img
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%s: no record to evaluate", path)
	}
	return recs, nil
}

// readReference reads PyTorch's metrics, flattened to "task.metric" keys;
// nil when there is none.
func readReference(path string) map[string]float64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var tree map[string]any
	if json.Unmarshal(data, &tree) != nil {
		return nil
	}
	flat := map[string]float64{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case float64:
			flat[prefix] = v
		case map[string]any:
			for k, x := range v {
				walk(strings.TrimPrefix(prefix+"."+k, "."), x)
			}
		}
	}
	walk("", tree)
	return flat
}

// evalOutput prints metric lines, with PyTorch's value beside ours when
// the reference has it.
type evalOutput struct {
	w   io.Writer
	ref map[string]float64
}

func (o *evalOutput) metric(name, refKey string, v float64) {
	fmt.Fprintf(o.w, "%s: %.4f", name, v)
	if r, ok := o.ref[refKey]; ok {
		fmt.Fprintf(o.w, " (PyTorch %.4f)", r)
	}
	fmt.Fprintln(o.w)
}

// progress shows "task i/n" on a terminal's stderr, overwritten in place;
// nothing when stderr is a file or a pipe.
type progress struct {
	task string
	n    int
	tty  bool
}

func newProgress(task string, n int) *progress {
	st, err := os.Stderr.Stat()
	return &progress{task: task, n: n, tty: err == nil && st.Mode()&os.ModeCharDevice != 0}
}

func (p *progress) step(i int) {
	if p.tty && (i%8 == 0 || i == p.n) {
		fmt.Fprintf(os.Stderr, "\r%s %d/%d", p.task, i, p.n)
		if i == p.n {
			fmt.Fprint(os.Stderr, "\r\033[K")
		}
	}
}

// evalCaptions captions every image greedily (or as the model's
// generation metadata says) and scores the words against the references;
// with PyTorch's captions beside the model (captions_torch.jsonl), it
// counts the captions whose tokens are identical.
func evalCaptions(p *pipeline.Pipeline, recs []*evalRecord, model string, o *evalOutput, problems *evalProblems) error {
	torchTokens := readTorchCaptions(filepath.Join(modelDir(model), "captions_torch.jsonl"))
	var cands, refs [][]string
	var tokens int
	var elapsed time.Duration
	same, compared := 0, 0
	bar := newProgress("caption", len(recs))
	for i, r := range recs {
		bar.step(i + 1)
		if r.Caption == "" {
			continue
		}
		t0 := time.Now()
		ids, err := p.CaptionTokens(r.img)
		if err != nil {
			return err
		}
		elapsed += time.Since(t0)
		tokens += len(ids)
		text, err := p.CaptionText(ids)
		if errors.Is(err, pipeline.ErrNoTokenizer) {
			text = fmt.Sprint(ids)
		} else if err != nil {
			problems.add(fmt.Errorf("line %d: %s: %w", r.line, r.File, err))
			continue
		}
		cands, refs = append(cands, metrics.Tokenize(text)), append(refs, metrics.Tokenize(r.Caption))
		if want, ok := torchTokens[r.File]; ok {
			compared++
			if fmt.Sprint(want) == fmt.Sprint(ids) {
				same++
			}
		}
	}
	if len(cands) == 0 {
		return nil
	}
	b := metrics.CorpusBLEU(cands, refs, 4)
	nested := make([][][]string, len(refs))
	for i, r := range refs {
		nested[i] = [][]string{r}
	}
	cider, _ := metrics.CIDErD(cands, nested)
	o.metric("caption BLEU-4", "caption.BLEU-4", b.Score)
	o.metric("caption CIDEr-D", "caption.CIDEr-D", cider)
	ms := float64(elapsed.Microseconds()) / 1e3 / float64(len(cands))
	fmt.Fprintf(o.w, "caption latency: %.2f ms per image, %.0f tokens/s\n", ms, float64(tokens)/elapsed.Seconds())
	if compared > 0 {
		fmt.Fprintf(o.w, "captions token-identical to PyTorch: %d of %d (%.1f%%)\n", same, compared, 100*float64(same)/float64(compared))
	}
	return nil
}

// readTorchCaptions reads the greedy caption ids PyTorch gave each image
// file; nil when there is no such file.
func readTorchCaptions(path string) map[string][]int32 {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	out := map[string][]int32{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var c struct {
			File   string  `json:"file"`
			Tokens []int32 `json:"tokens"`
		}
		if json.Unmarshal(sc.Bytes(), &c) == nil && c.File != "" {
			out[c.File] = c.Tokens
		}
	}
	return out
}

// evalVQA asks every question and counts the exact answers: with one
// reference answer per question, the standard VQA accuracy min(#humans
// that gave the answer / 3, 1) is exactly this.
func evalVQA(p *pipeline.Pipeline, recs []*evalRecord, o *evalOutput, problems *evalProblems) {
	right, total := 0, 0
	var elapsed time.Duration
	bar := newProgress("vqa", len(recs))
	for i, r := range recs {
		bar.step(i + 1)
		for _, q := range r.Questions {
			t0 := time.Now()
			a, err := p.Ask(r.img, q.Question)
			if err != nil {
				problems.add(fmt.Errorf("line %d: %q: %w", r.line, q.Question, err))
				continue
			}
			elapsed += time.Since(t0)
			total++
			if a.Label == q.Answer {
				right++
			}
		}
	}
	if total == 0 {
		return
	}
	o.metric(fmt.Sprintf("vqa accuracy (exact match, %d questions)", total), "vqa.accuracy", float64(right)/float64(total))
	fmt.Fprintf(o.w, "vqa latency: %.2f ms per question\n", float64(elapsed.Microseconds())/1e3/float64(total))
}

// evalGrounding grounds every phrase and scores the box against the
// target's by IoU.
func evalGrounding(p *pipeline.Pipeline, recs []*evalRecord, o *evalOutput, problems *evalProblems) {
	var ious []float64
	var elapsed time.Duration
	bar := newProgress("ground", len(recs))
	for i, r := range recs {
		bar.step(i + 1)
		if r.Phrase == "" || r.Box == nil {
			continue
		}
		t0 := time.Now()
		b, err := p.Ground(r.img, r.Phrase)
		if err != nil {
			problems.add(fmt.Errorf("line %d: %q: %w", r.line, r.Phrase, err))
			continue
		}
		elapsed += time.Since(t0)
		ious = append(ious, metrics.IoU(metrics.Box{X0: b.X0, Y0: b.Y0, X1: b.X1, Y1: b.Y1},
			metrics.Box{X0: r.Box[0], Y0: r.Box[1], X1: r.Box[2], Y1: r.Box[3]}))
	}
	if len(ious) == 0 {
		return
	}
	var sum float64
	hits := 0
	for _, v := range ious {
		sum += v
		if v >= 0.5 {
			hits++
		}
	}
	o.metric("grounding mean IoU", "grounding.mean_IoU", sum/float64(len(ious)))
	o.metric("grounding accuracy at IoU >= 0.5", "grounding.acc@0.5", float64(hits)/float64(len(ious)))
	fmt.Fprintf(o.w, "grounding latency: %.2f ms per phrase\n", float64(elapsed.Microseconds())/1e3/float64(len(ious)))
}

// evalMatching ranks every record's match text against every image, with
// the matching head when the model has one and with the encoder's
// projections when it has them: recall@1 and @5 both ways.
func evalMatching(p *pipeline.Pipeline, recs []*evalRecord, o *evalOutput) error {
	var images []image.Image
	var texts []string
	for _, r := range recs {
		if r.Match != "" {
			images, texts = append(images, r.img), append(texts, r.Match)
		}
	}
	if len(texts) < 2 {
		return nil
	}
	type way struct {
		name, ref string
		match     func([]image.Image, []string) (pipeline.Similarity, error)
	}
	var ways []way
	if _, ok := headTask(p, heads.ClassMatching); ok {
		ways = append(ways, way{"matching head", "matching_head", p.Match})
	}
	ways = append(ways, way{"encoder projections", "clip_projections", p.MatchEmbeddings})
	for _, m := range ways {
		sim, err := m.match(images, texts)
		if errors.Is(err, pipeline.ErrNoTower) || errors.Is(err, pipeline.ErrNoTokenizer) {
			continue
		}
		if err != nil {
			return err
		}
		for _, k := range []int{1, 5} {
			i2t, t2i := metrics.Recall(sim.Cosine, k)
			o.metric(fmt.Sprintf("%s image->text R@%d", m.name, k), fmt.Sprintf("%s.i2t_R@%d", m.ref, k), i2t)
			o.metric(fmt.Sprintf("%s text->image R@%d", m.name, k), fmt.Sprintf("%s.t2i_R@%d", m.ref, k), t2i)
		}
	}
	return nil
}
