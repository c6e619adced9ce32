package agent

import (
	"context"
	"math"
	"strings"
	"testing"

	"ppo/configs"
	"ppo/kl"
)

// runRows trains cfg to the end and returns its rows.
func runRows(t *testing.T, cfg *configs.Config) ([]Metrics, *Trainer) {
	t.Helper()
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var rows []Metrics
	tr.OnUpdate = func(m Metrics) error { rows = append(rows, m); return nil }
	if err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return rows, tr
}

// small is a short CartPole run: 8 updates of 4 × 32 steps, 3 epochs of 2
// minibatches.
func small() *configs.Config {
	cfg := configs.Default()
	cfg.TotalTimesteps, cfg.Env.NumEnvs, cfg.PPO.RolloutSteps = 8*128, 4, 32
	cfg.PPO.Epochs, cfg.PPO.MinibatchSize = 3, 64
	cfg.PPO.LearningRate = 3e-3 // policies that move, so the KL is far from 0
	return cfg
}

// TestEstimatorsInRow checks invariants of the row's sample estimators on
// real runs (k2 and k3 are >= 0; each against its own formula is
// TestEveryKLPath's) and that with log.kl_per_epoch the row holds one KL
// per epoch begun, the last equal to kl bit for bit (same sum, same order).
func TestEstimatorsInRow(t *testing.T) {
	for _, env := range []string{"CartPole-v1", "Pendulum-v1"} {
		cfg := small()
		cfg.Env.ID = env
		cfg.Log.KLPerEpoch = true
		rows, _ := runRows(t, cfg)
		for _, m := range rows {
			if m.KLK2 < 0 || m.KLK3 < 0 {
				t.Errorf("%s update %d: k2 %v or k3 %v negative", env, m.Update, m.KLK2, m.KLK3)
			}
			if len(m.KLPerEpoch) != m.Epochs || m.KLPerEpoch[len(m.KLPerEpoch)-1] != m.KL {
				t.Errorf("%s update %d: kl_per_epoch %v with %d epochs, kl %v", env, m.Update, m.KLPerEpoch, m.Epochs, m.KL)
			}
		}
	}
	// Without the switch the row has no per-epoch KLs.
	rows, _ := runRows(t, small())
	if rows[0].KLPerEpoch != nil {
		t.Errorf("kl_per_epoch %v without log.kl_per_epoch", rows[0].KLPerEpoch)
	}
}

// TestExactKLRows: the minibatch form of exactKL over every row, in a
// shuffled order, is the whole-batch value up to summation order (1e-12
// relative), and a KL of the unchanged policy is 0.
func TestExactKLRows(t *testing.T) {
	cfg := small()
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	n := tr.buf.size()
	idx := make([]int, n)
	for i := range idx {
		idx[i] = (i * 37) % n // 37 is prime to n = 128: a permutation
	}
	whole, rows := tr.exactKL(nil), tr.exactKL(idx)
	if whole <= 0 || math.Abs(whole-rows) > 1e-12*whole {
		t.Errorf("exactKL whole %v, by rows %v", whole, rows)
	}
	// The behaviour policy of the next update is the current one.
	if err := tr.collect(); err != nil {
		t.Fatal(err)
	}
	if d := tr.exactKL(idx[:7]); d != 0 {
		t.Errorf("KL of the policy to itself %v", d)
	}
}

// TestTargetKLEstimator: with a tiny target_kl, k3 can stop at a
// minibatch before any step only if it is > 0 there, which it is not (the
// policy has not moved, so logr = 0); both estimators take exactly one step
// and then stop, at the second minibatch. With a target no KL reaches
// neither stops.
func TestTargetKLEstimator(t *testing.T) {
	for _, est := range []string{configs.TargetKLK3, configs.TargetKLExact} {
		cfg := small()
		cfg.PPO.TargetKL, cfg.PPO.TargetKLEstimator = 1e-12, est
		rows, _ := runRows(t, cfg)
		for _, m := range rows {
			if !m.EarlyStopped || m.Minibatches != 1 || m.Epochs != 1 {
				t.Errorf("%s update %d: early_stopped %v after %d minibatches, %d epochs", est, m.Update, m.EarlyStopped, m.Minibatches, m.Epochs)
			}
		}
		cfg.PPO.TargetKL = 1e6
		rows, _ = runRows(t, cfg)
		if m := rows[len(rows)-1]; m.EarlyStopped || m.Minibatches != 6 {
			t.Errorf("%s: stopped with a target no KL reaches: %+v", est, m)
		}
	}
}

