package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// TestQgemmArgsLayout checks the qgemmArgs offsets that the generated
// assembly (_qgemmgen) hard-codes.
func TestQgemmArgsLayout(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("no int8 assembly on 32-bit platforms")
	}
	var g qgemmArgs
	for _, f := range []struct {
		name      string
		got, want uintptr
	}{
		{"a", unsafe.Offsetof(g.a), 0},
		{"lda", unsafe.Offsetof(g.lda), 8},
		{"b", unsafe.Offsetof(g.b), 16},
		{"ldb", unsafe.Offsetof(g.ldb), 24},
		{"c", unsafe.Offsetof(g.c), 32},
		{"ldc", unsafe.Offsetof(g.ldc), 40},
		{"bias", unsafe.Offsetof(g.bias), 48},
		{"colScale", unsafe.Offsetof(g.colScale), 56},
		{"corr", unsafe.Offsetof(g.corr), 64},
		{"rowScale", unsafe.Offsetof(g.rowScale), 72},
		{"m", unsafe.Offsetof(g.m), 80},
		{"mr", unsafe.Offsetof(g.mr), 88},
		{"groups", unsafe.Offsetof(g.groups), 96},
		{"panels", unsafe.Offsetof(g.panels), 104},
		{"maskLo", unsafe.Offsetof(g.maskLo), 112},
		{"maskHi", unsafe.Offsetof(g.maskHi), 120},
		{"rowsLeft", unsafe.Offsetof(g.rowsLeft), 128},
		{"panelsLeft", unsafe.Offsetof(g.panelsLeft), 136},
		{"rowAt", unsafe.Offsetof(g.rowAt), 144},
		{"mask", unsafe.Offsetof(g.mask), 152},
		{"cols", unsafe.Offsetof(g.cols), 216},
		{"partial", unsafe.Offsetof(g.partial), 224},
	} {
		if f.got != f.want {
			t.Errorf("qgemmArgs.%s at offset %d, the assembly reads %d", f.name, f.got, f.want)
		}
	}
}

// qgemmRun is one call of an int8 micro-kernel on random s8 data, with
// everything the call reads laid out as the packers and the product lay it
// out.
type qgemmRun struct {
	kern            qgemmKernel
	m, k, n, mr     int
	qa              []int8  // A as the family reads it: m rows of kp bytes
	as8             []int32 // A as s8, m x k
	w               []int8  // weights, k x n
	iw              *int8Weights
	bias, rowScale  []float32
	unit            bool // unit scales and zero bias: C = float32(acc) exactly
	cbuf            []float32
	cOff, ldc, cLen int
}

const qguard = 23 // floats of guard band around C

// newQgemmRun draws A in [-127, 127] and weights in [-128, 127] (or the
// extremes only), and packs them for kern.
func newQgemmRun(kern qgemmKernel, m, k, n, mr int, extreme, unit bool, r *rand.Rand) *qgemmRun {
	run := &qgemmRun{kern: kern, m: m, k: k, n: n, mr: mr, unit: unit}
	run.as8 = make([]int32, m*k)
	run.w = make([]int8, k*n)
	for i := range run.as8 {
		if extreme {
			run.as8[i] = 127 - 254*int32(r.IntN(2))
		} else {
			run.as8[i] = int32(r.IntN(255) - 127)
		}
	}
	for i := range run.w {
		if extreme {
			run.w[i] = int8(127 - 255*r.IntN(2))
		} else {
			run.w[i] = int8(r.IntN(256) - 128)
		}
	}
	scale := make([]float32, n)
	bias := make([]float32, n)
	for j := range scale {
		scale[j] = 1
		if !unit {
			scale[j] = float32(r.Float64()*0.01 + 1e-4)
			bias[j] = float32(r.NormFloat64())
		}
	}
	saved := qgemmActive
	qgemmActive = kern
	p := newInt8Packed(k, n, scale, bias)
	qgemmActive = saved
	p.q.fill(run.w, k, n)
	run.iw, run.bias = p.q, p.bias
	kp := p.q.kp
	run.qa = make([]int8, p.q.qaBytes(m)+2)[2:] // off an aligned address
	// Row m is there for a row-pair family with an odd m: the second row of
	// its last pair.
	for i := 0; i < (m+1)&^1; i++ {
		for j := 0; j < kp; j++ {
			var v int32
			switch {
			case i == m:
				v = 77 // zero in a product, but no value of it may reach C
			case j < k:
				v = run.as8[i*k+j]
			}
			run.setA(i, j, v)
		}
	}
	run.rowScale = make([]float32, m)
	for i := range run.rowScale {
		run.rowScale[i] = 1
		if !unit {
			run.rowScale[i] = float32(r.Float64()*0.05 + 1e-3)
		}
	}
	run.ldc = n + 3
	run.cLen = (m-1)*run.ldc + n
	run.cbuf = make([]float32, run.cLen+2*qguard)
	for i := range run.cbuf {
		run.cbuf[i] = math.Float32frombits(0x7fc0dead)
	}
	return run
}

