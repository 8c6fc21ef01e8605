package pipeline

import (
	"image"
	"io/fs"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlmrt/vlmrt/encoders"
	"github.com/vlmrt/vlmrt/heads"
	"github.com/vlmrt/vlmrt/internal/leveltest"
	"github.com/vlmrt/vlmrt/preprocess"
	"github.com/vlmrt/vlmrt/weights"
)

// The end-to-end fixtures of tools/make_pipeline_fixtures.py: a PNG, a
// 48-wide Hugging Face CLIP (clip48/) and three heads that name it as their
// encoder, with every step's output from Pillow and a float64 PyTorch
// reference.
const (
	fixtures = "../testdata/pipeline/"
	photo    = fixtures + "photo.png"
)

// expected opens the fixtures' expected outputs.
func expected(t *testing.T) *weights.File {
	t.Helper()
	f, err := weights.Open(fixtures + "expected.safetensors")
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

func readFloats(t *testing.T, f *weights.File, name string) []float32 {
	t.Helper()
	v, err := f.Float32(name)
	require.NoError(t, err, name)
	return v
}

// assertClose checks got against want within SPEC.md 2's bound for float32
// paths: max abs error <= 1e-4 * max(1, max |want|).
func assertClose(t *testing.T, name string, want, got []float32) {
	t.Helper()
	require.Len(t, got, len(want), name)
	var big, worst float64 = 1, 0
	for i := range want {
		big = math.Max(big, math.Abs(float64(want[i])))
		worst = math.Max(worst, math.Abs(float64(got[i])-float64(want[i])))
	}
	assert.LessOrEqual(t, worst, 1e-4*big, "%s: max abs error %.3g (max |ref| %.3g)", name, worst, big)
}

func decodePhoto(t *testing.T) *preprocess.Image {
	t.Helper()
	img, err := preprocess.DecodeFile(photo)
	require.NoError(t, err)
	return img
}

// TestPreprocessMatchesPillow checks that the photo's pixel_values equal
// those of CLIPImageProcessor's steps in Pillow and NumPy: the resize is
// bit-exact, so only float32 rounding of the normalisation may differ.
func TestPreprocessMatchesPillow(t *testing.T) {
	p, err := Load(fixtures + "vqa.safetensors")
	require.NoError(t, err)
	got, err := p.Preprocess(decodePhoto(t))
	require.NoError(t, err)
	assert.Equal(t, []int{1, 3, 32, 32}, got.Shape)
	want := readFloats(t, expected(t), "pixel_values")
	require.Len(t, got.Values, len(want))
	for i := range want {
		require.InDelta(t, want[i], got.Values[i], 1e-6, "value %d", i)
	}
}

// TestJointPlansMatchReference runs the VQA and grounding heads on the
// photo and the fixtures' texts at every kernel level, encoder and head in
// one plan, and checks every head output against the float64 reference,
// the tokenizer's ids against tools/tokref's, and that Run allocates
// nothing.
func TestJointPlansMatchReference(t *testing.T) {
	ref := expected(t)
	md := ref.Metadata()
	cases := []struct {
		task, file, class string
		outputs           []string
	}{
		{"vqa", "vqa.safetensors", heads.ClassVQA, []string{"answer_logits"}},
		{"ground", "ground.safetensors", heads.ClassGrounding, []string{"bbox", "confidence", "grounded_features"}},
	}
	leveltest.ForEach(t, func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.task, func(t *testing.T) {
				p, err := Load(fixtures + c.file)
				require.NoError(t, err)
				text := md[c.task+"_text"]
				ids, err := p.encodeText(text)
				require.NoError(t, err)
				wantIDs, err := ref.Int32(c.task + ".input_ids")
				require.NoError(t, err)
				assert.Equal(t, wantIDs, ids, "ids of %q", text)

				s, err := p.runJoint(c.class, decodePhoto(t), text)
				require.NoError(t, err)
				for _, name := range c.outputs {
					got, err := s.Output(name)
					require.NoError(t, err)
					assertClose(t, c.task+"."+name, readFloats(t, ref, c.task+"."+name), got)
				}
				assert.Zero(t, testing.AllocsPerRun(3, s.Run), "allocations per Run of the joint plan")
			})
		}
	})
}

