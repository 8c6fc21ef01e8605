"""encref: an independent PyTorch (float64) reference for the encoders of SPEC 8.

- `hf.py`: Hugging Face CLIP (vision + text towers) and SigLIP vision, written from the
  published definitions (transformers' modeling_clip.py / modeling_siglip.py semantics) as plain
  tensor math; random-weight configs; writing a model directory as transformers saves it.
- `modules.py`: a second implementation of the same towers built from torch.nn modules
  (nn.Conv2d, nn.LayerNorm, nn.MultiheadAttention, nn.TransformerEncoderLayer) for the self-test.
- `selftest.py`: checks hf.py against modules.py and torch.nn.functional, and re-checks the
  committed fixtures under testdata/encoders/.

Everything runs with Debian's python3-torch and python3-numpy (/usr/bin/python3).
"""