// setA writes A[i][k] = v where the family reads it (qmatmul_kernel.go);
// i = m is the zero row of an odd m for a row-pair family, and no row for
// the others.
func (run *qgemmRun) setA(i, k int, v int32) {
	kp := run.iw.kp
	switch {
	case run.kern.rowPairs:
		run.qa[(i&^1)*kp+16*(k/8)+8*(i&1)+k%8] = int8(v)
	case i >= run.m:
	case run.kern.a16:
		run.qa[2*(i*kp+k)] = int8(v)
		run.qa[2*(i*kp+k)+1] = int8(v >> 8)
	case run.kern.zeroPoint:
		run.qa[i*kp+k] = int8(v ^ -128)
	default:
		run.qa[i*kp+k] = int8(v)
	}
}

// call runs the kernel over every panel and row, as one unit of the
// product does.
func (run *qgemmRun) call() {
	nr, kp := run.kern.nr, run.iw.kp
	np := (run.n + nr - 1) / nr
	g := qgemmArgs{
		a: unsafe.Pointer(unsafe.SliceData(run.qa)), lda: uintptr(run.iw.lda()),
		b: unsafe.Pointer(unsafe.SliceData(run.iw.panels)), ldb: uintptr(kp * nr),
		c: unsafe.Pointer(&run.cbuf[qguard]), ldc: uintptr(4 * run.ldc),
		bias: unsafe.Pointer(&run.bias[0]), colScale: unsafe.Pointer(&run.iw.scale[0]),
		rowScale: unsafe.Pointer(&run.rowScale[0]),
		m:        run.m, mr: run.mr, groups: kp / 4, panels: np,
	}
	if run.iw.corr != nil {
		g.corr = unsafe.Pointer(&run.iw.corr[0])
	}
	g.setCols(run.n-(np-1)*nr, nr)
	callQgemm(run.kern.id, &g)
}

// check compares C with the exact int32 sums (unit scales: C must be
// float32(acc), an integer below 2^24, so the sums agree bit for bit) or
// with the step-by-step rounding of the contract, and the guard bands and
// the gaps between rows of C with their sentinel.
func (run *qgemmRun) check(t *testing.T, what string) {
	t.Helper()
	for i, v := range run.cbuf {
		in := i >= qguard && i < qguard+run.cLen && (i-qguard)%run.ldc < run.n
		if !in && math.Float32bits(v) != 0x7fc0dead {
			t.Fatalf("%s: wrote %v outside C at %d", what, v, i-qguard)
		}
	}
	for i := 0; i < run.m; i++ {
		for j := 0; j < run.n; j++ {
			var acc int64
			for kk := 0; kk < run.k; kk++ {
				acc += int64(run.as8[i*run.k+kk]) * int64(run.w[kk*run.n+j])
			}
			got := run.cbuf[qguard+i*run.ldc+j]
			want := float32(float32(int32(acc))*(run.rowScale[i]*run.iw.scale[j])) + run.bias[j]
			if run.unit && math.Abs(float64(acc)) >= 1<<24 {
				t.Fatalf("%s: sum %d too large to check exactly", what, acc)
			}
			if math.Float32bits(got) != math.Float32bits(want) {
				t.Fatalf("%s: C[%d][%d] = %v, want %v (int32 sum %d)", what, i, j, got, want, acc)
			}
		}
	}
}

