package agent

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"ppo/configs"
)

// tinyConfig is a small CartPole config with sets applied.
func tinyConfig(t *testing.T, sets ...string) *configs.Config {
	t.Helper()
	cfg := configs.Default()
	for _, s := range append([]string{"total_timesteps=512", "env.num_envs=4", "ppo.rollout_steps=32",
		"ppo.minibatch_size=64", "ppo.epochs=2", "policy.hidden=[16,16]"}, sets...) {
		if err := cfg.Set(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// saveCheckpoint writes the state of a trainer of cfg, after updates updates, to a
// file in dir and returns its path.
func saveCheckpoint(t *testing.T, dir string, cfg *configs.Config, updates int) (string, *Trainer) {
	t.Helper()
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tr.updates = updates
	if err := tr.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	c, err := tr.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "a.ckpt")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, tr
}

// TestInitCheckpointStartsFromItsWeights: a run with init.checkpoint acts in its first
// rollout exactly as the checkpoint's policy does (bit for bit, through the observation
// statistics it took over), whatever its own seed, and refuses a checkpoint whose
// network or normalisation does not fit, naming what differs.
func TestInitCheckpointStartsFromItsWeights(t *testing.T) {
	dir := t.TempDir()
	path, a := saveCheckpoint(t, dir, tinyConfig(t, "seed=7", "env.normalize_obs=true"), 3)

	b, err := New(tinyConfig(t, "seed=8", "env.normalize_obs=true", "init.checkpoint="+path, "env.params.length=1"))
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := New(tinyConfig(t, "seed=8", "env.normalize_obs=true"))
	if err != nil {
		t.Fatal(err)
	}
	firstRollout(t, b)
	// The first rollout's behaviour heads and values are A's network on the
	// observations B saw, normalised by the statistics B took from A.
	n := b.buf.size()
	head := make([]float64, n*b.buf.actDim)
	values := make([]float64, n)
	a.fwd.Forward(b.buf.obs, n, head, values)
	for i := range head {
		if head[i] != b.buf.head[i] {
			t.Fatalf("head[%d] = %v, checkpoint's policy gives %v", i, b.buf.head[i], head[i])
		}
	}
	for i := range values {
		if values[i] != b.buf.values[i] {
			t.Fatalf("value[%d] = %v, checkpoint's policy gives %v", i, b.buf.values[i], values[i])
		}
	}
	// A's statistics, updated by B's first rollout only: B's count is A's plus
	// the observations of one rollout and the first reset.
	if want := a.obsStats.Count + float64(n+b.cfg.Env.NumEnvs); b.obsStats.Count != want {
		t.Errorf("observation count %v, want A's plus one rollout %v", b.obsStats.Count, want)
	}
	// Without init.checkpoint the same seed gives other weights (the check above can fail).
	fresh.fwd.Forward(b.buf.obs, n, head, values)
	if head[0] == b.buf.head[0] {
		t.Error("a fresh network gives the checkpoint's head: the test cannot tell them apart")
	}
	// Frozen statistics stay A's.
	f, err := New(tinyConfig(t, "env.normalize_obs=true", "init.checkpoint="+path, "init.freeze_obs_stats=true"))
	if err != nil {
		t.Fatal(err)
	}
	firstRollout(t, f)
	if f.obsStats.Count != a.obsStats.Count || f.obsStats.Mean[2] != a.obsStats.Mean[2] {
		t.Errorf("frozen statistics moved: count %v, A's %v", f.obsStats.Count, a.obsStats.Count)
	}

	for _, tc := range []struct {
		sets []string
		want string
	}{
		{[]string{"policy.hidden=[16,8]", "env.normalize_obs=true"}, "policy.hidden (checkpoint [16 16], run [16 8])"},
		{[]string{"policy.activation=relu", "policy.dtype=float64", "env.normalize_obs=true"}, "policy.activation (checkpoint tanh, run relu), policy.dtype (checkpoint float32, run float64)"},
		{[]string{"env.id=Acrobot-v1", "env.normalize_obs=true"}, "observation size (checkpoint 4, run 6), action size (checkpoint 2, run 3)"},
		{[]string{"env.id=Pendulum-v1", "env.normalize_obs=true"}, "observation size (checkpoint 4, run 3), action space (checkpoint discrete, run continuous)"},
		{nil, "was trained on normalised observations: set env.normalize_obs: true"},
		{[]string{"env.normalize_obs=true", "init.checkpoint=" + filepath.Join(dir, "missing.ckpt")}, "missing.ckpt"},
	} {
		cfg := tinyConfig(t, append([]string{"init.checkpoint=" + path}, tc.sets...)...)
		_, err := New(cfg)
		if err == nil || !strings.HasPrefix(err.Error(), "init.checkpoint: ") || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error %v, want one line with %q", tc.sets, err, tc.want)
		}
	}
}

// firstRollout collects tr's first rollout, as Run's first update does.
func firstRollout(t *testing.T, tr *Trainer) {
	t.Helper()
	obs, err := tr.vec.Reset()
	if err != nil {
		t.Fatal(err)
	}
	tr.lastObs = append([]float64(nil), obs...)
	if err := tr.collect(); err != nil {
		t.Fatal(err)
	}
}

// softmax is written out here, independently of package kl and dist.
func softmax(logits []float64) []float64 {
	m := math.Inf(-1)
	for _, x := range logits {
		m = math.Max(m, x)
	}
	p := make([]float64, len(logits))
	s := 0.0
	for i, x := range logits {
		p[i] = math.Exp(x - m)
		s += p[i]
	}
	for i := range p {
		p[i] /= s
	}
	return p
}

// TestRewardPlacementShapesAdvantages: with kl.reference.placement reward, a rollout's
// rewards are the raw rewards minus c·KL_t, KL_t computed here by hand from the two
// policies' logits (Σ p log p/q, or the log-ratio of the taken action for k1), and the
// advantages change by exactly the GAE of that term, Σ_l (γλ)^l (−c·KL_{t+l}) within
// an episode, since the values are the same.
func TestRewardPlacementShapesAdvantages(t *testing.T) {
	dir := t.TempDir()
	ref, _ := saveCheckpoint(t, dir, tinyConfig(t, "seed=3"), 2)
	const c = 0.37
	for _, tc := range []struct {
		name string
		sets []string
		klt  func(old, refl []float64, action int) float64
	}{
		{"exact-new_old", []string{"kl.reference.direction=new_old"}, func(o, r []float64, _ int) float64 {
			p, q := softmax(o), softmax(r)
			s := 0.0
			for i := range p {
				s += p[i] * math.Log(p[i]/q[i])
			}
			return s
		}},
		{"exact-old_new", []string{"kl.reference.direction=old_new"}, func(o, r []float64, _ int) float64 {
			p, q := softmax(r), softmax(o)
			s := 0.0
			for i := range p {
				s += p[i] * math.Log(p[i]/q[i])
			}
			return s
		}},
		{"k1", []string{"kl.reference.direction=new_old", "kl.reference.estimator=k1"}, func(o, r []float64, a int) float64 {
			return math.Log(softmax(o)[a]) - math.Log(softmax(r)[a])
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := func(coef float64) *Trainer {
				sets := append([]string{"seed=5", "kl.reference.checkpoint=" + ref, "kl.reference.placement=reward",
					"kl.reference.controller.init_beta=" + fmtG(coef)}, tc.sets...)
				tr, err := New(tinyConfig(t, sets...))
				if err != nil {
					t.Fatal(err)
				}
				firstRollout(t, tr)
				tr.buf.advantages(tr.cfg.PPO.Gamma, tr.cfg.PPO.GAELambda)
				return tr
			}
			raw, shaped := run(0), run(c)
			b, s := raw.buf, shaped.buf
			n, envs := b.size(), b.envs
			term := make([]float64, n)
			for k := 0; k < n; k++ {
				if b.actions[k] != s.actions[k] || b.values[k] != s.values[k] {
					t.Fatalf("row %d: the shaping changed the actions or values", k)
				}
				d := tc.klt(b.head[2*k:2*k+2], b.refHead[2*k:2*k+2], int(b.actions[k]))
				term[k] = -c * d
				// 1e-12: KL_t here and in package kl round differently.
				if got := s.rewards[k] - b.rewards[k]; math.Abs(got-term[k]) > 1e-12 {
					t.Fatalf("row %d: reward changed by %v, want -c·KL_t = %v", k, got, term[k])
				}
			}
			gl := raw.cfg.PPO.Gamma * raw.cfg.PPO.GAELambda
			for i := 0; i < envs; i++ {
				acc := 0.0
				for st := b.steps - 1; st >= 0; st-- {
					k := st*envs + i
					if b.ended[k] {
						acc = 0
					}
					acc = term[k] + gl*acc
					if got := s.adv[k] - b.adv[k]; math.Abs(got-acc) > 1e-9 {
						t.Fatalf("row %d: advantage changed by %v, want %v", k, got, acc)
					}
				}
			}
			var m Metrics
			shaped.shaping.stats(&m)
			if m.RewardKL == nil || *m.RewardKL == 0 {
				t.Errorf("reward_kl not logged: %v", m.RewardKL)
			}
			if math.IsNaN(term[0]) || term[0] == 0 && term[1] == 0 {
				t.Error("zero shaping term: the test cannot tell shaped from raw")
			}
		})
	}
}

func fmtG(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