// TestAskAndGround checks the public results: the VQA answer and its label
// from the file's metadata, and the grounding box mapped back to the
// photo's pixels through the resize and the crop.
func TestAskAndGround(t *testing.T) {
	ref := expected(t)
	md := ref.Metadata()

	p, err := Load(fixtures + "vqa.safetensors")
	require.NoError(t, err)
	a, err := p.Ask(decodePhoto(t), md["vqa_text"])
	require.NoError(t, err)
	assert.Equal(t, md["vqa_answer"], a.Label)
	logits := readFloats(t, ref, "vqa.answer_logits")
	want := softmax(logits, 1)
	assert.Equal(t, argmax(logits), a.Index)
	assert.InDelta(t, want[a.Index], a.Probability, 1e-4)
	assert.Len(t, a.Probabilities, len(logits))

	g, err := Load(fixtures + "ground.safetensors")
	require.NoError(t, err)
	box, err := g.Ground(decodePhoto(t), md["ground_text"])
	require.NoError(t, err)
	bbox := readFloats(t, ref, "ground.bbox")
	// The 61 x 43 photo is resized to 45 x 32 (short side 32, long side
	// int(32 * 61 / 43)) and cropped at x = (45 - 32) / 2 = 6: a crop
	// coordinate u in [0, 1] is the photo's x = (32 u + 6) * 61 / 45.
	sx, sy := 61.0/45, 43.0/32
	assert.InDelta(t, (32*float64(bbox[0])+6)*sx, box.X0, 1e-3)
	assert.InDelta(t, 32*float64(bbox[1])*sy, box.Y0, 1e-3)
	assert.InDelta(t, (32*float64(bbox[2])+6)*sx, box.X1, 1e-3)
	assert.InDelta(t, 32*float64(bbox[3])*sy, box.Y1, 1e-3)
	conf := readFloats(t, ref, "ground.confidence")
	assert.InDelta(t, conf[argmax(conf)], box.Confidence, 1e-4)
}

// TestCaptionTokens checks the greedy caption of the photo against the
// reference's tokens at every level (their smallest top-1/top-2 margin is
// in the fixture's metadata), and that a head without a tokenizer gives
// ErrNoTokenizer for text.
func TestCaptionTokens(t *testing.T) {
	ref := expected(t)
	want, err := ref.Int32("caption.tokens")
	require.NoError(t, err)
	leveltest.ForEach(t, func(t *testing.T) {
		p, err := Load(fixtures+"caption.safetensors", WithBeam(1))
		require.NoError(t, err)
		got, err := p.CaptionTokens(decodePhoto(t))
		require.NoError(t, err)
		assert.Equal(t, want, got, "margin %s", ref.Metadata()["caption_margin"])
		_, err = p.Caption(decodePhoto(t))
		assert.ErrorIs(t, err, ErrNoTokenizer)
	})
}

// TestMatchWithEncoder checks CLIP's zero-shot matching on an encoder
// alone: the image embedding equals the reference's, the cosines equal
// those of the embeddings EmbedImages and EmbedTexts give (texts of
// different lengths batched with padding give each text's own embedding),
// and the probabilities are the softmax of logit_scale times the cosines.
func TestMatchWithEncoder(t *testing.T) {
	p, err := Load(fixtures + "clip48")
	require.NoError(t, err)
	photo := decodePhoto(t)
	flipped := preprocess.FromImage(flip(photo))
	images := []image.Image{photo, flipped}
	emb, err := p.EmbedImages(images)
	require.NoError(t, err)
	assert.Equal(t, []int{2, 32}, emb[encoders.OutputImageEmbed].Shape)
	assertClose(t, "image_embeds", readFloats(t, expected(t), "vision.image_embeds"), emb[encoders.OutputImageEmbed].Values[:32])

	texts := []string{"a green disc", "What color is the disc?", "stripes"}
	temb, err := p.EmbedTexts(texts)
	require.NoError(t, err)
	alone, err := p.EmbedTexts(texts[1:2])
	require.NoError(t, err)
	assertClose(t, "text_embeds of a padded text", alone[encoders.OutputTextEmbed].Values, temb[encoders.OutputTextEmbed].Values[32:64])

	sim, err := p.Match(images, texts)
	require.NoError(t, err)
	require.Len(t, sim.Cosine, 2)
	assert.Nil(t, sim.MatchScore)
	for i := range images {
		var sum float64
		for j := range texts {
			want := cosine(emb[encoders.OutputImageEmbed].Values[i*32:(i+1)*32], temb[encoders.OutputTextEmbed].Values[j*32:(j+1)*32])
			assert.InDelta(t, want, sim.Cosine[i][j], 1e-6)
			sum += float64(sim.Prob[i][j])
		}
		assert.InDelta(t, 1, sum, 1e-5)
		assert.Equal(t, softmax(sim.Cosine[i], p.m.enc.logitScale()), sim.Prob[i])
	}
	_, err = p.Match(nil, texts)
	assert.Error(t, err, "no images")
	_, err = p.Ask(photo, "what?")
	assert.ErrorIs(t, err, ErrNoTask)
}