// TestQgemmKernels runs every int8 micro-kernel this CPU has, at every row
// block size, against the exact int32 sums: K at and around every multiple
// of 4, 8 and 16 (the groups and the NEON loads), N at every remainder of
// the 8-, 16- and 32-column panels, M of one to three blocks (for a
// row-pair family, every even block size, and M one short of a block, two
// blocks and one row, so that each block size also ends on a lone row).
// With unit scales C is the sum itself, so the int32 accumulations agree
// with the Go twin bit for bit; with random scales and bias C must follow
// the contract's rounding exactly.
func TestQgemmKernels(t *testing.T) {
	ks := []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 24, 31, 32, 33, 40, 63, 64, 65, 100}
	ns := []int{1, 3, 8, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65, 97}
	if testing.Short() {
		ks, ns = []int{0, 1, 4, 7, 16, 24, 33, 65}, []int{1, 7, 15, 16, 17, 33, 65}
	}
	for _, kern := range qgemmKernels() {
		r := rand.New(rand.NewPCG(uint64(kern.id), 5))
		t.Run(kern.name, func(t *testing.T) {
			step := 1
			if kern.rowPairs {
				step = 2
			}
			for mr := step; mr <= kern.mrMax; mr += step {
				ms := []int{mr, 2*mr + 1, 3 * mr}
				if kern.rowPairs {
					ms = append(ms, mr-1)
				}
				for _, m := range ms {
					for _, k := range ks {
						for _, n := range ns {
							unit := (m+k+n)%2 == 0
							run := newQgemmRun(kern, m, k, n, mr, false, unit, r)
							run.call()
							run.check(t, fmt.Sprintf("%s mr=%d m=%d k=%d n=%d unit=%v", kern.name, mr, m, k, n, unit))
						}
					}
				}
			}
			// Every width to two 32-column panels and one past: every
			// remainder of every family's panel.
			for n := 1; n <= 65; n++ {
				for _, m := range []int{1, 5, 13} {
					k := 1 + 9*(n%7)
					run := newQgemmRun(kern, m, k, n, kern.mrMax, false, n%2 == 0, r)
					run.call()
					run.check(t, fmt.Sprintf("%s m=%d k=%d n=%d", kern.name, m, k, n))
				}
			}
		})
	}
}

// TestQgemmNoOverflow runs every kernel at K = MaxInt8K with the extreme
// values (+-127 in A, -128 and 127 in the weights): the int32 sums come
// close to 2^31 and, for the zero-point families, wrap in between; C must
// still follow the contract's rounding of the exact sum.
func TestQgemmNoOverflow(t *testing.T) {
	if testing.Short() {
		t.Skip("2 M multiply-adds a kernel in the Go twin's reference loop")
	}
	for _, kern := range qgemmKernels() {
		r := rand.New(rand.NewPCG(7, 7))
		run := newQgemmRun(kern, 2, MaxInt8K, 3, kern.mrMax, true, true, r)
		// Make one column reach the bound: A = +-127, w = -128 * sign(A).
		for kk := 0; kk < run.k; kk++ {
			run.as8[kk] = 127
			run.w[kk*run.n] = -128
		}
		run.iw.fill(run.w, run.k, run.n)
		for kk := 0; kk < run.k; kk++ {
			run.setA(0, kk, 127)
		}
		run.unit = false // the sums pass 2^24: compare the rounded values
		run.call()
		run.check(t, kern.name+" K=MaxInt8K")
		require.InDelta(t, -float64(MaxInt8K)*127*128, float64(run.cbuf[qguard]), 1e3)
	}
}

