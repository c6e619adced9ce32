// Package bench measures training throughput: env steps per second split into
// acting, env stepping and learning, learning GFLOP/s and memory. It imports
// agent and the packages below it.
package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"ppo/agent"
	"ppo/configs"
	"ppo/internal/bench/rusage"
	"ppo/policy"
)

// Phase is the wall time one phase of training took.
type Phase struct {
	Seconds float64 `json:"seconds"`
	// Share is the fraction of the run's wall time.
	Share float64 `json:"share"`
	// StepsPerSec is the run's env steps over this phase's time alone: the
	// throughput if every other phase were free.
	StepsPerSec float64 `json:"env_steps_per_sec"`
}

// Result is the throughput of a training run, split by phase.
type Result struct {
	Name          string  `json:"name"`
	EnvID         string  `json:"env_id"`
	NumEnvs       int     `json:"num_envs"`
	MinibatchSize int     `json:"minibatch_size"`
	Epochs        int     `json:"epochs"`
	Updates       int     `json:"updates"`
	Steps         int     `json:"env_steps"`
	Seconds       float64 `json:"seconds"`
	// CPUSeconds is the process's CPU time over the run, all threads.
	CPUSeconds  float64 `json:"cpu_seconds"`
	StepsPerSec float64 `json:"env_steps_per_sec"`
	// Acting is the policy's forward pass and action sampling during
	// rollouts, Env the vector env's steps, Learning the minibatch updates
	// (gathering, loss graph forward and backward, clipping, Adam), Other
	// the rest: advantages, after-update measurements, bookkeeping.
	Acting   Phase `json:"acting"`
	Env      Phase `json:"env"`
	Learning Phase `json:"learning"`
	Other    Phase `json:"other"`
	// LearnFLOPs counts the matrix products of learning analytically (see
	// LearnFLOPsPerSample); LearnGFLOPS is that over the learning time.
	LearnFLOPs  float64 `json:"learn_flops"`
	LearnGFLOPS float64 `json:"learn_gflops"`
	// SgemmGFLOPS is gonum's Sgemm, timed in the same process, on the
	// learning's largest product: minibatch × hidden by hidden × hidden.
	SgemmGFLOPS float64 `json:"sgemm_gflops"`
	SgemmShape  [3]int  `json:"sgemm_mnk"`
	// AllocsPerUpdate counts heap allocations per update over the first
	// half of the updates (after the first, which builds the graphs) and
	// over the second half: steady state means equal.
	AllocsPerUpdate [2]float64 `json:"allocs_per_update"`
	// MaxRSS is the process's peak resident set size, bytes (0 where the
	// OS does not say).
	MaxRSS     int64 `json:"max_rss_bytes"`
	GOMAXPROCS int   `json:"gomaxprocs"`
	// LoadAverage is the 1-minute load average at the end (Linux; 0
	// elsewhere): benchmark figures mean little on a busy machine.
	LoadAverage float64 `json:"load_average"`
}

