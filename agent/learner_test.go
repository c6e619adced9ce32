package agent

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"

	"ppo/configs"
	"ppo/dist"
	"ppo/kl"
	"ppo/policy"

	"ppo/internal/fdcheck"
)

// lossCase sets up a loss graph on random inputs.
type lossCase struct {
	p  *policy.Policy
	mb *minibatch
}

// newLossCase sets up a float64 loss graph on random inputs.
func newLossCase(t *testing.T, discrete bool, cfg LossConfig, n int) *lossCase {
	return newLossCaseOf(t, discrete, cfg, n, true, false)
}

// newLossCaseOf sets up a loss graph in float64 or float32 on random
// inputs. With round32 every weight, input and coefficient is first
// rounded to float32, so a float32 case and a float64 case built alike
// hold the same numbers exactly.
func newLossCaseOf(t *testing.T, discrete bool, cfg LossConfig, n int, float64s, round32 bool) *lossCase {
	t.Helper()
	spec := policy.Spec{ObsDim: 3, Discrete: discrete, ActDim: 2, Hidden: []int{5, 4}, Activation: "tanh", Float64: float64s, InitLogStd: -0.3}
	p, err := policy.New(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	round := func(x float64) float64 {
		if round32 {
			return float64(float32(x))
		}
		return x
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, prm := range p.Params() {
		switch d := prm.T.Data().(type) {
		case []float64:
			for i := range d {
				d[i] = round(0.6 * rng.NormFloat64())
			}
		case []float32:
			for i := range d {
				d[i] = float32(0.6 * rng.NormFloat64())
			}
		}
	}
	mb, err := newMinibatch(p, cfg, n, 0.2, policy.Whole)
	if err != nil {
		t.Fatal(err)
	}
	rnd := func(k int, s float64) []float64 {
		v := make([]float64, k)
		for i := range v {
			v[i] = round(s * rng.NormFloat64())
		}
		return v
	}
	mb.set(mb.obs, rnd(n*3, 1))
	if discrete {
		oh := make([]float64, n*2)
		for r := 0; r < n; r++ {
			oh[r*2+rng.IntN(2)] = 1
		}
		mb.set(mb.act, oh)
	} else {
		mb.set(mb.act, rnd(n*2, 1))
		mb.set(mb.old.LogStd, rnd(n*2, 0.3))
		if cfg.Reference {
			mb.set(mb.ref.LogStd, rnd(n*2, 0.3))
		}
	}
	// Old log-probabilities near the current ones, so ratios straddle the clip range.
	mb.set(mb.oldLogp, rnd(n, 0.3))
	mb.set(mb.adv, rnd(n, 1))
	mb.set(mb.ret, rnd(n, 1))
	mb.set(mb.oldV, rnd(n, 0.5))
	mb.set(mb.old.Head, rnd(n*2, 1))
	if cfg.Reference {
		mb.set(mb.ref.Head, rnd(n*2, 1))
	}
	mb.beta, mb.refCoef = round(0.7), round(0.3)
	mb.setScalar(mb.entCoef, round(0.05))
	mb.setScalar(mb.vfCoef, round(0.5))
	return &lossCase{p: p, mb: mb}
}

func (c *lossCase) loss(t *testing.T) float64 {
	t.Helper()
	if err := c.mb.vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	l := scalarOf(c.mb.lossVal)
	c.mb.vm.Reset()
	return l
}

// centralDiff returns the central difference, step h, of the loss in
// each float64 weight, in Policy.Params order.
func (c *lossCase) centralDiff(t *testing.T, h float64) [][]float64 {
	t.Helper()
	var num [][]float64
	for _, prm := range c.p.Params() {
		d := prm.T.Data().([]float64)
		g := make([]float64, len(d))
		for j := range d {
			g[j] = fdcheck.Central(func() float64 { return c.loss(t) }, func(v float64) { d[j] = v }, d[j], h, nil).Num
		}
		num = append(num, g)
	}
	return num
}

// lossCases cover every objective, estimator, direction, value clipping
// and a reference term, on Discrete and Box action spaces.
var lossCases = []struct {
	name     string
	discrete bool
	cfg      LossConfig
}{
	{"klpen-exact-cat", true, LossConfig{Objective: configs.ObjectiveKLPenalty}},
	{"klpen-exact-gauss", false, LossConfig{Objective: configs.ObjectiveKLPenalty}},
	{"klpen-newold-gauss", false, LossConfig{Objective: configs.ObjectiveKLPenalty, Direction: kl.NewOld}},
	{"klpen-k3-cat", true, LossConfig{Objective: configs.ObjectiveKLPenalty, Estimator: kl.K3}},
	{"klpen-k2-newold-cat", true, LossConfig{Objective: configs.ObjectiveKLPenalty, Estimator: kl.K2, Direction: kl.NewOld}},
	{"clip-cat-vclip", true, LossConfig{Objective: configs.ObjectiveClip, ValueClip: 0.2}},
	{"clipkl-gauss-ref", false, LossConfig{Objective: configs.ObjectiveClipKL, Reference: true}},
	{"none-cat-ref", true, LossConfig{Objective: configs.ObjectiveNone, Reference: true, Direction: kl.NewOld, RefDirection: kl.NewOld}},
	{"none-cat-ref-oldnew", true, LossConfig{Objective: configs.ObjectiveNone, Reference: true, Direction: kl.NewOld, RefDirection: kl.OldNew}},
}

// TestLossGradients compares the graph's gradient of the whole PPO loss
// with central differences for every objective, estimator, direction,
// value clipping and a reference term. Step 1e-6 in float64 gives
// truncation error O(h²) and rounding O(ε/h) ≈ 1e-10; kinks of min/max
// (clip) are crossed with probability ~h, so 1e-5 absolute is the bound.
func TestLossGradients(t *testing.T) {
	for _, tc := range lossCases {
		t.Run(tc.name, func(t *testing.T) {
			c := newLossCase(t, tc.discrete, tc.cfg, 6)
			if err := c.mb.vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			var analytic [][]float64
			for _, nd := range c.mb.net.Params {
				g, err := nd.Grad()
				if err != nil {
					t.Fatal(err)
				}
				analytic = append(analytic, append([]float64(nil), g.Data().([]float64)...))
			}
			c.mb.vm.Reset()
			fd := c.centralDiff(t, 1e-6)
			for i, prm := range c.p.Params() {
				for j, num := range fd[i] {
					if math.Abs(num-analytic[i][j]) > 1e-5 {
						t.Errorf("%s[%d]: graph %v, central difference %v", prm.Name, j, analytic[i][j], num)
					}
				}
			}
		})
	}
}

// TestLossGradientsFloat32 is TestLossGradients for float32, the default
// dtype: the float32 graph's value and gradient of the whole loss, for
// every case, against the value and central differences of a float64
// graph holding exactly the same weights, inputs and coefficients (all
// rounded to float32 first). The float64 differences are accurate to
// ~1e-10 (TestLossGradients), so what is measured is float32's rounding in
// the forward and backward passes, including the AVX2 kernels and tanh32.
//
// float32 rounds each operation by u = 2⁻²⁴ ≈ 6e-8 (tanh32 and fused
// multiply-adds to a few u). A gradient entry sums, over the batch and the
// units, products along paths of about 30 roundings (three layers forward
// and back, the loss terms' inputs and outputs), so the worst case is about
// 30·u times the sum of its terms' magnitudes, up to ~300·u·G where terms
// cancel, G being the case's largest gradient magnitude (at least 1). The
// measured errors are at most 2·u·G for the gradient and 3·u for the loss
// (go test -run TestLossGradientsFloat32 -v ./agent logs them). The
// tolerance, 64·u·G (64·u·max(1, |loss|) for the loss), lies between: 30
// times what is measured, so other rounding orders (no FMA, the scalar
// tanh32 path) pass, while a float32-specific error of more than a few
// dozen ulp, or any wrong term, fails. The inputs are fixed, so a ratio
// within float32's rounding of a clip boundary, which would make the two
// graphs take different branches, cannot come and go.
func TestLossGradientsFloat32(t *testing.T) {
	for _, tc := range lossCases {
		t.Run(tc.name, func(t *testing.T) {
			c32 := newLossCaseOf(t, tc.discrete, tc.cfg, 6, false, true)
			c64 := newLossCaseOf(t, tc.discrete, tc.cfg, 6, true, true)
			for i, prm := range c32.p.Params() {
				d32, d64 := prm.T.Data().([]float32), c64.p.Params()[i].T.Data().([]float64)
				for j := range d32 {
					if float64(d32[j]) != d64[j] {
						t.Fatalf("%s[%d]: float32 weight %v, float64 twin %v", prm.Name, j, d32[j], d64[j])
					}
				}
			}
			if err := c32.mb.vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			l32 := scalarOf(c32.mb.lossVal)
			var analytic [][]float64
			scale := 1.0
			for _, nd := range c32.mb.net.Params {
				g, err := nd.Grad()
				if err != nil {
					t.Fatal(err)
				}
				var a []float64
				for _, v := range g.Data().([]float32) {
					a = append(a, float64(v))
					scale = math.Max(scale, math.Abs(float64(v)))
				}
				analytic = append(analytic, a)
			}
			c32.mb.vm.Reset()
			const tol = 64 * 0x1p-24
			l64 := c64.loss(t)
			lossErr := math.Abs(l32-l64) / math.Max(1, math.Abs(l64))
			if lossErr > tol {
				t.Errorf("float32 loss %v, float64 loss on the same numbers %v", l32, l64)
			}
			worst := 0.0
			fd := c64.centralDiff(t, 1e-6)
			for i, prm := range c64.p.Params() {
				for j, num := range fd[i] {
					err := math.Abs(num - analytic[i][j])
					worst = math.Max(worst, err/scale)
					if err > tol*scale {
						t.Errorf("%s[%d]: float32 graph %v, float64 central difference %v", prm.Name, j, analytic[i][j], num)
					}
				}
			}
			t.Logf("loss error %.1f·u; largest gradient error %.1f·u·G, G = %.3g", lossErr/0x1p-24, worst/0x1p-24, scale)
		})
	}
}

// TestLossValue checks the kl_penalty loss against a plain-Go computation
// of -mean(r·A) + β·mean(KL(old||new)) + ½c_v·mean((V-R)²) - c_e·mean(H).
func TestLossValue(t *testing.T) {
	c := newLossCase(t, true, LossConfig{Objective: configs.ObjectiveKLPenalty}, 5)
	mb := c.mb
	get := func(nd *G.Node) []float64 { return valuesOf(mb.tensors[nd]) }
	obs, act, oldLogp, adv, ret, oldHead := get(mb.obs), get(mb.act), get(mb.oldLogp), get(mb.adv), get(mb.ret), get(mb.old.Head)
	n := 5
	head, val := make([]float64, n*2), make([]float64, n)
	policy.NewForwarder(c.p).Forward(obs, n, head, val)
	var pg, pen, vl, ent float64
	for r := 0; r < n; r++ {
		h := head[r*2 : r*2+2]
		a := 0.0
		if act[r*2+1] == 1 {
			a = 1
		}
		lp := dist.Categorical{}.LogProb(h, []float64{a})
		pg += math.Exp(lp-oldLogp[r]) * adv[r]
		pen += kl.CategoricalLogits(oldHead[r*2:r*2+2], h)
		vl += (val[r] - ret[r]) * (val[r] - ret[r])
		ent += kl.CategoricalEntropyLogits(h)
	}
	f := float64(n)
	want := -pg/f + 0.7*pen/f + 0.5*0.5*vl/f - 0.05*ent/f
	if got := c.loss(t); math.Abs(got-want) > 1e-12 {
		t.Fatalf("loss = %v, want %v", got, want)
	}
}

// TestGradientsDoNotAccumulate: gorgonia's tape machine adds each run's
// gradient into the dual values; after zeroGrads a second run on the same
// inputs must give the same gradient, not twice it.
func TestGradientsDoNotAccumulate(t *testing.T) {
	c := newLossCase(t, true, LossConfig{Objective: configs.ObjectiveKLPenalty}, 6)
	g := make([][]float64, len(c.mb.net.Params))
	var first [][]float64
	for rep := 0; rep < 3; rep++ {
		if err := c.mb.vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		if err := gradsOf(c.mb, g); err != nil {
			t.Fatal(err)
		}
		for i, d := range g {
			if rep == 0 {
				first = append(first, append([]float64(nil), d...))
				continue
			}
			for j := range d {
				if d[j] != first[i][j] {
					t.Fatalf("run %d: gradient %d[%d] = %v, first run gave %v", rep, i, j, d[j], first[i][j])
				}
			}
		}
		zeroGrads(g)
		c.mb.vm.Reset()
	}
}
