package generate

import "math"

// The exponentials of the log-softmax normaliser are the bulk of a step's
// own work (V per live hypothesis); sumExp computes them inline with a
// table of 2^(j/64) and a degree-5 polynomial, within 2 ulp of math.Exp,
// several times faster than calling it.

const (
	expTableBits = 6
	expTableSize = 1 << expTableBits
	// invLn2x64 is 64/ln 2; ln2Hi64 + ln2Lo64 is ln 2 / 64, split so that
	// n * ln2Hi64 is exact for the n of any argument (ln2Hi has its low 21
	// bits zero).
	invLn2x64 = expTableSize / math.Ln2
	ln2Hi64   = 6.93147180369123816490e-01 / expTableSize
	ln2Lo64   = 1.90821492927058770002e-10 / expTableSize
	// expMin is the smallest argument handled; e^x below it is smaller
	// than 2^-1021 and is taken as 0.
	expMin = -708.0
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
	n := int64(x*invLn2x64 - 0.5) // round to nearest (x <= 0)
	r := (x - float64(n)*ln2Hi64) - float64(n)*ln2Lo64
	q := r * (1 + r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120)))))
	t := exp2Table[n&(expTableSize-1)]
	scale := math.Float64frombits(uint64(n>>expTableBits+1023) << 52)
	return (t + t*q) * scale
}

// sumExp returns the sum of e^(x - m) over row, m >= every x. It is
// expNonPos written out in the loop, which the compiler does not inline.
func sumExp(row []float32, m float64) float64 {
	s := 0.0
	for _, v := range row {
		x := float64(v) - m
		if !(x >= expMin) {
			continue
		}
		n := int64(x*invLn2x64 - 0.5)
		r := (x - float64(n)*ln2Hi64) - float64(n)*ln2Lo64
		q := r * (1 + r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120)))))
		t := exp2Table[n&(expTableSize-1)]
		s += (t + t*q) * math.Float64frombits(uint64(n>>expTableBits+1023)<<52)
	}
	return s
}
