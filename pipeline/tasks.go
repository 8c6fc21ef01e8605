package pipeline

import (
	"fmt"
	"image"
	"math"

	"github.com/vlmrt/vlmrt/encoders"
	"github.com/vlmrt/vlmrt/generate"
	"github.com/vlmrt/vlmrt/heads"
	"github.com/vlmrt/vlmrt/runtime"
)

// Answer is what Ask returns: the most likely answer of a VQA head.
type Answer struct {
	// Label is the answer's name from the model's metadata "labels", or
	// "class <Index>" when the file has none.
	Label string
	// Index is the answer's class index.
	Index int
	// Probability is the softmax of the answer logits at Index.
	Probability float32
	// Probabilities holds the softmax of every answer's logit.
	Probabilities []float32
}

// Box is what Ground returns: the region a phrase refers to, in pixels of
// the original image (x to the right, y down, [X0, X1) x [Y0, Y1)).
type Box struct {
	X0, Y0, X1, Y1 float64
	// Confidence is the grounding head's confidence in the vision token the
	// box was regressed from (the largest of its confidences).
	Confidence float32
}

// Similarity is what Match returns for a set of images and texts.
type Similarity struct {
	// Cosine[i][j] is the cosine similarity of image i's and text j's
	// embeddings in the shared space.
	Cosine [][]float32
	// Prob[i] is the softmax over the texts of Cosine[i] times the
	// model's scale (CLIP's logit_scale, or 1/temperature of a matching
	// head): zero-shot label probabilities for image i.
	Prob [][]float32
	// MatchScore[i][j] is a matching head's match_score of the pair, nil
	// for an encoder alone.
	MatchScore [][]float32
}

// Best returns the index of the text most similar to image i.
func (s Similarity) Best(i int) int { return argmax(s.Cosine[i]) }

// Caption describes img in words with the model's captioning head: the
// vision tower's last_hidden_state is the decoder's memory, and the
// generated tokens are decoded with the head's tokenizer (special tokens
// dropped). ErrNoTokenizer: use CaptionTokens.
func (p *Pipeline) Caption(img image.Image) (string, error) {
	tokens, err := p.CaptionTokens(img)
	if err != nil {
		return "", err
	}
	return p.CaptionText(tokens)
}

// CaptionText turns caption tokens (of CaptionTokens) into text with the
// head's tokenizer, special tokens dropped.
func (p *Pipeline) CaptionText(tokens []int32) (string, error) {
	if p.m.captionTok == nil {
		return "", fmt.Errorf("pipeline: %s: %w to write the caption's tokens with (metadata \"tokenizer\")", p.m.path, ErrNoTokenizer)
	}
	return p.m.captionTok.Decode(tokens, true)
}

// CaptionTokens returns the token ids of img's caption (SPEC.md 6: greedy,
// or beam search by WithBeam or the head's generation metadata), EOS
// included when it was emitted.
func (p *Pipeline) CaptionTokens(img image.Image) ([]int32, error) {
	task, _, err := p.task(heads.ClassCaptioning)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s, err := p.session(planKey{kind: visionPlan, batch: 1})
	if err != nil {
		return nil, err
	}
	if err := p.setImage(s, 0, img); err != nil {
		return nil, err
	}
	s.Run()
	memory, _ := s.Output(encoders.OutputHidden)
	shape := p.m.enc.visionShape()
	o := p.generation()
	if p.gen == nil {
		p.gen, err = p.m.head.NewGenerator(map[string][]int{visionFeatures: shape},
			heads.ForTask(task), heads.MaxLength(o.MaxLength), heads.Beam(max(o.Beam, 1)))
		if err != nil {
			return nil, fmt.Errorf("pipeline: %s: %w", p.m.path, err)
		}
	}
	in := heads.Inputs{Shapes: map[string][]int{visionFeatures: shape}, Values: map[string][]float32{visionFeatures: memory}}
	results, err := p.gen.Generate(in, o)
	if err != nil {
		return nil, fmt.Errorf("pipeline: %s: %w", p.m.path, err)
	}
	return results[0].Tokens, nil
}

