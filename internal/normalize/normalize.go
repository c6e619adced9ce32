// Package normalize keeps running statistics that normalise observations and
// scale rewards, as SB3's VecNormalize. It imports nothing from the module.
package normalize

import "math"

// RunningStats tracks a per-dimension mean and variance over batches with
// Chan et al.'s parallel update, as SB3's RunningMeanStd (including its
// initial count of 1e-4, so the first batch dominates at once).
type RunningStats struct {
	Mean, Var []float64
	Count     float64
}

// NewRunningStats starts statistics for dim dimensions at mean 0, variance 1.
func NewRunningStats(dim int) *RunningStats {
	s := &RunningStats{Mean: make([]float64, dim), Var: make([]float64, dim), Count: 1e-4}
	for i := range s.Var {
		s.Var[i] = 1
	}
	return s
}

// Update folds in n rows of x (row-major, n×dim).
func (s *RunningStats) Update(x []float64, n int) {
	dim := len(s.Mean)
	bn := float64(n)
	tot := s.Count + bn
	for j := 0; j < dim; j++ {
		m := 0.0
		for r := 0; r < n; r++ {
			m += x[r*dim+j]
		}
		m /= bn
		v := 0.0
		for r := 0; r < n; r++ {
			d := x[r*dim+j] - m
			v += d * d
		}
		v /= bn
		delta := m - s.Mean[j]
		s.Mean[j] += delta * bn / tot
		s.Var[j] = (s.Var[j]*s.Count + v*bn + delta*delta*s.Count*bn/tot) / tot
	}
	s.Count = tot
}

// normalizeEps is SB3 VecNormalize's epsilon under the square root.
const normalizeEps = 1e-8

// Normalize writes clip((x-μ)/√(σ²+ε), ±clip) for n rows into dst.
func (s *RunningStats) Normalize(dst, x []float64, n int, clip float64) {
	dim := len(s.Mean)
	for r := 0; r < n; r++ {
		for j := 0; j < dim; j++ {
			v := (x[r*dim+j] - s.Mean[j]) / math.Sqrt(s.Var[j]+normalizeEps)
			dst[r*dim+j] = math.Max(-clip, math.Min(clip, v))
		}
	}
}

// RewardScaler divides rewards by the running standard deviation of the
// discounted return, as SB3's VecNormalize(norm_reward=True): the scale
// PPO's value targets need on MountainCarContinuous and Pendulum.
type RewardScaler struct {
	Gamma, Clip float64
	Returns     []float64 // running discounted return per environment
	Stats       *RunningStats
}

// NewRewardScaler returns a scaler for n environments.
func NewRewardScaler(n int, gamma, clip float64) *RewardScaler {
	return &RewardScaler{Gamma: gamma, Clip: clip, Returns: make([]float64, n), Stats: NewRunningStats(1)}
}

// Scale updates the return statistics with one step's rewards and
// overwrites rewards with their scaled values; ended episodes restart
// their discounted return.
func (r *RewardScaler) Scale(rewards []float64, ended []bool) {
	for i, x := range rewards {
		r.Returns[i] = r.Returns[i]*r.Gamma + x
	}
	r.Stats.Update(r.Returns, len(r.Returns))
	sd := math.Sqrt(r.Stats.Var[0] + normalizeEps)
	for i, x := range rewards {
		rewards[i] = math.Max(-r.Clip, math.Min(r.Clip, x/sd))
		if ended[i] {
			r.Returns[i] = 0
		}
	}
}
