package kl

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randLogits(rng *rand.Rand, k int, scale float64) []float64 {
	x := make([]float64, k)
	for i := range x {
		x[i] = scale * rng.NormFloat64()
	}
	return x
}

func TestCategoricalProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	asymmetric := 0
	for trial := 0; trial < 500; trial++ {
		k := 2 + rng.IntN(9)
		scale := []float64{0.1, 1, 5, 50}[trial%4]
		pl, ql := randLogits(rng, k, scale), randLogits(rng, k, scale)
		if got := CategoricalLogits(pl, pl); got != 0 {
			t.Fatalf("KL(p,p) = %v, want exactly 0 (logits %v)", got, pl)
		}
		p := softmax(pl)
		if got := CategoricalProbs(p, p); got != 0 {
			t.Fatalf("KL(p,p) from probabilities = %v, want exactly 0", got)
		}
		pq, qp := CategoricalLogits(pl, ql), CategoricalLogits(ql, pl)
		// Gibbs' inequality; a computed value may dip below 0 by rounding
		// only, ~1e-16 of the terms' size.
		if pq < -1e-15 || qp < -1e-15 {
			t.Fatalf("negative KL: %v, %v for %v, %v", pq, qp, pl, ql)
		}
		if math.Abs(pq-qp) > 1e-6*(pq+qp) {
			asymmetric++
		}
		// Shifting logits does not change the distribution.
		shifted := make([]float64, k)
		for i := range pl {
			shifted[i] = pl[i] + 123.25
		}
		if got := CategoricalLogits(shifted, ql); math.Abs(got-pq) > 1e-12*math.Max(1, pq) {
			t.Fatalf("shift changed KL: %v vs %v", got, pq)
		}
		h := CategoricalEntropyLogits(pl)
		if h < -1e-15 || h > math.Log(float64(k))+1e-12 {
			t.Fatalf("entropy %v outside [0, log %d]", h, k)
		}
		// Cross-entropy decomposition: KL(P||Q) = H(P,Q) - H(P).
		lq := LogSoftmax(nil, ql)
		var cross float64
		for i := range p {
			cross -= p[i] * lq[i]
		}
		if math.Abs(cross-h-pq) > 1e-9*math.Max(1, cross) {
			t.Fatalf("H(P,Q) - H(P) = %v, KL = %v", cross-h, pq)
		}
	}
	// Random pairs are asymmetric almost always; a symmetric
	// implementation (say, averaging both directions) fails here.
	if asymmetric < 490 {
		t.Errorf("KL(p,q) ≈ KL(q,p) in %d of 500 random pairs", 500-asymmetric)
	}
}

func TestCategoricalHandWorked(t *testing.T) {
	for _, c := range []struct {
		name string
		p, q []float64
		want float64
	}{
		// Σ p log(p/q) = ½ log(½/¼) + ½ log(½/½) + 0 = ½ log 2
		{"hand", []float64{0.5, 0.5, 0}, []float64{0.25, 0.5, 0.25}, 0.5 * math.Log(2)},
		// 0·log 0 = 0: a zero in p contributes nothing even where q is 0.
		{"zero in both", []float64{1, 0}, []float64{1, 0}, 0},
		{"p zero", []float64{0, 1}, []float64{0.5, 0.5}, math.Log(2)},
		// q = 0 where p > 0: infinite.
		{"q zero", []float64{0.5, 0.5}, []float64{1, 0}, math.Inf(1)},
		// Unnormalised inputs are normalised as scipy does.
		{"counts", []float64{2, 2}, []float64{1, 3}, 0.5*math.Log(2) + 0.5*math.Log(2.0/3)},
	} {
		got := CategoricalProbs(c.p, c.q)
		if !(got == c.want || math.Abs(got-c.want) <= 1e-15*math.Abs(c.want)) {
			t.Errorf("%s: CategoricalProbs = %v, want %v", c.name, got, c.want)
		}
	}
	// The same through logits, with -Inf for impossible actions.
	ninf := math.Inf(-1)
	if got := CategoricalLogits([]float64{ninf, 0}, []float64{0, 0}); got != math.Log(2) {
		t.Errorf("masked p: %v, want log 2", got)
	}
	if got := CategoricalLogits([]float64{0, 0}, []float64{0, ninf}); !math.IsInf(got, 1) {
		t.Errorf("masked q: %v, want +Inf", got)
	}
	if got := CategoricalEntropy([]float64{0.25, 0.25, 0.25, 0.25, 0}); math.Abs(got-math.Log(4)) > 1e-15 {
		t.Errorf("uniform entropy = %v, want log 4", got)
	}
	for _, bad := range [][]float64{{0.5, -0.1, 0.6}, {math.NaN(), 1}, {0, 0}} {
		if got := CategoricalProbs(bad, []float64{0.3, 0.3, 0.4}[:len(bad)]); !math.IsNaN(got) {
			t.Errorf("CategoricalProbs(%v) = %v, want NaN", bad, got)
		}
		if got := CategoricalEntropy(bad); !math.IsNaN(got) {
			t.Errorf("CategoricalEntropy(%v) = %v, want NaN", bad, got)
		}
	}
}

