//go:build purego || !(amd64 || arm64)

package weights

func convertF16(dst []float32, src []byte)  { f16ToF32Go(dst, src) }
func convertBF16(dst []float32, src []byte) { bf16ToF32Go(dst, src) }