// TestSchedules: a linear schedule gives v·(1 − (u−1)/U) at update u of U
// for the clip range, the entropy weight and the controller's target (the
// learning rate's rule), and the adaptive controller applies the paper's
// rule with the row's own target: beta of row u+1 follows from kl and
// kl_target of row u.
func TestSchedules(t *testing.T) {
	cfg := small()
	cfg.PPO.Objective = configs.ObjectiveClipKL
	cfg.PPO.ClipRangeSchedule, cfg.PPO.EntropyCoefSchedule = configs.ScheduleLinear, configs.ScheduleLinear
	cfg.PPO.EntropyCoef = 0.01
	cfg.KL.Controller.TargetSchedule = configs.ScheduleLinear
	rows, tr := runRows(t, cfg)
	U := float64(tr.Updates())
	for i, m := range rows {
		f := 1 - float64(m.Update-1)/U
		if m.ClipRange != 0.2*f || m.EntropyCoef != 0.01*f || m.KLTarget != 0.01*f || m.LearningRate != cfg.PPO.LearningRate*f {
			t.Errorf("update %d: clip %v ent %v target %v lr %v, want factor %v", m.Update, m.ClipRange, m.EntropyCoef, m.KLTarget, m.LearningRate, f)
		}
		if i+1 < len(rows) {
			p, _ := kl.Preset(kl.PresetSchulman2017)
			want := m.Beta
			switch {
			case m.KL > m.KLTarget*p.HighMult:
				want *= p.UpFactor
			case m.KL < m.KLTarget*p.LowMult:
				want *= p.DownFactor
			}
			want = min(max(want, cfg.KL.Controller.MinBeta), cfg.KL.Controller.MaxBeta)
			if rows[i+1].Beta != want {
				t.Errorf("update %d: beta %v, want %v from kl %v and target %v", m.Update+1, rows[i+1].Beta, want, m.KL, m.KLTarget)
			}
		}
	}
	// Constant schedules leave every value as configured.
	rows, _ = runRows(t, small())
	for _, m := range rows {
		if m.ClipRange != 0.2 || m.EntropyCoef != 0 || m.KLTarget != 0.01 {
			t.Errorf("update %d: constant schedules moved: %+v", m.Update, m)
		}
	}
}

// TestClipScheduleMovesTheLoss: the surrogate reads ε at each run, so a
// clip range set on the minibatch changes the loss of the same batch.
func TestClipScheduleMovesTheLoss(t *testing.T) {
	cfg := small()
	cfg.PPO.Objective = configs.ObjectiveClip
	cfg.TotalTimesteps = 2 * 128
	_, tr := runRows(t, cfg)
	idx := make([]int, 64)
	for i := range idx {
		idx[i] = i
	}
	loss := func(eps float64) float64 {
		mb, err := tr.graph(len(idx))
		if err != nil {
			t.Fatal(err)
		}
		tr.fill(mb, idx, tr.advantages(idx), 1, 0)
		mb.clipRange = eps
		defer mb.vm.Reset()
		defer tr.upd.zeroGrads()
		if err := mb.vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		return scalarOf(mb.pgVal)
	}
	// After two updates the stored batch is one update old: its ratios
	// differ from 1, so a clip range of 1e-6 clips where 10 does not.
	if a, b := loss(10), loss(1e-6); a == b {
		t.Errorf("surrogate %v with ε = 10 and with ε = 1e-6", a)
	}
}

// TestNoStepWarnsOnce: an update that took no gradient step (an early stop
// before the first minibatch) is reported once, naming the cause; an
// update with steps is not.
func TestNoStepWarnsOnce(t *testing.T) {
	var w watch
	p := configs.Default().PPO
	p.TargetKL, p.TargetKLEstimator = 0.02, configs.TargetKLExact
	if got := w.noStep(1, Metrics{Minibatches: 4}, p); got != nil {
		t.Errorf("an update with steps: %v", got)
	}
	got := w.noStep(2, Metrics{Minibatches: 0, EarlyStopped: true}, p)
	if len(got) != 1 || !strings.Contains(got[0], "update 2 took no gradient step") || !strings.Contains(got[0], "before the first minibatch") {
		t.Errorf("first update without a step: %v", got)
	}
	if got := w.noStep(3, Metrics{Minibatches: 0, EarlyStopped: true}, p); got != nil {
		t.Errorf("second update without a step reported again: %v", got)
	}
}
