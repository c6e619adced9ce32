package agent

import (
	"fmt"
	"math"
	"reflect"
	"runtime"
	"testing"
	"time"

	"ppo/configs"
	"ppo/internal/gorgoniax"
)

// TestSplitMatchesWhole: minibatch steps with the actor's and the
// critic's parts of the loss graph on two goroutines leave the same
// weight bits and diagnostics as the whole graph on one, and the whole
// loss put together from the parts has the whole graph's bits: discrete,
// masked, multi-discrete and Gaussian policies, float32 and float64,
// every objective family, a KL penalty to a reference policy, value
// clipping and an entropy bonus.
func TestSplitMatchesWhole(t *testing.T) {
	// A reference policy for the KL penalty to a frozen model.
	refCfg := configs.Default()
	for _, s := range []string{"env.num_envs=4", "ppo.rollout_steps=32", "ppo.minibatch_size=64", "ppo.epochs=1"} {
		if err := refCfg.Set(s); err != nil {
			t.Fatal(err)
		}
	}
	ref, refTrainer := saveCheckpoint(t, t.TempDir(), refCfg, 1)
	refTrainer.Close()
	for _, sets := range [][]string{
		{"kl.reference.checkpoint=" + ref, "ppo.entropy_coef=0.01"},
		{},
		{"ppo.objective=clip", "ppo.entropy_coef=0.01", "ppo.value_clip=0.2"},
		{"policy.dtype=float64", "ppo.objective=clip_kl", "ppo.entropy_coef=0.02"},
		{"ppo.objective=kl_penalty", "kl.estimator=k3", "ppo.entropy_coef=0.01"},
		{"env.id=Pendulum-v1"},
		{"env.id=Pendulum-v1", "policy.dtype=float64", "kl.direction=new_old", "ppo.value_clip=0.1"},
		{"env.id=Taxi-v3", "policy.action_masking=true", "ppo.entropy_coef=0.01"},
		{"env.id=AxisGrid-v0", "ppo.entropy_coef=0.01"},
	} {
		type result struct {
			weights []any
			stats   []stepStats
			loss    uint64
		}
		run := func(split bool) result {
			tr := steppable(t, append([]string{"env.num_envs=4", "ppo.rollout_steps=32", "ppo.minibatch_size=100"}, sets...)...)
			tr.split = split
			idx := make([]int, 100)
			for i := range idx {
				idx[i] = (i * 7) % tr.buf.size()
			}
			var r result
			for range 3 { // later steps see moved weights and Adam moments
				st, err := tr.step(idx, 1e-3, 0.7, 0.3)
				if err != nil {
					t.Fatal(err)
				}
				r.stats = append(r.stats, st)
			}
			// The loss of a fourth minibatch, without a step.
			adv := tr.advantages(idx)
			if split {
				sp, err := tr.splitGraphs(len(idx))
				if err != nil {
					t.Fatal(err)
				}
				_, loss, _, _, _, err := tr.runSplit(sp, idx, adv, 0.7, 0.3)
				if err != nil {
					t.Fatal(err)
				}
				r.loss = math.Float64bits(loss)
			} else {
				mb, err := tr.graph(len(idx))
				if err != nil {
					t.Fatal(err)
				}
				tr.fill(mb, idx, adv, 0.7, 0.3)
				if err := gorgoniax.Run(mb.vm); err != nil {
					t.Fatal(err)
				}
				r.loss = math.Float64bits(scalarOf(mb.lossVal))
			}
			switch w := tr.upd.(type) {
			case *weights[float32]:
				for _, p := range w.params {
					r.weights = append(r.weights, append([]float32(nil), p...))
				}
			case *weights[float64]:
				for _, p := range w.params {
					r.weights = append(r.weights, append([]float64(nil), p...))
				}
			}
			return r
		}
		whole, split := run(false), run(true)
		if !reflect.DeepEqual(whole.weights, split.weights) {
			t.Errorf("%v: the weights after three split steps differ from the whole graph's", sets)
		}
		if !reflect.DeepEqual(whole.stats, split.stats) {
			t.Errorf("%v: split step diagnostics %+v, whole graph %+v", sets, split.stats, whole.stats)
		}
		if whole.loss != split.loss {
			t.Errorf("%v: loss %v from the parts, %v from the whole graph", sets,
				math.Float64frombits(split.loss), math.Float64frombits(whole.loss))
		}
	}
}

