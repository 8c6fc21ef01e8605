//go:build !purego

package kernels

// rowKernelsFor returns the row kernels of level l on amd64: the AVX2 or
// AVX-512 assembly where it exists, the pure-Go twins elsewhere.
func rowKernelsFor(l Level) rowKernels {
	k := genericRows
	switch l {
	case AVX2:
		k.layerNorm = rowsOf4(layerNormRowAVX2)
		k.rmsNorm = rowsOf3(rmsNormRowAVX2)
		k.softmax = softmaxRows(softmaxRowAVX2)
		k.expSum = expSumAVX2
		k.gelu = geluAVX2
		k.silu = siluAVX2
		k.sigmoid = sigmoidAVX2
		k.gatedSigmoid = gatedSigmoidAVX2
		k.add = addAVX2
		k.mul = mulAVX2
		k.maxv = maxAVX2
		k.scale = scaleAVX2
		k.axpy = axpyAVX2
		k.dot = dotAVX2
		k.sparsemax = sparsemaxAVX2
		k.dotRows = dotRowsAVX2Go
		k.axpyRows = axpyRowsAVX2Go
		k.queryBlock = 8
		k.gatherT = gatherTAVX2
		k.scoresT = scoresTAVX2
		k.softmaxCols = softmaxColsAVX2
		k.pvT = pvTAVX2
	case AVX512:
		k.layerNorm = rowsOf4(layerNormRowAVX512)
		k.rmsNorm = rowsOf3(rmsNormRowAVX512)
		k.softmax = softmaxRows(softmaxRowAVX512)
		k.expSum = expSumAVX512
		k.gelu = geluAVX512
		k.silu = siluAVX512
		k.sigmoid = sigmoidAVX512
		k.gatedSigmoid = gatedSigmoidAVX512
		k.add = addAVX512
		k.mul = mulAVX512
		k.maxv = maxAVX512
		k.scale = scaleAVX512
		k.axpy = axpyAVX512
		k.dot = dotAVX512
		k.sparsemax = sparsemaxAVX512
		k.dotRows = dotRowsAVX512Go
		k.axpyRows = axpyRowsAVX512Go
		k.queryBlock = 32
		k.halfBlock = true
		k.gatherT = gatherTAVX512
		k.scoresT = scoresTAVX512
		k.softmaxCols = softmaxColsAVX512
		k.pvT = pvTAVX512
		k.pvOutT = pvOutTAVX512
		k.outT = outTAVX512
		k.decodeScores = decodeScoresAVX512
		k.decodePV = decodePVAVX512
		k.decodeDimStep = 64
	}
	return k
}

// rowsOf4 turns a one-row norm with gamma and beta into a kernel over rows.
func rowsOf4(row func(dst, x, gamma, beta []float32, eps float32)) func(dst, x, gamma, beta []float32, eps float32) {
	return func(dst, x, gamma, beta []float32, eps float32) {
		d := len(gamma)
		for off := 0; off+d <= len(x); off += d {
			row(dst[off:off+d], x[off:off+d], gamma, beta, eps)
		}
	}
}

// rowsOf3 turns a one-row norm with a scale into a kernel over rows.
func rowsOf3(row func(dst, x, scale []float32, eps float32)) func(dst, x, scale []float32, eps float32) {
	return func(dst, x, scale []float32, eps float32) {
		d := len(scale)
		for off := 0; off+d <= len(x); off += d {
			row(dst[off:off+d], x[off:off+d], scale, eps)
		}
	}
}

// softmaxRows turns a one-row softmax into a kernel over rows of n values.
func softmaxRows(row func(dst, x []float32)) func(dst, x []float32, n int) {
	return func(dst, x []float32, n int) {
		for off := 0; off+n <= len(x); off += n {
			row(dst[off:off+n], x[off:off+n])
		}
	}
}

//go:noescape
func layerNormRowAVX512(dst, x, gamma, beta []float32, eps float32)

//go:noescape
func rmsNormRowAVX512(dst, x, scale []float32, eps float32)

//go:noescape
func softmaxRowAVX512(dst, x []float32)

//go:noescape
func geluAVX512(dst, x []float32)

//go:noescape
func siluAVX512(dst, x []float32)

//go:noescape
func sigmoidAVX512(dst, x []float32)

// gatedSigmoidAVX512 and gatedSigmoidAVX2 compute dst[i] = x sigmoid(a x +
// c x^3) over len(x) values; dst must hold as many (gatedSigmoid checks).
//
//go:noescape
func gatedSigmoidAVX512(dst, x []float32, a, c float32)

//go:noescape
func gatedSigmoidAVX2(dst, x []float32, a, c float32)

//go:noescape
func addAVX512(dst, a, b []float32)

//go:noescape
func mulAVX512(dst, a, b []float32)

//go:noescape
func axpyAVX512(dst []float32, alpha float32, x []float32)

//go:noescape
func dotAVX512(a, b []float32) float32

//go:noescape
func layerNormRowAVX2(dst, x, gamma, beta []float32, eps float32)

//go:noescape
func rmsNormRowAVX2(dst, x, scale []float32, eps float32)

//go:noescape
func softmaxRowAVX2(dst, x []float32)

//go:noescape
func geluAVX2(dst, x []float32)

//go:noescape
func siluAVX2(dst, x []float32)

//go:noescape
func sigmoidAVX2(dst, x []float32)

//go:noescape
func addAVX2(dst, a, b []float32)

//go:noescape
func mulAVX2(dst, a, b []float32)

//go:noescape
func axpyAVX2(dst []float32, alpha float32, x []float32)

//go:noescape
func dotAVX2(a, b []float32) float32

//go:noescape
func maxAVX2(dst, a, b []float32)

//go:noescape
func scaleAVX2(dst, x []float32, s float32)

//go:noescape
func maxAVX512(dst, a, b []float32)

//go:noescape
func scaleAVX512(dst, x []float32, s float32)

//go:noescape
func expSumAVX2(dst, x []float32, m float32) float32

//go:noescape
func expSumAVX512(dst, x []float32, m float32) float32

//go:noescape
func sparsemaxRowAVX512(dst, x, zs []float32)

//go:noescape
func sparsemaxRowAVX2(dst, x, zs []float32)

// sparsemaxAVX512 and sparsemaxAVX2 check that dst and zs hold a row as
// long as x, which the kernels trust.
func sparsemaxAVX512(dst, x, zs []float32) {
	_, _ = dst[:len(x)], zs[:len(x)]
	sparsemaxRowAVX512(dst, x, zs)
}

func sparsemaxAVX2(dst, x, zs []float32) {
	_, _ = dst[:len(x)], zs[:len(x)]
	sparsemaxRowAVX2(dst, x, zs)
}
