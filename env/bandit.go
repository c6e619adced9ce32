package env

import (
	"fmt"
	"math"
	"math/rand/v2"

	"ppo/internal/detmath"
)

// bandit is the k-armed testbed of Sutton & Barto (2018, §2.3) as one-step episodes: pulling arm a
// pays means[a] plus Gaussian noise, and ends the episode. The observation is the constant [1].
// The arm means are the same for every seed (drawn from N(0, 1) with the fixed stream PCG(1, 2)),
// so all copies in a vector face one task; the seed drives only the reward noise. The state is the
// arm means, so SetState can pose another task.
type bandit struct {
	noise float64
	means []float64
}

func banditSpec() Spec {
	return Spec{
		ID:  "Bandit-v0",
		Doc: "pull one of k arms once; reward N(mean[arm], noise²), means fixed across seeds",
		Params: []Param{
			{"arms", 10, "number of arms (integer, at least 2)"},
			{"noise", 1, "standard deviation of the reward noise"},
		},
		New: newBandit,
	}
}

func newBandit(cfg Config) (Env, error) {
	k, noise := cfg.Params["arms"], cfg.Params["noise"]
	if k != math.Trunc(k) || k < 2 || k > 1<<16 {
		return nil, fmt.Errorf("arms %v: want an integer in [2, 65536]", k)
	}
	if noise < 0 {
		return nil, fmt.Errorf("noise %v: want a standard deviation >= 0", noise)
	}
	b := &bandit{noise: noise, means: BanditMeans(int(k))}
	obs := Box{Low: []float64{1}, High: []float64{1}}
	return newSim(b, obs, Discrete{int(k)}, cfg), nil
}

// BanditMeans returns Bandit-v0's arm means for k arms.
func BanditMeans(k int) []float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	m := make([]float64, k)
	for i := range m {
		m[i] = detmath.NormFloat64(rng)
	}
	return m
}

func (b *bandit) reset(*rand.Rand) {}

func (b *bandit) step(a []float64, rng *rand.Rand) (float64, bool) {
	return b.means[int(a[0])] + b.noise*detmath.NormFloat64(rng), true
}

func (b *bandit) observe(obs []float64) { obs[0] = 1 }

func (b *bandit) state() []float64 { return append([]float64(nil), b.means...) }

func (b *bandit) setState(s []float64) error {
	copy(b.means, s)
	return nil
}