// flip mirrors img left to right.
func flip(img image.Image) image.Image {
	b := img.Bounds()
	out := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			out.Set(b.Max.X-1-(x-b.Min.X), y, img.At(x, y))
		}
	}
	return out
}

// TestMultiTaskHead runs the tasks of a multi-task head (the Keras
// fixture, 48 wide) on the clip48 encoder given by WithEncoder, and checks
// that the joint plan of Ask and the per-pair head plan of Match give what
// the head computes on the towers' outputs taken from separate plans.
func TestMultiTaskHead(t *testing.T) {
	p, err := Load("../testdata/keras/multitask.safetensors", WithEncoder(fixtures+"clip48"))
	require.NoError(t, err)
	assert.Equal(t, heads.ClassMultiTask, p.Class())
	photo := decodePhoto(t)
	const question = "What color is the disc?"
	vision, err := p.EmbedImages([]image.Image{photo})
	require.NoError(t, err)
	text, err := p.EmbedTexts([]string{question})
	require.NoError(t, err)
	v, q := vision[encoders.OutputHidden], text[encoders.OutputHidden]

	run := func(task string, keys ...string) map[string][]float32 {
		in := heads.Inputs{Shapes: map[string][]int{visionFeatures: v.Shape}, Values: map[string][]float32{visionFeatures: v.Values}}
		for _, k := range keys {
			in.Shapes[k], in.Values[k] = q.Shape, q.Values
		}
		plan, err := p.Head().Compile(in.Shapes, heads.ForTask(task))
		require.NoError(t, err)
		s := plan.NewSession()
		require.NoError(t, in.Fill(s))
		s.Run()
		out := map[string][]float32{}
		for _, o := range plan.Outputs() {
			out[o.Name], _ = s.Output(o.Name)
		}
		return out
	}

	a, err := p.Ask(photo, question)
	require.NoError(t, err)
	want := softmax(run("vqa", questionFeatures)["vqa.answer_logits"], 1)
	assert.InDeltaSlice(t, want, a.Probabilities, 1e-6)

	sim, err := p.Match([]image.Image{photo}, []string{question})
	require.NoError(t, err)
	out := run("matching", textFeatures)
	assert.InDelta(t, out["matching.similarity_matrix"][0], sim.Cosine[0][0], 1e-6)
	assert.InDelta(t, out["matching.match_score"][0], sim.MatchScore[0][0], 1e-6)
	assert.Equal(t, []float32{1}, sim.Prob[0], "one text takes all the probability")

	_, err = p.Ground(photo, "the green disc")
	require.NoError(t, err)
	_, err = p.CaptionTokens(photo)
	assert.ErrorIs(t, err, heads.ErrNoEmbedding, "dl_techniques' captioning head has no token embedding to generate with")
}

// TestDLCLIPEncoder loads dl_techniques' CLIP as an encoder alone: images
// preprocessed channels last with values in [0, 1] (the default without
// preprocessor_config metadata), embeddings L2-normalised, and text tasks
// refused without a tokenizer.
func TestDLCLIPEncoder(t *testing.T) {
	p, err := Load("../testdata/encoders/dl_clip_tiny.safetensors")
	require.NoError(t, err)
	assert.Equal(t, "", p.Class())
	photo := decodePhoto(t)
	px, err := p.Preprocess(photo)
	require.NoError(t, err)
	require.Len(t, px.Shape, 4)
	assert.Equal(t, 3, px.Shape[3], "channels last")
	for _, v := range px.Values {
		require.True(t, v >= 0 && v <= 1, v)
	}
	emb, err := p.EmbedImages([]image.Image{photo, flip(photo)})
	require.NoError(t, err)
	e := emb[encoders.OutputImageEmbed]
	d := e.Shape[1]
	for i := range 2 {
		var n float64
		for _, x := range e.Values[i*d : (i+1)*d] {
			n += float64(x) * float64(x)
		}
		assert.InDelta(t, 1, n, 1e-5, "image %d's embedding is L2-normalised", i)
	}
	_, err = p.Match([]image.Image{photo}, []string{"a photo"})
	assert.ErrorIs(t, err, ErrNoTokenizer)
}