// TestSplitNeedsSeparateNetworks: a shared trunk, or sharded minibatches,
// keep the whole graph; separate networks split when there are two Ps.
func TestSplitNeedsSeparateNetworks(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for _, c := range []struct {
		sets []string
		want bool
	}{
		{nil, true},
		{[]string{"policy.shared=true"}, false},
		{[]string{"ppo.shards=2"}, false},
	} {
		cfg := configs.Default()
		for _, s := range c.sets {
			if err := cfg.Set(s); err != nil {
				t.Fatal(err)
			}
		}
		tr, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := tr.split; got != c.want {
			t.Errorf("%v: split %v, want %v", c.sets, got, c.want)
		}
		tr.Close()
	}
}

// steppable returns a trainer of the default config with sets applied,
// closed when the test ends, its first rollout collected and advantages
// computed, and this update's clip range and entropy coefficient set:
// ready for step.
func steppable(t *testing.T, sets ...string) *Trainer {
	t.Helper()
	cfg := configs.Default()
	for _, s := range sets {
		if err := cfg.Set(s); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	tr.sched = tr.schedule()
	firstRollout(t, tr)
	tr.buf.advantages(cfg.PPO.Gamma, cfg.PPO.GAELambda)
	return tr
}

// TestSplitOnlyAlone: while another trainer of the process runs, steps
// use the whole graph, leaving the second core to it.
func TestSplitOnlyAlone(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	tr := steppable(t, "env.num_envs=2", "ppo.rollout_steps=16", "ppo.minibatch_size=32")
	idx := make([]int, 32)
	for i := range idx {
		idx[i] = i
	}
	running.Add(2) // two other trainers
	_, err := tr.step(idx, 1e-3, 1, 0)
	running.Add(-2)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.splitGraph) != 0 || len(tr.graphs) != 1 {
		t.Fatalf("with other runs: %d split graphs, %d whole graphs; want 0 and 1", len(tr.splitGraph), len(tr.graphs))
	}
	if _, err := tr.step(idx, 1e-3, 1, 0); err != nil {
		t.Fatal(err)
	}
	if len(tr.splitGraph) != 1 {
		t.Fatalf("alone: %d split graphs, want 1", len(tr.splitGraph))
	}
}

// BenchmarkHandoff is the latency from handing a task to another goroutine
// until it starts, when the receiving goroutine has been idle for 20 µs
// (as between minibatch steps), 150 µs (as from the end of the critic's
// part to the Adam step) or 1 ms (as after a rollout), and the sender goes on working for 100 µs (as it runs the
// actor's part), so the task must start on the other core: through a
// channel the receiver blocks on ("parked"), and through the helper, which
// polls for helperSpin before it blocks. The time per op includes the
// idle and working time; the latency is reported separately.
func BenchmarkHandoff(b *testing.B) {
	busy := func(d time.Duration) {
		for t0 := time.Now(); time.Since(t0) < d; {
		}
	}
	const work = 100 * time.Microsecond
	for _, idle := range []time.Duration{20 * time.Microsecond, 150 * time.Microsecond, time.Millisecond} {
		b.Run(fmt.Sprintf("parked/idle=%v", idle), func(b *testing.B) {
			start, done := make(chan time.Time), make(chan time.Duration)
			go func() {
				for t0 := range start {
					done <- time.Since(t0)
				}
			}()
			var lat time.Duration
			for b.Loop() {
				busy(idle)
				start <- time.Now()
				busy(work)
				lat += <-done
			}
			close(start)
			b.ReportMetric(float64(lat.Nanoseconds())/float64(b.N), "ns-latency/op")
		})
		b.Run(fmt.Sprintf("helper/idle=%v", idle), func(b *testing.B) {
			h := newHelper()
			defer h.stop()
			var lat time.Duration
			for b.Loop() {
				busy(idle)
				t0 := time.Now()
				h.start(func() error { lat += time.Since(t0); return nil })
				busy(work)
				h.wait()
			}
			b.ReportMetric(float64(lat.Nanoseconds())/float64(b.N), "ns-latency/op")
		})
	}
}
