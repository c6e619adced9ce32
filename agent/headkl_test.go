package agent

import (
	"context"
	"math"
	"testing"

	"ppo/dist"
	"ppo/env"
	"ppo/kl"
)

// headKind is one kind of policy head, with the expected values of its
// quantities written out here from kl's float64 functions, independently
// of package dist and of the trainer's code paths.
type headKind struct {
	name string
	sets []string
	nvec []int // MultiDiscrete components; nil otherwise
	gaus bool  // a diagonal Gaussian
}

// klOf is KL(P ‖ Q) of kind's heads p and q (masks' biases added), with the
// Gaussians' standard deviations ps and qs.
func (h headKind) klOf(p, ps, q, qs []float64) float64 {
	switch {
	case h.gaus:
		return kl.DiagGaussian(p, ps, q, qs)
	case h.nvec != nil:
		return kl.MultiCategoricalLogits(p, q, h.nvec)
	}
	return kl.CategoricalLogits(p, q)
}

// logProb is log π(a) for kind's head.
func (h headKind) logProb(head, logStd, a []float64) float64 {
	switch {
	case h.gaus:
		lp := 0.0
		for i, mu := range head {
			z := (a[i] - mu) / math.Exp(logStd[i])
			lp += -0.5*z*z - logStd[i] - 0.5*math.Log(2*math.Pi)
		}
		return lp
	case h.nvec != nil:
		lp, off := 0.0, 0
		for c, n := range h.nvec {
			lp += kl.LogSoftmax(nil, head[off:off+n])[int(a[c])]
			off += n
		}
		return lp
	}
	return kl.LogSoftmax(nil, head)[int(a[0])]
}

func expOf(x []float64) []float64 {
	if x == nil {
		return nil
	}
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = math.Exp(v)
	}
	return y
}

// near says whether got is want to rel relative (absolute near 0).
func near(got, want, rel float64) bool {
	return math.Abs(got-want) <= rel*math.Max(math.Abs(want), 1e-300) || got == want
}

// TestEveryKLPath runs every kind of policy head (Discrete, masked
// Discrete, MultiDiscrete, Box) through every path that computes a KL
// between two heads or an estimate of one, and checks each number against
// kl's float64 functions on the same rows: the update's whole-batch KL in
// both directions, the per-epoch KL and the exact target_kl early stop
// (exactKL, on the whole batch and on a shuffled minibatch), k1, k2 and k3
// (each against its own formula), and the KL to a reference in the loss's
// measurement, in the reward (each step's KL_t) and in the evaluation, in
// both directions. Before the heads' KL was one method of dist, the masked
// and multi-discrete rows of exactKL, and the multi-discrete rows of the
// reward and evaluation KLs, failed here.
//
// Tolerances: the trainer sums the same values in the same order; 1e-12
// relative covers only the Gaussians' σ = exp(log σ), computed here with
// math.Exp and there with detmath.Exp (both within an ulp or two).
func TestEveryKLPath(t *testing.T) {
	const rel = 1e-12
	kinds := []headKind{
		{name: "Discrete", sets: []string{"env.id=CartPole-v1"}},
		{name: "masked Discrete", sets: []string{"env.id=Taxi-v3", "policy.action_masking=true"}},
		{name: "MultiDiscrete", sets: []string{"env.id=AxisGrid-v0"}, nvec: []int{3, 3}},
		{name: "Box", sets: []string{"env.id=Pendulum-v1"}, gaus: true},
	}
	for _, h := range kinds {
		for _, dir := range []string{"old_new", "new_old"} {
			t.Run(h.name+"/"+dir, func(t *testing.T) {
				refPath, _ := saveCheckpoint(t, t.TempDir(), tinyConfig(t, append(h.sets, "seed=3", "ppo.learning_rate=0.01")...), 2)
				cfg := tinyConfig(t, append(h.sets, "seed=5", "ppo.learning_rate=0.01", "kl.reference.checkpoint="+refPath,
					"kl.reference.placement=reward", "kl.reference.direction="+dir, "kl.reference.controller.init_beta=0.1")...)
				tr, err := New(cfg)
				if err != nil {
					t.Fatal(err)
				}
				defer tr.Close()
				var m Metrics
				tr.OnUpdate = func(r Metrics) error { m = r; return nil }
				tr.updates = 1
				if err := tr.Run(context.Background()); err != nil {
					t.Fatal(err)
				}
				b := tr.buf
				n, ad := b.size(), b.actDim
				refDir, _ := kl.ParseDirection(dir)

				// The updated policy's heads on the batch, masked here.
				newHead := make([]float64, n*ad)
				tr.fwd.Forward(b.obs, n, newHead, nil)
				for i, v := range b.maskBias {
					if v != 0 {
						newHead[i] += kl.MaskBias
					}
				}
				oldStd, newStd, refStd := expOf(b.logStd), expOf(gaussLogStd(tr)), expOf(tr.ref.logStd)
				row := func(x []float64, k int) []float64 { return x[k*ad : (k+1)*ad] }
				var sum, sumRev, sumRef, k1, k2, k3 float64
				perm := make([]int, n)
				for k := 0; k < n; k++ {
					perm[k] = (k * 37) % n // 37 is prime to n = 128: a permutation
					oh, nh, rh := row(b.head, k), row(newHead, k), row(b.refHead, k)
					sum += h.klOf(oh, oldStd, nh, newStd)
					sumRev += h.klOf(nh, newStd, oh, oldStd)
					if refDir == kl.OldNew {
						sumRef += h.klOf(rh, refStd, nh, newStd)
					} else {
						sumRef += h.klOf(nh, newStd, rh, refStd)
					}
					lr := h.logProb(nh, gaussLogStd(tr), b.actions[k*b.actW:(k+1)*b.actW]) - b.logp[k]
					k1 += -lr
					k2 += 0.5 * lr * lr
					k3 += math.Expm1(lr) - lr
					// The reward's KL_t: the reference against the behaviour
					// policy's head. stepKL runs during the rollout, where the
					// live σ is the behaviour policy's; called here, after
					// the update, it takes the live σ, newStd.
					var want float64
					if refDir == kl.OldNew {
						want = h.klOf(rh, refStd, oh, newStd)
					} else {
						want = h.klOf(oh, newStd, rh, refStd)
					}
					if got := tr.stepKL(k, dist.Std(tr.pol.Dist())); !near(got, want, rel) {
						t.Fatalf("reward KL_t of row %d: %v, want %v", k, got, want)
					}
				}
				f := float64(n)
				for _, c := range []struct {
					name      string
					got, want float64
				}{
					{"kl", m.KL, sum / f},
					{"kl_reverse", m.KLReverse, sumRev / f},
					{"kl_ref", *m.KLRef, sumRef / f},
					{"kl_k1", m.KLK1, k1 / f},
					{"kl_k2", m.KLK2, k2 / f},
					{"kl_k3", m.KLK3, k3 / f},
					{"exactKL (per-epoch KL, exact target_kl)", tr.exactKL(nil), sum / f},
					{"exactKL on a shuffled minibatch", tr.exactKL(perm), sum / f},
				} {
					r := rel
					if c.name == "kl_k3" || c.name == "exactKL on a shuffled minibatch" {
						r = 1e-9 // another summation order, or expm1(x)−x evaluated another way
					}
					if !near(c.got, c.want, r) {
						t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
					}
				}
				if !(m.KL > 0) {
					t.Fatalf("the policy did not move (kl %v): the check is empty", m.KL)
				}
				checkEvalKL(t, h, tr, refDir)
			})
		}
	}
}

