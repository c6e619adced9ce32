package kl

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// golden is testdata/kl.json, copied from shared/golden: reference values
// computed with scipy 1.10.1 (see shared/golden/README.md).
type golden struct {
	Cases struct {
		Categorical []struct {
			PLogits  []float64 `json:"p_logits"`
			QLogits  []float64 `json:"q_logits"`
			KLPQ     float64   `json:"kl_pq"`
			KLQP     float64   `json:"kl_qp"`
			EntropyP float64   `json:"entropy_p"`
		} `json:"categorical"`
		DiagGaussian []struct {
			PMean    []float64 `json:"p_mean"`
			PStd     []float64 `json:"p_std"`
			QMean    []float64 `json:"q_mean"`
			QStd     []float64 `json:"q_std"`
			KLPQ     float64   `json:"kl_pq"`
			EntropyP float64   `json:"entropy_p"`
		} `json:"diag_gaussian"`
		Seed struct {
			P, Q struct{ Mean, Std float64 }
			Grid struct {
				Start, Stop float64
				Num         int
			}
			GridSum       float64 `json:"grid_sum_kl_div"`
			GridSumTimesD float64 `json:"grid_sum_times_dx"`
			ClosedForm    float64 `json:"closed_form"`
		} `json:"seed_example"`
	} `json:"cases"`
}

func loadGolden(t *testing.T) golden {
	t.Helper()
	b, err := os.ReadFile("testdata/kl.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Cases.Categorical) == 0 || len(g.Cases.DiagGaussian) == 0 || g.Cases.Seed.Grid.Num == 0 {
		t.Fatal("testdata/kl.json: missing cases")
	}
	return g
}

// goldenTol is the acceptance tolerance against scipy: 1e-9
// relative. Both sides are double precision, so agreement is expected to
// ~1e-15; 1e-9 leaves room for scipy's different summation order.
const goldenTol = 1e-9

func relErr(got, want float64) float64 {
	if got == want {
		return 0
	}
	return math.Abs(got-want) / math.Max(math.Abs(want), math.SmallestNonzeroFloat64)
}

func softmax(logits []float64) []float64 {
	p := LogSoftmax(nil, logits)
	for i, v := range p {
		p[i] = math.Exp(v)
	}
	return p
}

func TestCategoricalGolden(t *testing.T) {
	g := loadGolden(t)
	for i, c := range g.Cases.Categorical {
		p, q := softmax(c.PLogits), softmax(c.QLogits)
		for _, chk := range []struct {
			name      string
			got, want float64
		}{
			{"CategoricalLogits(p,q)", CategoricalLogits(c.PLogits, c.QLogits), c.KLPQ},
			{"CategoricalLogits(q,p)", CategoricalLogits(c.QLogits, c.PLogits), c.KLQP},
			{"CategoricalProbs(p,q)", CategoricalProbs(p, q), c.KLPQ},
			{"CategoricalProbs(q,p)", CategoricalProbs(q, p), c.KLQP},
			{"CategoricalEntropyLogits(p)", CategoricalEntropyLogits(c.PLogits), c.EntropyP},
			{"CategoricalEntropy(p)", CategoricalEntropy(p), c.EntropyP},
		} {
			if e := relErr(chk.got, chk.want); !(e <= goldenTol) {
				t.Errorf("case %d: %s = %.17g, scipy %.17g (rel err %.2g)", i, chk.name, chk.got, chk.want, e)
			}
		}
	}
}

func TestDiagGaussianGolden(t *testing.T) {
	g := loadGolden(t)
	for i, c := range g.Cases.DiagGaussian {
		if got := DiagGaussian(c.PMean, c.PStd, c.QMean, c.QStd); !(relErr(got, c.KLPQ) <= goldenTol) {
			t.Errorf("case %d: DiagGaussian = %.17g, scipy %.17g", i, got, c.KLPQ)
		}
		if got := DiagGaussianEntropy(c.PStd); !(relErr(got, c.EntropyP) <= goldenTol) {
			t.Errorf("case %d: DiagGaussianEntropy = %.17g, scipy %.17g", i, got, c.EntropyP)
		}
		// The per-dimension sum through Normal is the same computation.
		var s float64
		for j := range c.PMean {
			s += Normal(c.PMean[j], c.PStd[j], c.QMean[j], c.QStd[j])
		}
		if !(relErr(s, c.KLPQ) <= goldenTol) {
			t.Errorf("case %d: Σ Normal = %.17g, scipy %.17g", i, s, c.KLPQ)
		}
	}
}

func TestSeedExample(t *testing.T) {
	s := loadGolden(t).Cases.Seed
	p, q := NormalPDF(s.P.Mean, s.P.Std), NormalPDF(s.Q.Mean, s.Q.Std)
	lo, hi, n := s.Grid.Start, s.Grid.Stop, s.Grid.Num
	dx := (hi - lo) / float64(n-1)

	sum := GridSum(p, q, lo, hi, n)
	if e := relErr(sum, s.GridSum); !(e <= goldenTol) {
		t.Errorf("GridSum = %.17g, scipy %.17g (rel err %.2g)", sum, s.GridSum, e)
	}
	if e := relErr(sum*dx, s.GridSumTimesD); !(e <= goldenTol) {
		t.Errorf("GridSum·dx = %.17g, scipy %.17g (rel err %.2g)", sum*dx, s.GridSumTimesD, e)
	}
	closed := Normal(s.P.Mean, s.P.Std, s.Q.Mean, s.Q.Std)
	if e := relErr(closed, s.ClosedForm); !(e <= 1e-15) {
		t.Errorf("Normal = %.17g, closed form %.17g", closed, s.ClosedForm)
	}
	// The trapezoid rule is spectrally accurate here: the integrand is
	// smooth and below 1e-20 at ±10 (p(±10) ≈ 7.7e-23), so the only error is
	// rounding, ~1e-16 per term.
	integral := GridIntegral(p, q, lo, hi, n)
	if e := relErr(integral, s.ClosedForm); !(e <= goldenTol) {
		t.Errorf("GridIntegral = %.17g, closed form %.17g (rel err %.2g)", integral, s.ClosedForm, e)
	}
	// The raw sum is a sum of pointwise terms, not a KL: it is 50 times
	// the KL here and scales with the number of points.
	if sum < 40*closed {
		t.Errorf("GridSum = %v, expected it far from the KL %v", sum, closed)
	}
	if s2 := GridSum(p, q, lo, hi, 2*n-1); math.Abs(s2/sum-2) > 1e-3 {
		t.Errorf("GridSum with twice the points = %v, want about twice %v", s2, sum)
	}
	if i2 := GridIntegral(p, q, lo, hi, 2*n-1); !(relErr(i2, closed) <= goldenTol) {
		t.Errorf("GridIntegral with twice the points = %.17g, want %.17g", i2, closed)
	}
}