// TestLoadErrors checks that bad models give errors naming the problem.
func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name string
		path string
		opts []Option
		want error
		text string
	}{
		{"missing file", fixtures + "nothing.safetensors", nil, nil, "nothing.safetensors"},
		{"head naming no encoder", "../testdata/keras/vqa_attention.safetensors", nil, ErrNoEncoder, "vqa_attention.safetensors"},
		{"encoder of another width", "../testdata/keras/vqa_attention.safetensors", []Option{WithEncoder("../testdata/encoders/clip_tiny")}, nil, "clip_tiny"},
		{"a head as encoder", fixtures + "vqa.safetensors", []Option{WithEncoder(fixtures + "ground.safetensors")}, nil, "want a Hugging Face model directory"},
		{"missing tokenizer file", fixtures + "vqa.safetensors", []Option{WithTokenizer(fixtures + "none.json")}, nil, "none.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Load(c.path, c.opts...)
			if err == nil { // a width mismatch shows when the plan is built
				_, err = p.Ask(decodePhoto(t), "what?")
			}
			require.Error(t, err)
			if c.want != nil {
				assert.ErrorIs(t, err, c.want)
			}
			assert.Contains(t, err.Error(), c.text)
		})
	}
}

// TestLoadFS checks that a model read from an fs.FS (as a program embeds
// one) answers as the same model read from files: a head naming its
// encoder directory, and the encoder directory alone.
func TestLoadFS(t *testing.T) {
	fsys := os.DirFS(fixtures)
	photo := decodePhoto(t)
	fromFiles, err := Load(fixtures + "vqa.safetensors")
	require.NoError(t, err)
	fromFS, err := LoadFS(fsys, "vqa.safetensors")
	require.NoError(t, err)
	want, err := fromFiles.Ask(photo, "What color is the disc?")
	require.NoError(t, err)
	got, err := fromFS.Ask(photo, "What color is the disc?")
	require.NoError(t, err)
	assert.Equal(t, want, got)

	enc, err := LoadFS(fsys, "clip48")
	require.NoError(t, err)
	px, err := enc.Preprocess(photo)
	require.NoError(t, err)
	assert.Equal(t, readFloats(t, expected(t), "pixel_values"), px.Values, "preprocessor_config.json read from the FS")

	_, err = LoadFS(fsys, "missing.safetensors")
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

// TestQuantizedPipeline loads the VQA fixture with int8 products in the
// encoder and the head: the weights take under 70% of the float32 ones
// (the text tower's token table, 1714 x 48 values and a third of the
// model, stays float32),
// the answer is the float model's (its logit margin is 0.38), its
// probabilities move by less than 0.05, and Run still allocates nothing.
func TestQuantizedPipeline(t *testing.T) {
	photo := decodePhoto(t)
	float, err := Load(fixtures + "vqa.safetensors")
	require.NoError(t, err)
	want, err := float.Ask(photo, "What color is the disc?")
	require.NoError(t, err)
	leveltest.ForEach(t, func(t *testing.T) {
		q, err := Load(fixtures+"vqa.safetensors", WithQuantize(heads.Int8))
		require.NoError(t, err)
		assert.Less(t, float64(q.PackedBytes()), 0.7*float64(float.PackedBytes()))
		got, err := q.Ask(photo, "What color is the disc?")
		require.NoError(t, err)
		assert.Equal(t, want.Label, got.Label)
		assert.InDeltaSlice(t, want.Probabilities, got.Probabilities, 0.05)
		s, err := q.runJoint(heads.ClassVQA, photo, "What color is the disc?")
		require.NoError(t, err)
		assert.Zero(t, testing.AllocsPerRun(3, s.Run))
	})
}
