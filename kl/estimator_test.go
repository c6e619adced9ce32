package kl

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestParse(t *testing.T) {
	for _, d := range []Direction{OldNew, NewOld} {
		got, err := ParseDirection(d.String())
		if err != nil || got != d {
			t.Errorf("ParseDirection(%q) = %v, %v", d.String(), got, err)
		}
	}
	for _, e := range []Estimator{Exact, K1, K2, K3} {
		got, err := ParseEstimator(e.String())
		if err != nil || got != e {
			t.Errorf("ParseEstimator(%q) = %v, %v", e.String(), got, err)
		}
	}
	if OldNew.String() != "old_new" || NewOld.String() != "new_old" || K3.String() != "k3" {
		t.Error("unexpected spellings")
	}
	for _, s := range []string{"", "oldnew", "OLD_NEW", "kl"} {
		if _, err := ParseDirection(s); err == nil {
			t.Errorf("ParseDirection(%q) accepted", s)
		}
	}
	for _, s := range []string{"", "k4", "K1", "approx"} {
		if _, err := ParseEstimator(s); err == nil {
			t.Errorf("ParseEstimator(%q) accepted", s)
		}
	}
}

// TestEstimatorExpectation takes the exact expectation of each estimator
// over a ~ pi_old for categorical policies, with no sampling: unbiased
// estimators must reproduce the closed-form KL to rounding.
func TestEstimatorExpectation(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := 0; trial < 50; trial++ {
		k := 2 + rng.IntN(6)
		oldL, newL := randLogits(rng, k, 1), randLogits(rng, k, 1)
		lo, ln := LogSoftmax(nil, oldL), LogSoftmax(nil, newL)
		var mean [2][4]float64 // [dir][estimator]
		var newK2 float64      // E_new[½ logr²]
		for a := range lo {
			po, logr := math.Exp(lo[a]), ln[a]-lo[a]
			for _, d := range []Direction{OldNew, NewOld} {
				for _, e := range []Estimator{K1, K2, K3} {
					mean[d][e] += po * EstimateDir(e, d, logr)
				}
			}
			newK2 += math.Exp(ln[a]) * 0.5 * logr * logr
		}
		on, no := CategoricalLogits(oldL, newL), CategoricalLogits(newL, oldL)
		for _, c := range []struct {
			name      string
			got, want float64
		}{
			{"E[k1] old_new", mean[OldNew][K1], on},
			{"E[k3] old_new", mean[OldNew][K3], on},
			{"E[k1] new_old", mean[NewOld][K1], no},
			{"E[k3] new_old", mean[NewOld][K3], no},
			{"E[k2] new_old = E_new[½ logr²]", mean[NewOld][K2], newK2},
		} {
			if math.Abs(c.got-c.want) > 1e-12*math.Max(1, c.want) {
				t.Errorf("trial %d: %s = %.17g, want %.17g", trial, c.name, c.got, c.want)
			}
		}
		// k2 is biased: for these random (not close) policies the bias is
		// far above rounding.
		if math.Abs(mean[OldNew][K2]-on) < 1e-6 {
			t.Errorf("trial %d: E[k2] = %v equals KL %v", trial, mean[OldNew][K2], on)
		}
	}
	// Estimate is EstimateDir in the PPO direction.
	for _, lr := range []float64{-3, -0.2, 0, 1e-7, 0.4, 2} {
		for _, e := range []Estimator{K1, K2, K3} {
			if Estimate(e, lr) != EstimateDir(e, OldNew, lr) {
				t.Errorf("Estimate(%v, %v) differs from EstimateDir old_new", e, lr)
			}
		}
	}
}

