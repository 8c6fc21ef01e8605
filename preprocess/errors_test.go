package preprocess

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pngHeader returns the signature and an IHDR chunk (with a valid CRC) of
// a width x height 8-bit RGB PNG, and no pixel data.
func pngHeader(width, height uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], width)
	binary.BigEndian.PutUint32(ihdr[4:], height)
	ihdr[8], ihdr[9] = 8, 2 // depth 8, colour type RGB
	var b bytes.Buffer
	b.Write(pngMagic)
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// jpegWithSize returns a fixture JPEG whose SOF0 header claims
// width x height.
func jpegWithSize(t testing.TB, width, height uint16) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "src", "coffee_33x17_q95_420.jpg"))
	require.NoError(t, err)
	data = bytes.Clone(data)
	i := bytes.Index(data, []byte{0xff, 0xc0})
	require.Positive(t, i, "an SOF0 marker")
	binary.BigEndian.PutUint16(data[i+5:], height)
	binary.BigEndian.PutUint16(data[i+7:], width)
	return data
}

type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error) { return 0, r.err }

// TestDecodeRefusesBadInput checks that bad input gives the right sentinel
// error, and never a panic or a huge allocation.
func TestDecodeRefusesBadInput(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "src", "chelsea_199x133_q85_420_progressive.jpg"))
	require.NoError(t, err)
	goodPNG, err := os.ReadFile(filepath.Join("testdata", "src", "png_rgb8.png"))
	require.NoError(t, err)
	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"empty input", nil, ErrFormat},
		{"text, not an image", []byte("hello, world: not an image at all"), ErrFormat},
		{"GIF is not read", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), ErrFormat},
		{"JPEG signature only", []byte{0xff, 0xd8}, ErrFormat},
		{"truncated progressive JPEG", good[:len(good)/2], ErrFormat},
		{"JPEG header claiming 0x17", jpegWithSize(t, 0, 17), ErrFormat},
		{"JPEG header claiming 65535x65535", jpegWithSize(t, 65535, 65535), ErrTooLarge},
		{"PNG signature only", pngMagic, ErrFormat},
		{"PNG header claiming 100000x100000", pngHeader(100000, 100000), ErrTooLarge},
		{"PNG header claiming 0x0", pngHeader(0, 0), ErrFormat},
		{"PNG header claiming 2^31x1", pngHeader(1<<31, 1), ErrFormat},
		{"PNG header and no pixels", pngHeader(64, 48), ErrFormat},
		{"truncated PNG", goodPNG[:len(goodPNG)-40], ErrFormat},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			img, err := Decode(bytes.NewReader(c.data))
			require.Error(t, err)
			assert.Nil(t, img)
			assert.ErrorIs(t, err, c.want)
			assert.Contains(t, err.Error(), "preprocess: ")
		})
	}
}

// TestDecodeLimitedUsesItsLimit checks that DecodeLimited's bound replaces
// MaxPixels: a 199x133 image passes 26467 pixels and fails 26466.
func TestDecodeLimitedUsesItsLimit(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "src", "chelsea_199x133_q85_420_progressive.jpg"))
	require.NoError(t, err)
	_, err = DecodeLimited(bytes.NewReader(data), 199*133)
	require.NoError(t, err)
	_, err = DecodeLimited(bytes.NewReader(data), 199*133-1)
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Contains(t, err.Error(), "199x133")
}

// TestDecodeReportsReaderErrors checks that a failing reader's error is
// returned as itself, not as a corrupt image.
func TestDecodeReportsReaderErrors(t *testing.T) {
	boom := errors.New("disk on fire")
	_, err := Decode(failingReader{boom})
	require.ErrorIs(t, err, boom)
	assert.NotErrorIs(t, err, ErrFormat)

	data, err := os.ReadFile(filepath.Join("testdata", "src", "coffee_257x171_q50_420.jpg"))
	require.NoError(t, err)
	_, err = Decode(io.MultiReader(bytes.NewReader(data[:len(data)/2]), failingReader{boom}))
	require.ErrorIs(t, err, boom)
	assert.NotErrorIs(t, err, ErrFormat)
}

// TestDecodeFileNamesTheFile checks that DecodeFile's errors name the file.
func TestDecodeFileNamesTheFile(t *testing.T) {
	_, err := DecodeFile(filepath.Join("testdata", "no-such-photo.jpg"))
	require.ErrorIs(t, err, fs.ErrNotExist)
	assert.Contains(t, err.Error(), "no-such-photo.jpg")

	bad := filepath.Join(t.TempDir(), "notes.jpg")
	require.NoError(t, os.WriteFile(bad, []byte("not a jpeg"), 0o644))
	_, err = DecodeFile(bad)
	require.ErrorIs(t, err, ErrFormat)
	assert.Contains(t, err.Error(), "preprocess: "+bad+": ")
}