// TestQuantizeRowKernels checks each level's row quantizer against the Go
// twins bit for bit on every length to 200 (every tail of the 16-, 32- and
// 64-value steps), with values that land exactly half way between two
// integers, NaN and infinities (for qabsMax), both flips, and guard bytes
// after dst.
func TestQuantizeRowKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for _, l := range Levels() {
		for n := 0; n <= 200; n++ {
			row := make([]float32, n+1)[1:]
			for j := range row {
				row[j] = float32(r.NormFloat64())
				if j%5 == 0 {
					row[j] = float32(r.IntN(255)-127) + 0.5 // half way with inv = 1
				}
			}
			require.Equal(t, absMaxBits(row), qabsMax(l, row), "%s n=%d", l, n)
			if n > 0 {
				bad := append([]float32(nil), row...)
				bad[r.IntN(n)] = float32(math.Inf(-1))
				require.Equal(t, absMaxBits(bad), qabsMax(l, bad), "%s n=%d with -Inf", l, n)
				bad[r.IntN(n)] = float32(math.NaN())
				require.Equal(t, absMaxBits(bad), qabsMax(l, bad), "%s n=%d with NaN", l, n)
			}
			for _, inv := range []float32{1, 127 / 3.3} {
				clipped := append([]float32(nil), row...)
				for j := range clipped {
					clipped[j] = max(-127/inv, min(127/inv, clipped[j]))
				}
				for _, flip := range []int8{0, -128} {
					want := make([]int8, n)
					quantizeRow(want, clipped, inv, flip)
					got := make([]int8, n+8)
					for j := range got {
						got[j] = 99
					}
					qquantizeRow(l, got[:n], clipped, inv, flip)
					require.Equal(t, want, got[:n], "%s n=%d inv=%v flip=%d", l, n, inv, flip)
					require.Equal(t, []int8{99, 99, 99, 99, 99, 99, 99, 99}, got[n:], "%s n=%d: wrote past dst", l, n)
				}
				want16 := make([]int16, n)
				quantizeRow16(want16, clipped, inv)
				got16 := make([]int16, n+8)
				for j := range got16 {
					got16[j] = 999
				}
				qquantizeRow16(l, got16[:n], clipped, inv)
				require.Equal(t, want16, got16[:n], "%s n=%d inv=%v int16", l, n, inv)
				require.Equal(t, []int16{999, 999, 999, 999, 999, 999, 999, 999}, got16[n:], "%s n=%d: wrote past dst", l, n)
				want8 := make([]int8, n)
				quantizeRow(want8, clipped, inv, 0)
				for j, v := range want16 {
					require.Equal(t, int16(want8[j]), v, "%s n=%d: int16 and int8 rows differ at %d", l, n, j)
				}
				// Into a row of a pair layout: the same values at
				// 16*(j/8) + j%8; the other row's bytes and those past the
				// row keep their sentinel.
				for _, flip := range []int8{0, -128} {
					want := make([]int8, n)
					quantizeRow(want, clipped, inv, flip)
					pairs := make([]int8, 2*n+32)
					for j := range pairs {
						pairs[j] = 99
					}
					qquantizeRowPairs(l, pairs, clipped, inv, flip)
					for j := range pairs {
						w := int8(99)
						if j%16 < 8 && 8*(j/16)+j%16 < n {
							w = want[8*(j/16)+j%16]
						}
						require.Equal(t, w, pairs[j], "%s n=%d inv=%v flip=%d: pair layout byte %d", l, n, inv, flip, j)
					}
				}
			}
		}
	}
}

// TestQuantizeRowsPairs checks quantizeRows for a row-pair family against
// the row layout of the same rows at every level: m of one to seven rows
// (an odd m zeroes the second row of its last pair), K at and around the
// 8- and 16-byte steps, rows of zeros and of NaN, and the rows quantized
// in two calls split at an even row, as the threaded product does.
func TestQuantizeRowsPairs(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 8))
	rowsKern := pairsGoQgemm
	rowsKern.rowPairs, rowsKern.id = false, qgemmGo
	for _, l := range Levels() {
		for m := 1; m <= 7; m++ {
			for _, k := range []int{1, 7, 8, 9, 15, 16, 17, 24, 33, 70} {
				kp := (k + 15) &^ 15
				a := make([]float32, m*(k+1))
				for j := range a {
					a[j] = float32(r.NormFloat64())
				}
				clear(a[(k+1)*(m/2) : (k+1)*(m/2)+k]) // a row of zeros
				if m > 3 {
					a[(k+1)*3+k/2] = float32(math.NaN())
				}
				rows, rowScales := make([]int8, m*kp), make([]float32, m)
				quantizeRows(l, rows, rowScales, a, k+1, 0, m, k, rowsKern)
				pairs, pairScales := make([]int8, (m+1)/2*2*kp), make([]float32, m)
				for j := range pairs {
					pairs[j] = 99
				}
				split := min(2, m)
				quantizeRows(l, pairs, pairScales, a, k+1, 0, split, k, pairsGoQgemm)
				quantizeRows(l, pairs, pairScales, a, k+1, split, m, k, pairsGoQgemm)
				what := fmt.Sprintf("%s m=%d k=%d", l, m, k)
				for i := range rowScales {
					require.Equal(t, math.Float32bits(rowScales[i]), math.Float32bits(pairScales[i]), "%s: scale of row %d", what, i)
				}
				for i := 0; i < (m+1)&^1; i++ {
					for kk := 0; kk < kp; kk++ {
						var want int8
						if i < m {
							want = rows[i*kp+kk]
						}
						got := pairs[(i&^1)*kp+16*(kk/8)+8*(i&1)+kk%8]
						require.Equal(t, want, got, "%s: A[%d][%d]", what, i, kk)
					}
				}
			}
		}
	}
}

