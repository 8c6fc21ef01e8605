package generate

import "math"

// The exponentials of the log-softmax normaliser are the bulk of a step's
// own work (V per live hypothesis); sumExp computes them inline with a
// table of 2^(j/64) and a degree-5 polynomial, within 2 ulp of math.Exp
// and faster than calling it. The functions of this file give the same
// bits on every GOARCH (math.Exp and math.Log have assembly versions on
// some): every product is rounded by an explicit float64 conversion, which
// keeps the compiler from fusing it into an FMA (as it does on arm64), so
// that scores, and the ties among them, do not depend on the machine.

const (
	expTableBits = 6
	expTableSize = 1 << expTableBits
	// invLn2x64 is 64/ln 2; ln2Hi64 + ln2Lo64 is ln 2 / 64, split so that
	// n * ln2Hi64 is exact for the n of any argument (ln2Hi has its low 21
	// bits zero).
	invLn2x64 = expTableSize / math.Ln2
	ln2Hi64   = ln2Hi / expTableSize
	ln2Lo64   = ln2Lo / expTableSize
	// expMin is the smallest argument handled; e^x below it is smaller
	// than 2^-1021 and is taken as 0.
	expMin = -708.0
	// expShifter is 1.5*2^52: adding it to a number of magnitude below
	// 2^51 rounds it to an integer held in the low bits of the sum.
	expShifter     = 0x1.8p52
	expShifterBits = 0x4338000000000000 // math.Float64bits(expShifter)
)

// exp2Table[j] = 2^(j/64).
var exp2Table = func() (t [expTableSize]float64) {
	for j := range t {
		t[j] = math.Exp2(float64(j) / expTableSize)
	}
	return t
}()

// expNonPos returns e^x for x <= 0 (0 below expMin).
func expNonPos(x float64) float64 {
	if !(x >= expMin) {
		return 0
	}
	kd := float64(x*invLn2x64) + expShifter // rounds to an integer n
	n := int64(math.Float64bits(kd) - expShifterBits)
	nf := kd - expShifter
	r := (x - float64(nf*ln2Hi64)) - float64(nf*ln2Lo64)
	q := expPoly(r)
	t := exp2Table[n&(expTableSize-1)]
	scale := math.Float64frombits(uint64(n>>expTableBits+1023) << 52)
	return (t + float64(t*q)) * scale
}

// expPoly returns e^r - 1 for |r| <= ln 2 / 128 by its Taylor polynomial
// of degree 5 (the next term is below 2^-54).
func expPoly(r float64) float64 {
	return r * (1 + float64(r*(1.0/2+float64(r*(1.0/6+float64(r*(1.0/24+float64(r*(1.0/120)))))))))
}

// logAtLeast1 returns ln s for s >= 1 (a normaliser's sum, whose largest
// term is e^0): s = 2^k f with f in [1/sqrt 2, sqrt 2), ln f = 2 atanh z
// with z = (f-1)/(f+1), |z| < 0.172, summed to z^23.
func logAtLeast1(s float64) float64 {
	if math.IsInf(s, 1) || s != s {
		return s
	}
	f, k := math.Frexp(s) // s = f 2^k, f in [1/2, 1)
	if f < math.Sqrt2/2 {
		f, k = f*2, k-1
	}
	z := (f - 1) / (f + 1)
	z2 := float64(z * z)
	series := 0.0
	for n := 23; n >= 3; n -= 2 {
		series = float64(series*z2) + 1/float64(n)
	}
	lnf := 2 * (z + float64(float64(z*z2)*series))
	return float64(float64(k)*ln2Hi) + (float64(float64(k)*ln2Lo) + lnf)
}

const (
	ln2Hi = 6.93147180369123816490e-01 // ln 2 with its low 21 bits zero
	ln2Lo = 1.90821492927058770002e-10 // ln 2 - ln2Hi
)

// sumExp returns the sum of e^(x - m) over row, m >= every x. It is
// expNonPos written out in the loop (the compiler does not inline it), two
// elements at a time into two sums. Arguments below expMin are raised to
// it, which adds at most V * 2^-1021 to a sum of at least 1: nothing.
func sumExp(row []float32, m float64) float64 {
	var s0, s1 float64
	i := 0
	for ; i+2 <= len(row); i += 2 {
		x0, x1 := max(float64(row[i])-m, expMin), max(float64(row[i+1])-m, expMin)
		// Adding 1.5*2^52 rounds x*64/ln 2 to the integer n held in the
		// low bits of k; k - expShifter is n exactly.
		k0, k1 := float64(x0*invLn2x64)+expShifter, float64(x1*invLn2x64)+expShifter
		n0, n1 := int64(math.Float64bits(k0)-expShifterBits), int64(math.Float64bits(k1)-expShifterBits)
		f0, f1 := k0-expShifter, k1-expShifter
		r0 := (x0 - float64(f0*ln2Hi64)) - float64(f0*ln2Lo64)
		r1 := (x1 - float64(f1*ln2Hi64)) - float64(f1*ln2Lo64)
		q0 := r0 * (1 + float64(r0*(1.0/2+float64(r0*(1.0/6+float64(r0*(1.0/24+float64(r0*(1.0/120)))))))))
		q1 := r1 * (1 + float64(r1*(1.0/2+float64(r1*(1.0/6+float64(r1*(1.0/24+float64(r1*(1.0/120)))))))))
		t0, t1 := exp2Table[n0&(expTableSize-1)], exp2Table[n1&(expTableSize-1)]
		s0 += (t0 + float64(t0*q0)) * math.Float64frombits(uint64(n0>>expTableBits+1023)<<52)
		s1 += (t1 + float64(t1*q1)) * math.Float64frombits(uint64(n1>>expTableBits+1023)<<52)
	}
	if i < len(row) {
		s0 += expNonPos(float64(row[i]) - m)
	}
	return s0 + s1
}
