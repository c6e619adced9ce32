package agent

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"

	"ppo/dist"
	"ppo/kl"
	"ppo/policy"
)

// lossCase sets up a float64 loss graph on random inputs.
type lossCase struct {
	p  *policy.Policy
	mb *minibatch
}

func newLossCase(t *testing.T, discrete bool, cfg LossConfig, n int) *lossCase {
	t.Helper()
	spec := policy.Spec{ObsDim: 3, Discrete: discrete, ActDim: 2, Hidden: []int{5, 4}, Activation: "tanh", Float64: true, InitLogStd: -0.3}
	p, err := policy.New(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, prm := range p.Params() {
		d := prm.T.Data().([]float64)
		for i := range d {
			d[i] = 0.6 * rng.NormFloat64()
		}
	}
	mb, err := newMinibatch(p, cfg, n, 0.2)
	if err != nil {
		t.Fatal(err)
	}
	rnd := func(k int, s float64) []float64 {
		v := make([]float64, k)
		for i := range v {
			v[i] = s * rng.NormFloat64()
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
	mb.setScalar(mb.beta, 0.7)
	mb.setScalar(mb.refCoef, 0.3)
	mb.setScalar(mb.entCoef, 0.05)
	mb.setScalar(mb.vfCoef, 0.5)
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

// TestLossGradients compares the graph's gradient of the whole PPO loss
// with central differences for every objective, estimator, direction,
// value clipping and a reference term. Step 1e-6 in float64 gives
// truncation error O(h²) and rounding O(ε/h) ≈ 1e-10; kinks of min/max
// (clip) are crossed with probability ~h, so 1e-5 absolute is the bound.
func TestLossGradients(t *testing.T) {
	cases := []struct {
		name     string
		discrete bool
		cfg      LossConfig
	}{
		{"klpen-exact-cat", true, LossConfig{Objective: KLPenalty}},
		{"klpen-exact-gauss", false, LossConfig{Objective: KLPenalty}},
		{"klpen-newold-gauss", false, LossConfig{Objective: KLPenalty, Direction: kl.NewOld}},
		{"klpen-k3-cat", true, LossConfig{Objective: KLPenalty, Estimator: kl.K3}},
		{"klpen-k2-newold-cat", true, LossConfig{Objective: KLPenalty, Estimator: kl.K2, Direction: kl.NewOld}},
		{"clip-cat-vclip", true, LossConfig{Objective: Clip, ValueClip: 0.2}},
		{"clipkl-gauss-ref", false, LossConfig{Objective: ClipKL, Reference: true}},
		{"none-cat-ref", true, LossConfig{Objective: None, Reference: true, Direction: kl.NewOld}},
	}
	for _, tc := range cases {
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
			const h = 1e-6
			for i, prm := range c.p.Params() {
				d := prm.T.Data().([]float64)
				for j := range d {
					x := d[j]
					d[j] = x + h
					up := c.loss(t)
					d[j] = x - h
					down := c.loss(t)
					d[j] = x
					num := (up - down) / (2 * h)
					if math.Abs(num-analytic[i][j]) > 1e-5 {
						t.Errorf("%s[%d]: graph %v, central difference %v", prm.Name, j, analytic[i][j], num)
					}
				}
			}
		})
	}
}

// TestLossValue checks the kl_penalty loss against a plain-Go computation
// of -mean(r·A) + β·mean(KL(old||new)) + ½c_v·mean((V-R)²) - c_e·mean(H).
func TestLossValue(t *testing.T) {
	c := newLossCase(t, true, LossConfig{Objective: KLPenalty}, 5)
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
	c := newLossCase(t, true, LossConfig{Objective: KLPenalty}, 6)
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