// gaussLogStd is the trainer's policy's log σ, nil for a categorical head.
func gaussLogStd(tr *Trainer) []float64 { return dist.LogStd(tr.pol.Dist()) }

// checkEvalKL plays one deterministic evaluation episode as the Evaluator
// does and checks its kl_ref, the mean KL to the reference over the
// visited states, against kl's functions.
func checkEvalKL(t *testing.T, h headKind, tr *Trainer, dir kl.Direction) {
	t.Helper()
	e := tr.Evaluator()
	e.Ref, e.RefDirection = tr.ref, dir
	const seed = 11
	res, err := e.Run(1, seed, true)
	if err != nil {
		t.Fatal(err)
	}
	en, err := makeEnv(tr.cfg.Env, append(envOptions(tr.cfg.Env), env.WithSeed(seed))...)
	if err != nil {
		t.Fatal(err)
	}
	defer closeEnv(en)
	spec := tr.pol.Spec
	head, refHead := make([]float64, spec.ActDim), make([]float64, spec.ActDim)
	act := make([]float64, en.ActionSpace().Dim())
	std, refStd := expOf(gaussLogStd(tr)), expOf(tr.ref.logStd)
	masker, masked := env.MaskerOf(en)
	allowed := make([]bool, spec.ActDim)
	obs, err := en.Reset()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	steps := 0
	for {
		if err := e.Head(obs, head); err != nil {
			t.Fatal(err)
		}
		tr.ref.heads(refHead, obs, 1)
		if masked && tr.cfg.Policy.ActionMasking {
			masker.ActionMask(allowed)
			kl.MaskLogits(head, head, allowed)
			kl.MaskLogits(refHead, refHead, allowed)
		}
		if dir == kl.OldNew {
			sum += h.klOf(refHead, refStd, head, std)
		} else {
			sum += h.klOf(head, std, refHead, refStd)
		}
		tr.pol.Dist().Mode(head, act)
		if box, ok := en.ActionSpace().(env.Box); ok {
			for j := range act {
				act[j] = math.Max(box.Low[j], math.Min(box.High[j], act[j]))
			}
		}
		st, err := en.Step(act)
		if err != nil {
			t.Fatal(err)
		}
		steps++
		obs = st.Obs
		if st.Terminated || st.Truncated {
			break
		}
	}
	if res.KLRef == nil || !near(*res.KLRef, sum/float64(steps), 1e-12) {
		t.Errorf("evaluation kl_ref %v, want %v over %d steps", res.KLRef, sum/float64(steps), steps)
	}
}
