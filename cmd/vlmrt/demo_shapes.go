package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/vlmrt/vlmrt"
	"github.com/vlmrt/vlmrt/metrics"
	"github.com/vlmrt/vlmrt/parallel"
	"github.com/vlmrt/vlmrt/pipeline"
	"github.com/vlmrt/vlmrt/preprocess"
)

// demoImage is one line of the shapes model's demo.jsonl: an image and
// what it shows (from the test split's targets, the box in pixels of this
// image).
type demoImage struct {
	File      string `json:"file"`
	Caption   string `json:"caption"`
	Questions []struct {
		Question string `json:"question"`
		Answer   string `json:"answer"`
	} `json:"questions"`
	Phrase string     `json:"phrase"`
	Box    [4]float64 `json:"box"`
	Match  string     `json:"match"`

	img *preprocess.Image
}

// demoShapes runs the embedded shapes model on its demo images: for each,
// its caption, two answers, the box of a phrase and the best of the demo
// texts, each against what the image really shows, with latencies. With
// outDir, it writes each image with the predicted box (red) and the
// target's (green).
func demoShapes(w io.Writer, pool *parallel.Pool, outDir string) error {
	start := time.Now()
	p, err := pipeline.LoadFS(vlmrt.ShapesModel, path.Join(vlmrt.ShapesDir, "head.safetensors"), pipeline.WithPool(pool))
	if err != nil {
		return err
	}
	images, err := readDemoImages()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "== the shapes model (%s): a dl_techniques CLIP and a multi-task head trained on synthetic scenes\n", vlmrt.ShapesDir)
	fmt.Fprintf(w, "   loaded in %.0f ms, %d KiB of packed weights; %d test images it never saw in training\n\n",
		float64(time.Since(start).Microseconds())/1e3, p.PackedBytes()>>10, len(images))
	texts := make([]string, len(images))
	all := make([]image.Image, len(images))
	for i, d := range images {
		texts[i], all[i] = d.Match, d.img
	}
	t0 := time.Now()
	sim, err := p.Match(all, texts)
	if err != nil {
		return err
	}
	matchMS := float64(time.Since(t0).Microseconds()) / 1e3
	var captions, answers, questions, boxes, matches int
	for i, d := range images {
		fmt.Fprintf(w, "%s  (%dx%d)\n", path.Base(d.File), d.img.Width, d.img.Height)
		t0 := time.Now()
		caption, err := p.Caption(d.img)
		if err != nil {
			return err
		}
		ms := float64(time.Since(t0).Microseconds()) / 1e3
		same := verdict(strings.Join(metrics.Tokenize(caption), " ") == strings.Join(metrics.Tokenize(d.Caption), " "), &captions)
		fmt.Fprintf(w, "  caption  %q  %s  %.2f ms\n", caption, same, ms)
		for _, q := range d.Questions[:min(2, len(d.Questions))] {
			t0 := time.Now()
			a, err := p.Ask(d.img, q.Question)
			if err != nil {
				return err
			}
			ms := float64(time.Since(t0).Microseconds()) / 1e3
			questions++
			fmt.Fprintf(w, "  ask      %q -> %s (%.2f)  %s  %.2f ms\n", q.Question, a.Label, a.Probability, verdict(a.Label == q.Answer, &answers), ms)
		}
		t0 = time.Now()
		b, err := p.Ground(d.img, d.Phrase)
		if err != nil {
			return err
		}
		ms = float64(time.Since(t0).Microseconds()) / 1e3
		iou := metrics.IoU(metrics.Box{X0: b.X0, Y0: b.Y0, X1: b.X1, Y1: b.Y1}, metrics.Box{X0: d.Box[0], Y0: d.Box[1], X1: d.Box[2], Y1: d.Box[3]})
		fmt.Fprintf(w, "  ground   %q -> box %.0f %.0f %.0f %.0f, IoU %.2f with the true box  %s  %.2f ms\n",
			d.Phrase, b.X0, b.Y0, b.X1, b.Y1, iou, verdict(iou >= 0.5, &boxes), ms)
		best := sim.Best(i)
		fmt.Fprintf(w, "  match    best of the %d texts: %q  %s\n\n", len(texts), texts[best], verdict(best == i, &matches))
		if outDir != "" {
			if err := writeBoxes(outDir, d, b); err != nil {
				return err
			}
		}
	}
	n := len(images)
	fmt.Fprintf(w, "shapes model: captions %d/%d as the scene's, answers %d/%d right, boxes %d/%d at IoU >= 0.5, matches %d/%d right (%.1f ms for %dx%d pairs)\n",
		captions, n, answers, questions, boxes, n, matches, n, matchMS, n, n)
	fmt.Fprintln(w, "(vlmrt eval --model models/shapes/head.safetensors --data testdata/shapes/test scores the whole test split)")
	if outDir != "" {
		fmt.Fprintf(w, "wrote %d images with their boxes to %s\n", n, outDir)
	}
	fmt.Fprintln(w)
	return nil
}

// verdict counts a right result and says which it was.
func verdict(right bool, count *int) string {
	if right {
		*count++
		return "[right]"
	}
	return "[wrong]"
}

// readDemoImages reads demo.jsonl and decodes its images.
func readDemoImages() ([]demoImage, error) {
	data, err := vlmrt.ShapesModel.ReadFile(path.Join(vlmrt.ShapesDir, "demo.jsonl"))
	if err != nil {
		return nil, err
	}
	var images []demoImage
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var d demoImage
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			return nil, fmt.Errorf("demo.jsonl: %w", err)
		}
		raw, err := vlmrt.ShapesModel.ReadFile(path.Join(vlmrt.ShapesDir, d.File))
		if err != nil {
			return nil, err
		}
		if d.img, err = preprocess.Decode(bytes.NewReader(raw)); err != nil {
			return nil, fmt.Errorf("%s: %w", d.File, err)
		}
		images = append(images, d)
	}
	return images, nil
}

// writeBoxes writes d's image with the predicted box in red and the true
// box in green.
func writeBoxes(dir string, d demoImage, b pipeline.Box) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	img := image.NewRGBA(d.img.Bounds())
	draw.Draw(img, img.Bounds(), d.img, image.Point{}, draw.Src)
	rect(img, d.Box[0], d.Box[1], d.Box[2], d.Box[3], color.RGBA{0, 200, 0, 255})
	rect(img, b.X0, b.Y0, b.X1, b.Y1, color.RGBA{230, 0, 0, 255})
	name := filepath.Join(dir, strings.TrimSuffix(path.Base(d.File), ".png")+"_box.png")
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// rect draws the outline of the box [x0, x1) x [y0, y1), one pixel wide,
// clipped to img.
func rect(img *image.RGBA, x0, y0, x1, y1 float64, c color.RGBA) {
	l, t := int(math.Round(math.Min(x0, x1))), int(math.Round(math.Min(y0, y1)))
	r, btm := int(math.Round(math.Max(x0, x1)))-1, int(math.Round(math.Max(y0, y1)))-1
	for x := l; x <= r; x++ {
		img.SetRGBA(x, t, c)
		img.SetRGBA(x, btm, c)
	}
	for y := t; y <= btm; y++ {
		img.SetRGBA(l, y, c)
		img.SetRGBA(r, y, c)
	}
}