// generation returns the decoding options of captions: the head's
// generation metadata (else BOS 1, EOS 2, 32 tokens, greedy) with the
// pipeline's options over it.
func (p *Pipeline) generation() generate.Options {
	o := generate.Options{BOS: 1, EOS: 2, MaxLength: 32, Beam: 1}
	if g, ok := p.m.head.Generation(); ok {
		o = generate.Options{BOS: g.BOS, EOS: g.EOS, MaxLength: g.MaxLength, Beam: g.BeamSize}
	}
	if p.m.opts.beam > 0 {
		o.Beam = p.m.opts.beam
	}
	if p.m.opts.maxLength > 0 {
		o.MaxLength = p.m.opts.maxLength
	}
	return o
}

// Ask answers a question about img with the model's VQA head, the image and
// the question encoded and the head run in one plan.
func (p *Pipeline) Ask(img image.Image, question string) (Answer, error) {
	_, prefix, err := p.task(heads.ClassVQA)
	if err != nil {
		return Answer{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s, err := p.runJoint(heads.ClassVQA, img, question)
	if err != nil {
		return Answer{}, err
	}
	logits, err := s.Output(prefix + "answer_logits")
	if err != nil {
		return Answer{}, err
	}
	probs := softmax(logits, 1)
	a := Answer{Index: argmax(probs), Probabilities: probs}
	a.Probability = probs[a.Index]
	a.Label = p.Label(a.Index)
	return a, nil
}

// Label names answer class i of a VQA head: from the model's metadata
// "labels", or "class <i>" when the file has none for i.
func (p *Pipeline) Label(i int) string {
	if p.m.head != nil {
		if labels := p.m.head.Labels(); i >= 0 && i < len(labels) {
			return labels[i]
		}
	}
	return fmt.Sprintf("class %d", i)
}

// Ground finds the region of img that phrase refers to with the model's
// grounding head, the image and the phrase encoded and the head run in one
// plan; the head's box, in [0, 1] of the preprocessed image, is mapped back
// to the pixels of img.
func (p *Pipeline) Ground(img image.Image, phrase string) (Box, error) {
	_, prefix, err := p.task(heads.ClassGrounding)
	if err != nil {
		return Box{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s, err := p.runJoint(heads.ClassGrounding, img, phrase)
	if err != nil {
		return Box{}, err
	}
	bbox, err := s.Output(prefix + "bbox")
	if err != nil {
		return Box{}, err
	}
	conf, err := s.Output(prefix + "confidence")
	if err != nil {
		return Box{}, err
	}
	b := img.Bounds()
	g, err := p.prep.Geometry(b.Dx(), b.Dy())
	if err != nil {
		return Box{}, err
	}
	x0, y0, x1, y1 := g.BoxToSource(float64(bbox[0]), float64(bbox[1]), float64(bbox[2]), float64(bbox[3]))
	return Box{X0: x0, Y0: y0, X1: x1, Y1: y1, Confidence: conf[argmax(conf)]}, nil
}

// runJoint runs the joint plan of class on img and text, and returns its
// session (valid until the pipeline's next call).
func (p *Pipeline) runJoint(class string, img image.Image, text string) (*runtime.Session, error) {
	ids, err := p.encodeText(text)
	if err != nil {
		return nil, err
	}
	s, err := p.session(planKey{kind: jointPlan, class: class, batch: 1, length: p.m.enc.textLength(len(ids))})
	if err != nil {
		return nil, err
	}
	if err := p.setImage(s, 0, img); err != nil {
		return nil, err
	}
	if err := p.setIDs(s, 0, ids); err != nil {
		return nil, err
	}
	s.Run()
	return s, nil
}

// Match compares every image with every text: with a matching head, each
// pair through the head (its similarity_matrix, logits and match_score);
// with an encoder alone, CLIP's way (the cosine of the projected
// embeddings, scaled by logit_scale for the probabilities).
func (p *Pipeline) Match(images []image.Image, texts []string) (Similarity, error) {
	if err := checkMatch(images, texts); err != nil {
		return Similarity{}, err
	}
	if p.m.head != nil {
		if _, _, err := p.task(heads.ClassMatching); err == nil {
			return p.matchWithHead(images, texts)
		}
	}
	return p.MatchEmbeddings(images, texts)
}

// MatchEmbeddings compares every image with every text CLIP's way, whether
// or not the model has a matching head: the cosine of the encoder's
// projected embeddings, and the softmax over the texts of the cosines times
// logit_scale. The embeddings are computed one image and one text at a
// time.
func (p *Pipeline) MatchEmbeddings(images []image.Image, texts []string) (Similarity, error) {
	if err := checkMatch(images, texts); err != nil {
		return Similarity{}, err
	}
	ie, err := p.embedEach(len(images), func(i int) (map[string]Tensor, error) { return p.EmbedImages(images[i : i+1]) })
	if err != nil {
		return Similarity{}, err
	}
	te, err := p.embedEach(len(texts), func(i int) (map[string]Tensor, error) { return p.EmbedTexts(texts[i : i+1]) })
	if err != nil {
		return Similarity{}, err
	}
	iv, ok1 := ie[encoders.OutputImageEmbed]
	tv, ok2 := te[encoders.OutputTextEmbed]
	if !ok1 || !ok2 {
		return Similarity{}, fmt.Errorf("pipeline: %s: %w: no projections to a shared embedding space", p.m.encPath, ErrNoTower)
	}
	dim := iv.Shape[1]
	sim := Similarity{Cosine: make([][]float32, len(images)), Prob: make([][]float32, len(images))}
	for i := range images {
		a := iv.Values[i*dim : (i+1)*dim]
		sim.Cosine[i] = make([]float32, len(texts))
		for j := range texts {
			sim.Cosine[i][j] = cosine(a, tv.Values[j*dim:(j+1)*dim])
		}
		sim.Prob[i] = softmax(sim.Cosine[i], p.m.enc.logitScale())
	}
	return sim, nil
}

func checkMatch(images []image.Image, texts []string) error {
	if len(images) == 0 || len(texts) == 0 {
		return fmt.Errorf("pipeline: nothing to match: %d images, %d texts", len(images), len(texts))
	}
	return nil
}

// embedEach calls embed for items 0..n-1 and stacks their projected
// embeddings (image_embeds or text_embeds) into [n, E].
func (p *Pipeline) embedEach(n int, embed func(i int) (map[string]Tensor, error)) (map[string]Tensor, error) {
	out := map[string]Tensor{}
	for i := range n {
		e, err := embed(i)
		if err != nil {
			return nil, err
		}
		for _, name := range []string{encoders.OutputImageEmbed, encoders.OutputTextEmbed} {
			if t, ok := e[name]; ok {
				all := out[name]
				all.Shape = []int{n, t.Shape[1]}
				all.Values = append(all.Values, t.Values...)
				out[name] = all
			}
		}
	}
	return out, nil
}

// matchWithHead runs the matching head on every pair, the towers once per
// image and per text.
func (p *Pipeline) matchWithHead(images []image.Image, texts []string) (Similarity, error) {
	_, prefix, _ := p.task(heads.ClassMatching)
	p.mu.Lock()
	defer p.mu.Unlock()
	vision := make([][]float32, len(images))
	for i, img := range images {
		s, err := p.session(planKey{kind: visionPlan, batch: 1})
		if err != nil {
			return Similarity{}, err
		}
		if err := p.setImage(s, 0, img); err != nil {
			return Similarity{}, fmt.Errorf("pipeline: image %d: %w", i, err)
		}
		s.Run()
		v, _ := s.Output(encoders.OutputHidden)
		vision[i] = append([]float32(nil), v...)
	}
	sim := Similarity{Cosine: make([][]float32, len(images)), Prob: make([][]float32, len(images)),
		MatchScore: make([][]float32, len(images))}
	logits := make([][]float32, len(images))
	for i := range images {
		sim.Cosine[i], logits[i], sim.MatchScore[i] = make([]float32, len(texts)), make([]float32, len(texts)), make([]float32, len(texts))
	}
	for j, text := range texts {
		ids, err := p.encodeText(text)
		if err != nil {
			return Similarity{}, err
		}
		n := p.m.enc.textLength(len(ids))
		ts, err := p.session(planKey{kind: textPlan, batch: 1, length: n})
		if err != nil {
			return Similarity{}, err
		}
		if err := p.setIDs(ts, 0, ids); err != nil {
			return Similarity{}, err
		}
		ts.Run()
		t, _ := ts.Output(encoders.OutputHidden)
		hs, err := p.session(planKey{kind: headPlan, class: heads.ClassMatching, batch: 1, length: n})
		if err != nil {
			return Similarity{}, err
		}
		tin, _ := hs.Input(textFeatures)
		copy(tin, t)
		vin, _ := hs.Input(visionFeatures)
		for i := range images {
			copy(vin, vision[i])
			hs.Run()
			for _, o := range []struct {
				name string
				dst  []float32
			}{{"similarity_matrix", sim.Cosine[i]}, {"logits", logits[i]}, {"match_score", sim.MatchScore[i]}} {
				v, err := hs.Output(prefix + o.name)
				if err != nil {
					return Similarity{}, err
				}
				o.dst[j] = v[0]
			}
		}
	}
	for i := range images {
		sim.Prob[i] = softmax(logits[i], 1)
	}
	return sim, nil
}

// Tensor is an output of EmbedImages or EmbedTexts.
type Tensor struct {
	Shape  []int
	Values []float32
}

// EmbedImages runs the vision tower on images as one batch and returns its
// outputs by their Hugging Face names: last_hidden_state, pooler_output
// and, when the model has the projection, image_embeds.
func (p *Pipeline) EmbedImages(images []image.Image) (map[string]Tensor, error) {
	if len(images) == 0 {
		return nil, fmt.Errorf("pipeline: no images to embed")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s, err := p.batchSession(planKey{kind: visionPlan, batch: len(images)})
	if err != nil {
		return nil, err
	}
	for i, img := range images {
		if err := p.setImage(s, i, img); err != nil {
			return nil, fmt.Errorf("pipeline: image %d: %w", i, err)
		}
	}
	s.Run()
	return outputs(s), nil
}

// EmbedTexts runs the text tower on texts as one batch and returns its
// outputs by their Hugging Face names: last_hidden_state, pooler_output
// and, when the model has the projection, text_embeds. Texts shorter than
// the longest are padded after their end (see the package doc); the
// pooled outputs are those of each text alone.
func (p *Pipeline) EmbedTexts(texts []string) (map[string]Tensor, error) {
	if len(texts) == 0 {
		return nil, fmt.Errorf("pipeline: no texts to embed")
	}
	all := make([][]int32, len(texts))
	n := 0
	for i, t := range texts {
		ids, err := p.encodeText(t)
		if err != nil {
			return nil, err
		}
		all[i] = ids
		n = max(n, p.m.enc.textLength(len(ids)))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s, err := p.batchSession(planKey{kind: textPlan, batch: len(texts), length: n})
	if err != nil {
		return nil, err
	}
	for i, ids := range all {
		if err := p.setIDs(s, i, ids); err != nil {
			return nil, err
		}
	}
	s.Run()
	return outputs(s), nil
}

// batchSession returns a session of the plan k: the kept one for a batch
// of one, a new one for a larger batch (kept sessions are bounded by the
// text lengths, not by the batches callers ask for).
func (p *Pipeline) batchSession(k planKey) (*runtime.Session, error) {
	if k.batch == 1 {
		return p.session(k)
	}
	plan, err := p.compile(k)
	if err != nil {
		return nil, err
	}
	return plan.NewSession(runtime.WithPool(p.m.opts.pool)), nil
}

// outputs copies every output of s.
func outputs(s *runtime.Session) map[string]Tensor {
	out := map[string]Tensor{}
	for _, o := range s.Plan().Outputs() {
		v, _ := s.Output(o.Name)
		out[o.Name] = Tensor{Shape: o.Shape, Values: append([]float32(nil), v...)}
	}
	return out
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// softmax returns the softmax of scale*v, in float64.
func softmax(v []float32, scale float32) []float32 {
	out := make([]float32, len(v))
	if len(v) == 0 {
		return out
	}
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, float64(scale)*float64(x))
	}
	var sum float64
	e := make([]float64, len(v))
	for i, x := range v {
		e[i] = math.Exp(float64(scale)*float64(x) - m)
		sum += e[i]
	}
	for i := range v {
		out[i] = float32(e[i] / sum)
	}
	return out
}

func cosine(a, b []float32) float32 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return float32(ab / math.Sqrt(aa*bb))
}

// Preprocess returns img as the vision tower reads it: pixel_values
// [1, C, H, W] (channels last, [1, H, W, C], for dl_techniques' CLIP).
func (p *Pipeline) Preprocess(img image.Image) (Tensor, error) {
	if p.prep == nil {
		return Tensor{}, fmt.Errorf("pipeline: %s: %w: no vision tower", p.m.encPath, ErrNoTower)
	}
	shape := p.m.enc.pixelShape()
	n := 1
	for _, d := range shape {
		n *= d
	}
	t := Tensor{Shape: shape, Values: make([]float32, n)}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.prep.Process(t.Values, toRGB(img), p.m.enc.layout()); err != nil {
		return Tensor{}, err
	}
	return t, nil
}
