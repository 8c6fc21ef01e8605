//go:build !purego

package kernels

type decodeScoresArgs struct {
	s, q, k                   *float32
	nk, nc                    int
	dhBytes, ksBytes, ssBytes int
	scale                     float32
}

type decodePVArgs struct {
	o, p, v                   *float32
	nk, ng                    int
	dhBytes, vsBytes, psBytes int
}

//go:noescape
func decodeScores4AVX512(a *decodeScoresArgs)

//go:noescape
func decodePV4AVX512(a *decodePVArgs)

// decodeScoresAVX512 is decodeScoresGeneric with dh a multiple of 16:
// decodeScores4AVX512 on the keys below nk rounded down to 4, and
// dotRowsAVX512 on the rest, head by head.
func decodeScoresAVX512(s, q, k []float32, nk, dh, ks, ss int, scale float32) {
	n4 := nk &^ 3
	if n4 > 0 {
		_, _, _ = s[3*ss+n4-1], q[4*dh-1], k[(n4-1)*ks+4*dh-1]
		a := decodeScoresArgs{&s[0], &q[0], &k[0], n4, dh / 16, dh * 4, ks * 4, ss * 4, scale}
		decodeScores4AVX512(&a)
	}
	if n4 < nk {
		for hh := 0; hh < 4; hh++ {
			dotRowsAVX512Go(s[hh*ss+n4:hh*ss+nk], q[hh*dh:(hh+1)*dh], k[n4*ks+hh*dh:], ks, scale)
		}
	}
}

// decodePVAVX512 is decodePVGeneric with dh a multiple of 64.
func decodePVAVX512(o, p, v []float32, nk, dh, vs, ps int) {
	if nk == 0 {
		clear(o[:4*dh])
		return
	}
	_, _, _ = o[4*dh-1], p[3*ps+nk-1], v[(nk-1)*vs+4*dh-1]
	a := decodePVArgs{&o[0], &p[0], &v[0], nk, dh / 64, dh * 4, vs * 4, ps * 4}
	decodePV4AVX512(&a)
}