func TestEstimatorPointwise(t *testing.T) {
	// Hand-worked at logr = log 2 (r = 2): k1 = -log 2, k2 = ½ log² 2,
	// k3 = 1 - log 2; new_old: k1 = 2 log 2, k2 = log² 2, k3 = 2 log 2 - 1.
	l := math.Ln2
	for _, c := range []struct {
		e    Estimator
		d    Direction
		want float64
	}{
		{K1, OldNew, -l}, {K2, OldNew, 0.5 * l * l}, {K3, OldNew, 1 - l},
		{K1, NewOld, 2 * l}, {K2, NewOld, l * l}, {K3, NewOld, 2*l - 1},
	} {
		if got := EstimateDir(c.e, c.d, l); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("%v %v at log 2 = %.17g, want %.17g", c.e, c.d, got, c.want)
		}
	}
	// k3 near logr = 0, against Python's decimal (60 digits) on the float64
	// input: (r-1) - logr and r logr - (r-1). The naive forms lose every
	// digit at 1e-12.
	for _, c := range []struct{ x, on, no float64 }{
		{1e-12, 5.0000000000016664e-25, 5.0000000000033332e-25},
		{-3e-9, 4.4999999954999999e-18, 4.4999999909999999e-18},
		{1e-05, 5.0000166667083341e-11, 5.0000333334583346e-11},
		{-0.0025, 3.122397460124037e-06, 3.1197965462256531e-06},
		{0.3, 0.049858807576003097, 0.05509883469679782},
		{-0.45, 0.087628151621773301, 0.075439180148428722},
		{0.7, 0.31375270747047646, 0.39587418775885697},
		{-2.0, 1.1353352832366126, 0.59399415029016189},
		{5.0, 142.4131591025766, 594.6526364103064},
	} {
		if got := EstimateDir(K3, OldNew, c.x); relErr(got, c.on) > 4e-16 {
			t.Errorf("k3 old_new(%v) = %.17g, want %.17g", c.x, got, c.on)
		}
		if got := EstimateDir(K3, NewOld, c.x); relErr(got, c.no) > 1e-15 {
			t.Errorf("k3 new_old(%v) = %.17g, want %.17g", c.x, got, c.no)
		}
	}
	// k2 and k3 are non-negative everywhere; new_old k3 tends to 1 as
	// r → 0 rather than to NaN.
	for x := -50.0; x <= 50; x += 0.37 {
		for _, d := range []Direction{OldNew, NewOld} {
			if EstimateDir(K2, d, x) < 0 || EstimateDir(K3, d, x) < 0 {
				t.Fatalf("negative k2/k3 at logr %v, %v", x, d)
			}
		}
	}
	if got := EstimateDir(K3, NewOld, -800); got != 1 {
		t.Errorf("k3 new_old(-800) = %v, want 1", got)
	}
}

// TestEstimatorMonteCarlo samples actions from pi_old with a seeded PCG and
// checks the sample means of k1 and k3 against the exact KL within 4
// standard errors, and that k2's bias is larger than that. The run is
// deterministic, so the tolerance cannot flake; 4 SE is what a correct
// unbiased estimator passes for all but ~6e-5 of seeds.
func TestEstimatorMonteCarlo(t *testing.T) {
	const n = 200000
	type dist struct {
		name   string
		sample func(rng *rand.Rand) (logr float64)
		on, no float64 // KL(old||new), KL(new||old)
	}
	oldL, newL := []float64{0.5, -0.3, 1.2, 0}, []float64{0.1, 0.4, 0.6, -0.5}
	lo, ln := LogSoftmax(nil, oldL), LogSoftmax(nil, newL)
	cat := func(rng *rand.Rand) float64 {
		u := rng.Float64()
		for a, l := range lo {
			u -= math.Exp(l)
			if u < 0 || a == len(lo)-1 {
				return ln[a] - lo[a]
			}
		}
		panic("unreachable")
	}
	oldPDF, newPDF := NormalPDF(0, 1), NormalPDF(0.3, 0.8)
	normal := func(rng *rand.Rand) float64 {
		x := rng.NormFloat64()
		return math.Log(newPDF(x)) - math.Log(oldPDF(x))
	}
	for _, c := range []dist{
		{"categorical", cat, CategoricalLogits(oldL, newL), CategoricalLogits(newL, oldL)},
		{"normal", normal, Normal(0, 1, 0.3, 0.8), Normal(0.3, 0.8, 0, 1)},
	} {
		rng := rand.New(rand.NewPCG(7, 8))
		var sum, sq [2][4]float64
		for i := 0; i < n; i++ {
			logr := c.sample(rng)
			for _, d := range []Direction{OldNew, NewOld} {
				for _, e := range []Estimator{K1, K2, K3} {
					v := EstimateDir(e, d, logr)
					sum[d][e] += v
					sq[d][e] += v * v
				}
			}
		}
		stats := func(d Direction, e Estimator) (mean, se, sd float64) {
			mean = sum[d][e] / n
			v := sq[d][e]/n - mean*mean
			return mean, math.Sqrt(v / n), math.Sqrt(v)
		}
		for _, d := range []Direction{OldNew, NewOld} {
			want := c.on
			if d == NewOld {
				want = c.no
			}
			for _, e := range []Estimator{K1, K3} {
				m, se, _ := stats(d, e)
				if math.Abs(m-want) > 4*se {
					t.Errorf("%s %v %v: mean %.6g, KL %.6g, |diff| > 4 SE = %.2g", c.name, d, e, m, want, 4*se)
				}
			}
			m, se, _ := stats(d, K2)
			if math.Abs(m-want) < 4*se {
				t.Errorf("%s %v k2: mean %.6g within 4 SE (%.2g) of KL %.6g; expected visible bias", c.name, d, m, 4*se, want)
			}
		}
		// For these fairly close policies k3 has lower spread than k1.
		_, _, sd1 := stats(OldNew, K1)
		_, _, sd3 := stats(OldNew, K3)
		if !(sd3 < sd1) {
			t.Errorf("%s: sd(k3) = %v not below sd(k1) = %v", c.name, sd3, sd1)
		}
	}
}
