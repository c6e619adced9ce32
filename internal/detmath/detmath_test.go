package detmath

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"testing"
)

// An input on which math.Exp's two amd64 paths differ in the last bit:
// with FMA it gives expFMA, without expPlain (both read off math.Exp on an
// FMA CPU, the second under GODEBUG=cpu.fma=off).
const (
	expProbe = 0x4017d2fdfb47af48 // 5.9560470246…
	expFMA   = 0x4078214b73f92b4d
	expPlain = 0x4078214b73f92b4c
)

// stdlibIsFMA skips a test that compares with the standard library unless
// math.Exp takes the FMA path here, the path Exp reproduces.
func stdlibIsFMA(t *testing.T) {
	t.Helper()
	if stdlibFused {
		t.Skip("built with GOAMD64=v3: the compiler fuses multiply-adds inside the standard library")
	}
	switch b := math.Float64bits(math.Exp(math.Float64frombits(expProbe))); b {
	case expFMA:
	case expPlain:
		t.Skip("math.Exp takes its non-FMA path on this CPU (or under GODEBUG=cpu.fma=off)")
	default:
		t.Skipf("math.Exp is neither amd64 path here (%#x)", b)
	}
}

// expInputs are special values, the edges of Exp's ranges with their
// neighbours, and seeded random inputs spread over every range.
func expInputs() []float64 {
	xs := []float64{0, math.Copysign(0, -1), 1, -1, 0.5, math.Inf(1), math.Inf(-1), math.NaN(),
		math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64, 1e-300, -1e-300, 0x1p-1022,
		709.782712893384, 709.7827128933841, 709.78, 709.5, 709.436, 709.437, 709.0, 710, 1e10, math.MaxFloat64,
		-708.3964185322641, -708.4, -709, -744.4400719213812, -745.1332191019411, -745.1332191019412, -746,
		-1075 * math.Ln2, -1076 * math.Ln2, -1e9, -1.5e9, -1.4885e9, -3e9, -1e300, -math.MaxFloat64,
		math.Float64frombits(expProbe)}
	for _, x := range xs[:len(xs)] {
		if !math.IsInf(x, 0) && !math.IsNaN(x) {
			xs = append(xs, math.Nextafter(x, math.Inf(1)), math.Nextafter(x, math.Inf(-1)))
		}
	}
	// Halfway points of k = round(x/ln2), where the reduction switches k.
	for k := -1080; k <= 1030; k++ {
		h := (float64(k) + 0.5) * math.Ln2
		xs = append(xs, h, math.Nextafter(h, 0), math.Nextafter(h, math.Inf(1)))
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for range 300000 {
		xs = append(xs,
			float64(rng.Float64()*1500)-770,    // the whole finite range and beyond
			NormFloat64(rng),                   // near 0, where training lives
			NormFloat64(rng)*1e-8,              // tiny arguments
			float64(rng.Float64()*30)-745.2,    // subnormal results
			math.Float64frombits(rng.Uint64()), // any bits
		)
	}
	return xs
}

func sameBits(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || math.IsNaN(a) && math.IsNaN(b)
}

func TestExpMatchesStdlib(t *testing.T) {
	stdlibIsFMA(t)
	bad := 0
	for _, x := range expInputs() {
		if got, want := Exp(x), math.Exp(x); !sameBits(got, want) {
			if bad++; bad <= 5 {
				t.Errorf("Exp(%v [%#x]) = %v [%#x], math.Exp %v [%#x]", x, math.Float64bits(x), got, math.Float64bits(got), want, math.Float64bits(want))
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d inputs differ", bad)
	}
}

func TestTanhMatchesStdlib(t *testing.T) {
	stdlibIsFMA(t)
	xs := []float64{0, math.Copysign(0, -1), 0.625, -0.625, math.Nextafter(0.625, 0), 44.014845965556525, 44.02, -44.02, 1e-300, math.Inf(1), math.Inf(-1), math.NaN()}
	rng := rand.New(rand.NewPCG(13, 14))
	for range 300000 {
		xs = append(xs, NormFloat64(rng)*3, NormFloat64(rng)*0.3, float64(rng.Float64()*100)-50)
	}
	for _, x := range xs {
		if got, want := Tanh(x), math.Tanh(x); !sameBits(got, want) {
			t.Fatalf("Tanh(%v) = %v, math.Tanh %v", x, got, want)
		}
	}
}

// TestNormFloat64MatchesStdlib: the same source gives the same draws, so
// the strips, the wedges (about 1 draw in 100) and the tail (about 1 in
// 4000) all agree, and the tables equal the standard library's.
func TestNormFloat64MatchesStdlib(t *testing.T) {
	stdlibIsFMA(t)
	a, b := rand.New(rand.NewPCG(15, 16)), rand.New(rand.NewPCG(15, 16))
	for i := range 2000000 {
		if got, want := NormFloat64(a), b.NormFloat64(); !sameBits(got, want) {
			t.Fatalf("draw %d: NormFloat64 %v, stdlib %v", i, got, want)
		}
	}
}

// TestGolden holds values of math.Exp and math.Tanh read on an amd64 CPU
// with FMA (go1.26), so a CPU without FMA, or another architecture, is
// checked too. The first Exp row is expProbe, where the stdlib paths differ.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		f       func(float64) float64
		name    string
		x, want uint64
	}{
		{Exp, "Exp", expProbe, expFMA},
		{Exp, "Exp", 0x3ff0000000000000, 0x4005bf0a8b145769},
		{Exp, "Exp", 0xc0874910d52d3051, 0x1},                  // -745.1332191019411: the smallest subnormal
		{Exp, "Exp", 0x40862c0000000000, 0x7ff0000000000000},   // 709.5: +Inf, as on amd64, though e^709.5 < MaxFloat64
		{Exp, "Exp", 0xbfe0000000000000, 0x3fe368b2fc6f960a},   // -0.5
		{Tanh, "Tanh", 0x3fe4000000000000, 0x3fe1bf47eabb8f96}, // 0.625
		{Tanh, "Tanh", 0xbfc999999999999a, 0xbfc9439830b3a590}, // -0.2
		{Tanh, "Tanh", 0x4008000000000000, 0x3fefd77d111a0b00}, // 3
	} {
		if got := tc.f(math.Float64frombits(tc.x)); math.Float64bits(got) != tc.want {
			t.Errorf("%s(%v) = %#x, want %#x", tc.name, math.Float64frombits(tc.x), math.Float64bits(got), tc.want)
		}
	}
}

func ExampleExp() {
	fmt.Println(Exp(1), Exp(-745.2), Exp(math.Inf(-1)))
	// Output: 2.718281828459045 0 0
}

// TestDigest extends TestGolden to every input of expInputs and 10^5
// normal draws: an FNV-1a digest of the result bits, recorded on an amd64
// CPU with FMA where the comparisons with the standard library pass. On a
// CPU without FMA (or under GODEBUG=cpu.fma=off) math.FMA runs in software,
// and this is the test that shows it gives the same bits.
func TestDigest(t *testing.T) {
	const want = 0x542412045bcd355c
	h := fnv.New64a()
	var buf [8]byte
	put := func(v float64) {
		if math.IsNaN(v) {
			v = math.NaN() // payloads are not part of the contract
		}
		binary.LittleEndian.PutUint64(buf[:], math.Float64bits(v))
		h.Write(buf[:])
	}
	for _, x := range expInputs() {
		put(Exp(x))
		put(Tanh(x))
	}
	rng := rand.New(rand.NewPCG(17, 18))
	for range 100000 {
		put(NormFloat64(rng))
	}
	if got := h.Sum64(); got != want {
		t.Errorf("digest %#x, want %#x", got, uint64(want))
	}
}
