package dist

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestCategoricalSample checks sampling frequencies against softmax
// probabilities: 200k draws give a standard error below 0.0012, so 0.005
// is over 4 standard errors.
func TestCategoricalSample(t *testing.T) {
	logits := []float64{0.5, -1, 2, 0}
	rng := rand.New(rand.NewPCG(11, 12))
	counts := make([]float64, 4)
	a := []float64{0}
	const n = 200000
	for i := 0; i < n; i++ {
		Categorical{}.Sample(logits, rng, a)
		counts[int(a[0])]++
	}
	for i := range logits {
		want := math.Exp(Categorical{}.LogProb(logits, []float64{float64(i)}))
		if math.Abs(counts[i]/n-want) > 0.005 {
			t.Errorf("action %d frequency %v, want %v", i, counts[i]/n, want)
		}
	}
	Categorical{}.Mode(logits, a)
	if a[0] != 2 {
		t.Errorf("mode = %v, want 2", a[0])
	}
}

// TestGaussianLogProb checks against the closed form for one dimension:
// N(1 | 0, e^{0.5}) has log density -½e^{-1} - 0.5 - ½log 2π.
func TestGaussianLogProb(t *testing.T) {
	d := DiagGaussian{LogStd: []float64{0.5}}
	got := d.LogProb([]float64{0}, []float64{1})
	want := -0.5*math.Exp(-1) - 0.5 - 0.5*math.Log(2*math.Pi)
	if math.Abs(got-want) > 1e-15 {
		t.Errorf("logp = %v, want %v", got, want)
	}
	if h := d.Entropy(nil); math.Abs(h-(0.5+0.5*math.Log(2*math.Pi*math.E))) > 1e-15 {
		t.Errorf("entropy = %v", h)
	}
}
