// Package preprocess turns JPEG and PNG images into the float32
// pixel_values a vision encoder reads, with the numbers Hugging Face's
// CLIPImageProcessor and SiglipImageProcessor produce (SPEC.md section 8).
// Those processors use Pillow, so this package reproduces Pillow 9.4:
//
//	img, err := preprocess.DecodeFile("photo.jpg")     // RGB8, as Image.open(f).convert("RGB")
//	p, err := preprocess.NewProcessor(preprocess.CLIP(224))
//	err = p.Process(session.Input("pixel_values"), img, preprocess.NCHW)
//
// # What is exact
//
// Resizing is bit-exact with Pillow's Image.resize on RGB images for all six
// filters (Resample.c: coefficients computed in float64 in the same order,
// 22-bit fixed point, int32 sums, horizontal pass first over the rows the
// vertical pass needs, unchanged axes skipped; NEAREST as Pillow's affine
// scale). Hugging Face's arithmetic is followed to the letter: the long side
// int(size*long/short) in float64, crop offsets (H-h)//2 with zero padding
// when the crop is larger, rescale as float32(float64(v)*factor), normalise
// as (v-mean)/std in float32. Given the same RGB8 image, Process returns
// Hugging Face's pixel_values bit for bit.
//
// PNG decoding is exact for every colour type: alpha is dropped without
// compositing (gray+alpha, RGBA, tRNS), palettes give their colours, 16-bit
// RGB and RGBA keep the high byte of each sample as Pillow reads them, and
// 16-bit grayscale clips to 255 instead of scaling (Pillow opens it as mode
// "I", whose RGB conversion clips; a 16-bit gray photo comes out mostly
// white there and here alike).
//
// # What is not
//
// JPEG: the entropy decoding is Go's image/jpeg, and so is the inverse DCT,
// which is not libjpeg-turbo's "islow" and puts a block's sample one level
// off now and then. Chroma upsampling (libjpeg's "fancy" triangle filter for
// 4:2:2, 4:2:0 and 4:4:0, replication otherwise) and the YCbCr to RGB
// conversion (libjpeg's 16-bit fixed-point tables) are libjpeg's, so the
// difference stays that of the IDCT: on the fixtures, a mean of about 0.03
// and at most 3 levels (a level of Cb moves blue by 1.772). CMYK JPEGs
// (Adobe, inverted) use Pillow's CMYK to RGB formula; YCCK JPEGs go through
// Go's own YCbCr conversion first, so they may differ by a few levels more.
//
// # Limits
//
// Decode reads the header first and refuses images over MaxPixels
// (ErrTooLarge) before allocating their pixels; anything that is not a
// complete JPEG or PNG is ErrFormat. Only JPEG and PNG are read, whatever
// image decoders the program registers.
package preprocess