func TestLogSoftmaxExtreme(t *testing.T) {
	// Logits of magnitude 1000 overflow exp; after the shift they do not.
	// Hand-worked: logp = x - max - log(1 + e^{-1000} + e^{-2000}) = x - 1000.
	got := LogSoftmax(nil, []float64{1000, 0, -1000})
	want := []float64{0, -1000, -2000}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("LogSoftmax[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	// The shared pieces: m is the maximum exactly, and e^{-1000} underflows
	// to 0 in the sum, which is then exactly 1.
	if m, s := ShiftedExpSum([]float64{1000, 0, -1000}); m != 1000 || s != 1 {
		t.Errorf("ShiftedExpSum = %v, %v, want 1000, 1", m, s)
	}
	if m, s := ShiftedExpSum([]float64{math.NaN(), 0}); !math.IsNaN(m) || !math.IsNaN(s) {
		t.Errorf("ShiftedExpSum with NaN = %v, %v, want NaN, NaN", m, s)
	}
	// KL between near-one-hot distributions: p = e0, log q0 = -2000.
	if kl := CategoricalLogits([]float64{1000, 0, -1000}, []float64{-1000, 0, 1000}); kl != 2000 {
		t.Errorf("extreme KL = %v, want 2000", kl)
	}
	// In place, and with two equal maxima: log ½ each.
	x := []float64{1000, 1000}
	LogSoftmax(x, x)
	if x[0] != -math.Ln2 || x[1] != -math.Ln2 {
		t.Errorf("in-place tie: %v, want [-ln2 -ln2]", x)
	}
	for _, bad := range [][]float64{{math.Inf(1), 0}, {math.NaN(), 0}, {math.Inf(-1), math.Inf(-1)}} {
		if got := LogSoftmax(nil, bad); !math.IsNaN(got[0]) {
			t.Errorf("LogSoftmax(%v) = %v, want NaN", bad, got)
		}
	}
}

func TestPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"CategoricalLogits mismatch": func() { CategoricalLogits([]float64{1, 2}, []float64{1}) },
		"CategoricalProbs mismatch":  func() { CategoricalProbs([]float64{1, 2}, []float64{1}) },
		"CategoricalLogits empty":    func() { CategoricalLogits(nil, nil) },
		"LogSoftmax dst":             func() { LogSoftmax(make([]float64, 1), []float64{1, 2}) },
		"DiagGaussian mismatch":      func() { DiagGaussian([]float64{0}, []float64{1}, []float64{0, 1}, []float64{1}) },
		"GridSum n":                  func() { GridSum(NormalPDF(0, 1), NormalPDF(0, 1), 0, 1, 1) },
		"GridIntegral order":         func() { GridIntegral(NormalPDF(0, 1), NormalPDF(0, 1), 1, 0, 10) },
		"Estimate Exact":             func() { Estimate(Exact, 0.1) },
		"EstimateDir bad dir":        func() { EstimateDir(K1, Direction(7), 0.1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func TestNormalProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 500; trial++ {
		m1, m2 := 3*rng.NormFloat64(), 3*rng.NormFloat64()
		s1, s2 := math.Exp(rng.NormFloat64()), math.Exp(rng.NormFloat64())
		if got := Normal(m1, s1, m1, s1); got != 0 {
			t.Fatalf("KL(p,p) = %v, want exactly 0", got)
		}
		pq, qp := Normal(m1, s1, m2, s2), Normal(m2, s2, m1, s1)
		if pq < 0 || qp < 0 {
			t.Fatalf("negative KL %v %v", pq, qp)
		}
		// The closed form, written out naively; agrees away from p ≈ q.
		naive := math.Log(s2/s1) + (s1*s1+(m1-m2)*(m1-m2))/(2*s2*s2) - 0.5
		if math.Abs(pq-naive) > 1e-12*math.Max(1, pq) {
			t.Fatalf("Normal = %v, naive %v", pq, naive)
		}
		// Equal variances make the KL symmetric; different ones do not.
		if a, b := Normal(m1, s1, m2, s1), Normal(m2, s1, m1, s1); math.Abs(a-b) > 1e-15*a {
			t.Fatalf("equal-variance KL not symmetric: %v %v", a, b)
		}
	}
	if Normal(0, 1, 0, 2) == Normal(0, 2, 0, 1) {
		t.Error("KL(N(0,1)||N(0,2)) == KL(N(0,2)||N(0,1))")
	}
	// Nearly equal distributions: reference from Python's decimal at 60
	// digits on the exact float64 inputs. The naive form gives 0 or noise
	// of order 1e-16 here.
	for _, c := range []struct{ m1, s1, want float64 }{
		{0, 1 + 1e-9, 1.0000001651474154e-18},
		{0.1, 1 + 1e-9, 0.0050000000000000018},
	} {
		if got := Normal(c.m1, c.s1, 0, 1); relErr(got, c.want) > 1e-14 {
			t.Errorf("Normal(%v, %v, 0, 1) = %.17g, want %.17g", c.m1, c.s1, got, c.want)
		}
	}
	for _, s := range []float64{0, -1, math.NaN()} {
		if !math.IsNaN(Normal(0, s, 0, 1)) || !math.IsNaN(Normal(0, 1, 0, s)) {
			t.Errorf("Normal with std %v not NaN", s)
		}
	}
	// Hand-worked: H(N(0,1)) = ½ log(2πe); scaling σ adds log σ.
	if got, want := NormalEntropy(1), 0.5*math.Log(2*math.Pi*math.E); math.Abs(got-want) > 1e-15 {
		t.Errorf("NormalEntropy(1) = %v, want %v", got, want)
	}
	if got, want := NormalEntropy(3), NormalEntropy(1)+math.Log(3); math.Abs(got-want) > 1e-15 {
		t.Errorf("NormalEntropy(3) = %v, want %v", got, want)
	}
	if got := DiagGaussianEntropy([]float64{1, 3}); math.Abs(got-NormalEntropy(1)-NormalEntropy(3)) > 1e-15 {
		t.Errorf("DiagGaussianEntropy not a sum: %v", got)
	}
}

func TestExpm1mx(t *testing.T) {
	// e^x - 1 - x from Python's decimal at 60 digits on the float64 x.
	for _, c := range []struct{ x, want float64 }{
		{1e-12, 5.0000000000016664e-25},
		{-3e-9, 4.4999999954999999e-18},
		{1e-05, 5.0000166667083341e-11},
		{-0.0025, 3.122397460124037e-06},
		{0.3, 0.049858807576003097},
		{-0.45, 0.087628151621773301},
		{0.7, 0.31375270747047646},
		{-2.0, 1.1353352832366126},
		{5.0, 142.4131591025766},
	} {
		if got := expm1mx(c.x); relErr(got, c.want) > 4e-16 {
			t.Errorf("expm1mx(%v) = %.17g, want %.17g", c.x, got, c.want)
		}
	}
}

func TestGridSmall(t *testing.T) {
	// Hand-worked two-point grid {0, 1} with constant "densities" p = 1,
	// q = 2: each kl_div term is 1·log ½ - 1 + 2 = 1 - log 2; the trapezoid
	// integral of p log(p/q) over [0, 1] is -log 2.
	one := func(float64) float64 { return 1 }
	two := func(float64) float64 { return 2 }
	if got, want := GridSum(one, two, 0, 1, 2), 2*(1-math.Ln2); math.Abs(got-want) > 1e-15 {
		t.Errorf("GridSum = %v, want %v", got, want)
	}
	if got, want := GridIntegral(one, two, 0, 1, 2), -math.Ln2; math.Abs(got-want) > 1e-15 {
		t.Errorf("GridIntegral = %v, want %v", got, want)
	}
	zero := func(float64) float64 { return 0 }
	// kl_div(0, q) = q; rel_entr(0, q) = 0; p > 0 = q gives +Inf.
	if got := GridSum(zero, two, 0, 1, 3); got != 6 {
		t.Errorf("GridSum(p=0) = %v, want 6", got)
	}
	if got := GridIntegral(zero, two, 0, 1, 3); got != 0 {
		t.Errorf("GridIntegral(p=0) = %v, want 0", got)
	}
	if got := GridIntegral(one, zero, 0, 1, 3); !math.IsInf(got, 1) {
		t.Errorf("GridIntegral(q=0) = %v, want +Inf", got)
	}
}
