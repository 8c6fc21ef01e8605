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
// Decoding is exact too. PNG, for every colour type: alpha is dropped
// without compositing (gray+alpha, RGBA, tRNS), palettes give their colours,
// 16-bit RGB and RGBA keep the high byte of each sample as Pillow reads them,
// and 16-bit grayscale clips to 255 instead of scaling (Pillow opens it as
// mode "I", whose RGB conversion clips; a 16-bit gray photo comes out mostly
// white there and here alike). JPEG, baseline and progressive, every
// subsampling: the decoder is Go's image/jpeg with libjpeg-turbo's "islow"
// inverse DCT in place of Go's (internal/jpeg), followed by libjpeg's
// "fancy" (triangle) chroma upsampling for 4:2:2, 4:2:0 and 4:4:0
// (replication for other factors and for chroma two samples wide or less)
// and its 16-bit fixed-point YCbCr to RGB tables; grayscale replicated;
// CMYK inverted as Pillow reads Adobe files, then Pillow's CMYK to RGB
// formula; RGB JPEGs (Adobe transform 0) as stored. Every fixture JPEG
// (4:4:4, 4:2:2, 4:2:0, 4:4:0, 4:1:1, 4:1:0, qualities 50 to 100,
// progressive, restart markers, grayscale, RGB, CMYK, sizes down to 1
// pixel) decodes to Pillow's bytes.
//
// # What is not
//
// YCCK JPEGs follow libjpeg's conversion but no fixture checks them (Pillow
// cannot write one). FromImage of an *image.YCbCr decoded by the standard
// library's image/jpeg upsamples and converts as libjpeg does, but Go's IDCT
// leaves samples a level off now and then, which the colour conversion can
// make up to 3 levels (a mean of about 0.03 on the fixtures): use Decode for
// exact results. Resizing and Process take RGB8 only (Pillow's "RGB" mode).
// The reference is the Pillow-based ("slow") image processors; Hugging
// Face's "Fast" ones resize with torchvision and give other numbers.
//
// # Limits
//
// Decode reads the header first and refuses images over MaxPixels
// (ErrTooLarge) before allocating their pixels; anything that is not a
// complete JPEG or PNG is ErrFormat. Only JPEG and PNG are read, whatever
// image decoders the program registers.
package preprocess
