package preprocess_test

import (
	"fmt"
	"log"

	"github.com/vlmrt/vlmrt/preprocess"
)

// The main path: decode a photo, make CLIP's 224x224 pixel_values in NCHW
// order (what a session's "pixel_values" input takes), and map a box the
// model returns in [0, 1] of the processed image back to the photo's pixels.
func Example() {
	img, err := preprocess.DecodeFile("testdata/src/rocket_267x400_q85_420.jpg")
	if err != nil {
		log.Fatal(err)
	}
	p, err := preprocess.NewProcessor(preprocess.CLIP(224))
	if err != nil {
		log.Fatal(err)
	}
	h, w := p.OutputSize()
	pixelValues := make([]float32, 3*h*w) // or a session input
	if err := p.Process(pixelValues, img, preprocess.NCHW); err != nil {
		log.Fatal(err)
	}
	g, _ := p.Geometry(img.Width, img.Height)
	x0, y0, x1, y1 := g.BoxToSource(0.25, 0.25, 0.75, 0.75)

	fmt.Printf("photo %dx%d, resized %dx%d, crop at (%d, %d)\n", img.Width, img.Height, g.ResizedWidth, g.ResizedHeight, g.CropLeft, g.CropTop)
	fmt.Printf("pixel_values [3, %d, %d], first %.4f\n", h, w, pixelValues[0])
	fmt.Printf("box in the photo: %.1f %.1f %.1f %.1f\n", x0, y0, x1, y1)
	// Output:
	// photo 267x400, resized 224x335, crop at (0, 55)
	// pixel_values [3, 224, 224], first -1.2813
	// box in the photo: 66.8 132.5 200.2 266.3
}

// Parse a model directory's preprocessor_config.json.
func ExampleParseConfig() {
	cfg, err := preprocess.ParseConfig([]byte(`{
		"image_processor_type": "SiglipImageProcessor",
		"size": {"height": 384, "width": 384},
		"image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]
	}`))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg.Size, cfg.Resample, cfg.DoCenterCrop)
	// Output: {height: 384, width: 384} bicubic false
}