// a64Word assembles an A64 instruction from its field layout, most
// significant bit first: '0' and '1' are fixed bits, a letter is a bit of
// the field of that letter (its bits in order, most significant first).
func a64Word(layout string, fields map[byte]int) uint32 {
	var w uint32
	for i := 0; i < len(layout); i++ {
		c := layout[i]
		bit := uint32(c - '0')
		if c != '0' && c != '1' {
			pos := strings.LastIndexByte(layout, c) - i
			bit = uint32(fields[c]>>pos) & 1
		}
		w = w<<1 | bit
	}
	return w
}

// TestNEONQgemmWORDs reads the generated NEON int8 kernels and checks each
// WORD against the instruction its comment names, assembled from the A64
// field layout: SDOT (by element) in qmatmul_arm64.s, SMMLA in
// qmatmul_i8mm_arm64.s. It runs on every machine; the kernels themselves
// run under TestQgemmKernels on arm64 (qemu-aarch64 -cpu max has both
// extensions), and _qgemmgen's tests check the encoders against llvm-mc.
func TestNEONQgemmWORDs(t *testing.T) {
	const (
		// SDOT Vd.4S, Vn.16B, Vm.4B[i]: 0 Q=1 U=0 01111 size=10 L M Rm 1110 H 0 Rn Rd
		sdot = "0100111110" + "LMmmmm" + "1110H0" + "nnnnn" + "ddddd"
		// SMMLA Vd.4S, Vn.16B, Vm.16B: 01001110100 Rm 101001 Rn Rd
		smmla = "01001110100" + "mmmmm" + "101001" + "nnnnn" + "ddddd"
	)
	line := regexp.MustCompile(`WORD \$0x([0-9A-F]{8}) // (SDOT|SMMLA) V(\d+)\.4S, V(\d+)\.16B, V(\d+)\.(?:4B\[(\d)\]|16B)$`)
	for _, f := range []struct {
		file, mnemonic string
		want           int
	}{{"qmatmul_arm64.s", "SDOT", 16 * (4 + 3 + 2 + 1)}, {"qmatmul_i8mm_arm64.s", "SMMLA", 8 * (4 + 3 + 2 + 1)}} {
		src, err := os.ReadFile(f.file)
		require.NoError(t, err)
		n := 0
		for i, text := range strings.Split(string(src), "\n") {
			if !strings.Contains(text, "WORD") || !strings.Contains(text, "// "+f.mnemonic+" ") {
				continue
			}
			g := line.FindStringSubmatch(strings.TrimSpace(text))
			require.NotNil(t, g, "%s:%d: %q is no %s this test reads", f.file, i+1, text, f.mnemonic)
			word, _ := strconv.ParseUint(g[1], 16, 32)
			d, _ := strconv.Atoi(g[3])
			rn, _ := strconv.Atoi(g[4])
			m, _ := strconv.Atoi(g[5])
			var want uint32
			if g[2] == "SDOT" {
				idx, _ := strconv.Atoi(g[6])
				want = a64Word(sdot, map[byte]int{'d': d, 'n': rn, 'm': m & 15, 'M': m >> 4, 'L': idx & 1, 'H': idx >> 1})
			} else {
				want = a64Word(smmla, map[byte]int{'d': d, 'n': rn, 'm': m})
			}
			require.Equal(t, fmt.Sprintf("%#08x", want), fmt.Sprintf("%#08x", word), "%s:%d: %s", f.file, i+1, strings.TrimSpace(text))
			n++
		}
		require.Equal(t, f.want, n, "%s: %s words", f.file, f.mnemonic)
	}
}