// Run trains as cfg says for the given number of updates (the whole
// run when updates <= 0 or more than the run has), writing nothing, and
// reports the throughput. The learning-rate schedule is the full run's,
// so a short benchmark does the same work per update as the real run.
func Run(ctx context.Context, cfg *configs.Config, updates int) (*Result, error) {
	t, err := agent.New(cfg)
	if err != nil {
		return nil, &agent.InputError{Err: err}
	}
	defer t.Close()
	if updates <= 0 || updates > t.Updates() {
		updates = t.Updates()
	}
	c := &agent.Phases{}
	t.Phases = c
	run, stop := context.WithCancel(ctx)
	defer stop()
	// Heap allocations counted after update 1, at the half and at the end.
	var mallocs [3]uint64
	half := max(2, updates/2)
	t.OnUpdate = func(m agent.Metrics) error {
		switch m.Update {
		case 1:
			mallocs[0] = heapAllocs()
		case half:
			mallocs[1] = heapAllocs()
		}
		if m.Update >= updates {
			mallocs[2] = heapAllocs()
			stop()
		}
		return nil
	}
	cpu0, start := rusage.CPU(), time.Now()
	err = t.Run(run)
	wall, cpu := time.Since(start), rusage.CPU()-cpu0
	if err != nil && (ctx.Err() != nil || !errors.Is(err, context.Canceled)) {
		return nil, err
	}
	r := &Result{
		Name: cfg.Name, EnvID: cfg.Env.ID, NumEnvs: cfg.Env.NumEnvs,
		MinibatchSize: cfg.PPO.MinibatchSize, Epochs: cfg.PPO.Epochs,
		Updates: t.Update(), Steps: t.Timesteps(),
		Seconds: wall.Seconds(), CPUSeconds: cpu.Seconds(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
	}
	r.StepsPerSec = float64(r.Steps) / r.Seconds
	phase := func(d time.Duration) Phase {
		return Phase{Seconds: d.Seconds(), Share: d.Seconds() / r.Seconds, StepsPerSec: float64(r.Steps) / d.Seconds()}
	}
	r.Acting, r.Env, r.Learning = phase(c.Collect-c.Env), phase(c.Env), phase(c.Learn)
	r.Other = phase(wall - c.Collect - c.Learn)
	r.LearnFLOPs = LearnFLOPsPerSample(t.Policy().Spec) * float64(c.Rows)
	r.LearnGFLOPS = r.LearnFLOPs / c.Learn.Seconds() / 1e9
	h := cfg.Policy.Hidden[0]
	r.SgemmShape = [3]int{cfg.PPO.MinibatchSize, h, h}
	r.SgemmGFLOPS = sgemmGFLOPS(r.SgemmShape, 200*time.Millisecond)
	r.LoadAverage = loadAverage()
	r.MaxRSS = rusage.MaxRSS()
	if updates > half {
		r.AllocsPerUpdate = [2]float64{float64(mallocs[1]-mallocs[0]) / float64(half-1), float64(mallocs[2]-mallocs[1]) / float64(updates-half)}
	}
	return r, nil
}

// LearnFLOPsPerSample is the matrix-product work, in flops (two per
// multiply-add), of one sample's forward and backward pass through the
// network: per dense layer the forward product x·W, the weight gradient
// xᵀ·dz and, except for layers reading the observations, the input
// gradient dz·Wᵀ; that is 3× the forward flops less the observation
// gradient. Biases, activations and the loss's elementwise work are left
// out: they are O(width), not O(width²).
func LearnFLOPsPerSample(s policy.Spec) float64 {
	macs := 0
	layer := func(in, out int, fromObs bool) {
		macs += 2 * in * out // x·W and xᵀ·dz
		if !fromObs {
			macs += in * out // dz·Wᵀ
		}
	}
	tower := func(heads ...int) {
		in := s.ObsDim
		for i, h := range s.Hidden {
			layer(in, h, i == 0)
			in = h
		}
		for _, out := range heads {
			layer(in, out, false)
		}
	}
	if s.Shared {
		tower(s.ActDim, 1)
	} else {
		tower(s.ActDim)
		tower(1)
	}
	return 2 * float64(macs)
}

// sgemmGFLOPS times gonum's Sgemm, C = A·B with A m×k and B k×n, for
// about d and returns its rate.
func sgemmGFLOPS(mnk [3]int, d time.Duration) float64 {
	m, n, k := mnk[0], mnk[1], mnk[2]
	a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	for i := range a {
		a[i] = float32(i%13) / 13
	}
	for i := range b {
		b[i] = float32(i%7) / 7
	}
	var impl gonum.Implementation
	reps := 0
	start := time.Now()
	for time.Since(start) < d {
		impl.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n)
		reps++
	}
	return 2 * float64(m*n*k) * float64(reps) / time.Since(start).Seconds() / 1e9
}

func heapAllocs() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Mallocs
}

// loadAverage reads the 1-minute load average from /proc/loadavg; 0 when
// there is none.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// String is the report of ppo bench.
func (r *Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s × %d envs, minibatch %d, %d epochs: %d updates, %d env steps in %.2f s (CPU %.2f s; GOMAXPROCS %d, load %.1f)\n",
		r.Name, r.EnvID, r.NumEnvs, r.MinibatchSize, r.Epochs, r.Updates, r.Steps, r.Seconds, r.CPUSeconds, r.GOMAXPROCS, r.LoadAverage)
	fmt.Fprintf(&b, "  env-steps/s   %10.0f\n", r.StepsPerSec)
	for _, p := range []struct {
		name string
		p    Phase
	}{{"acting", r.Acting}, {"env stepping", r.Env}, {"learning", r.Learning}, {"other", r.Other}} {
		fmt.Fprintf(&b, "  %-13s %8.2f s %5.1f%%  %10.0f steps/s alone\n", p.name, p.p.Seconds, 100*p.p.Share, p.p.StepsPerSec)
	}
	fmt.Fprintf(&b, "  learning: %.1f GFLOP of matrix products at %.2f GFLOP/s; gonum Sgemm %d×%d×%d: %.2f GFLOP/s\n",
		r.LearnFLOPs/1e9, r.LearnGFLOPS, r.SgemmShape[0], r.SgemmShape[2], r.SgemmShape[1], r.SgemmGFLOPS)
	fmt.Fprintf(&b, "  memory: peak RSS %.1f MB; heap allocations per update %.0f (first half), %.0f (second half)\n",
		float64(r.MaxRSS)/1e6, r.AllocsPerUpdate[0], r.AllocsPerUpdate[1])
	return b.String()
}
