package kl

import (
	"math"
	"testing"
)

type step struct {
	kl   float64
	n    int
	beta float64 // expected beta after the update
}

func replay(t *testing.T, name string, c Controller, steps []step) {
	t.Helper()
	for i, s := range steps {
		if err := c.Update(s.kl, s.n); err != nil {
			t.Fatalf("%s step %d: %v", name, i, err)
		}
		// Hand-worked values are decimal; the controller's products round
		// once per step, so 1e-14 relative allows a few ulps per step.
		if got := c.Beta(); math.Abs(got-s.beta) > 1e-14*s.beta {
			t.Errorf("%s step %d (kl %v): beta %.17g, want %.17g", name, i, s.kl, got, s.beta)
		}
	}
}

func mustAdaptive(t *testing.T, preset string, target, init float64, edit func(*AdaptiveParams)) *Adaptive {
	t.Helper()
	p, err := Preset(preset)
	if err != nil {
		t.Fatal(err)
	}
	p.Target = target
	if edit != nil {
		edit(&p)
	}
	a, err := NewAdaptive(p, init)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAdaptiveTrajectories(t *testing.T) {
	// schulman2017, target 0.01: band (0.00667, 0.015), ×2 above, ÷2 below.
	replay(t, "schulman2017", mustAdaptive(t, "schulman2017", 0.01, 1, nil), []step{
		{0.02, 100, 2},    // > 0.015
		{0.016, 100, 4},   // > 0.015
		{0.012, 100, 4},   // in band
		{0.0068, 100, 4},  // in band, just above 0.00667
		{0.006, 100, 2},   // < 0.00667
		{0.001, 100, 1},   // < 0.00667
		{-0.003, 100, .5}, // a negative sample estimate is below the band
	})
	// The thresholds are strict: with target 0.5 they are exactly 0.75 and
	// 1/3 rounded; a KL at 0.75 changes nothing.
	replay(t, "schulman2017 boundary", mustAdaptive(t, "schulman2017", 0.5, 1, nil), []step{
		{0.75, 1, 1}, {0.7500001, 1, 2}, {0.5 / 1.5, 1, 2}, {0.3333, 1, 1},
	})
	// modular_rl, target 0.02: band (0.014, 0.026), ×1.5 and ÷1.5.
	replay(t, "modular_rl", mustAdaptive(t, "modular_rl", 0.02, 1, nil), []step{
		{0.03, 1, 1.5}, {0.027, 1, 2.25}, {0.02, 1, 2.25}, {0.01, 1, 1.5}, {0.0139, 1, 1},
	})
	// rllib, target 0.01, initial 0.2 (RLlib's kl_coeff default): band
	// (0.005, 0.02), ×1.5 above, ×0.5 below.
	replay(t, "rllib", mustAdaptive(t, "rllib", 0.01, 0.2, nil), []step{
		{0.03, 1, 0.3}, {0.021, 1, 0.45}, {0.01, 1, 0.45}, {0.004, 1, 0.225}, {0.0049, 1, 0.1125},
	})
	// Clamp to [0.25, 4].
	replay(t, "clamped", mustAdaptive(t, "schulman2017", 0.01, 1, func(p *AdaptiveParams) { p.MinBeta, p.MaxBeta = 0.25, 4 }), []step{
		{1, 1, 2}, {1, 1, 4}, {1, 1, 4}, {0, 1, 2}, {0, 1, 1}, {0, 1, 0.5}, {0, 1, 0.25}, {0, 1, 0.25}, {1, 1, 0.5},
	})
}

func TestProportionalTrajectory(t *testing.T) {
	// Ziegler et al. (2019) with target 6 and horizon 10000, n = 256 per
	// update, so n/horizon = 0.0256:
	//   7.2: e = 0.2            → 0.2·1.00512          = 0.201024
	//   3:   e = -0.5 → -0.2    → 0.201024·0.99488     = 0.19999475712
	//   6.3: e = 0.05           → 0.19999475712·1.00128 = 0.2002507504091136
	//   n = 0 changes nothing.
	p, err := NewProportional(6, 10000, 0.2, DefaultMinBeta, DefaultMaxBeta)
	if err != nil {
		t.Fatal(err)
	}
	replay(t, "proportional", p, []step{
		{7.2, 256, 0.201024}, {3, 256, 0.19999475712}, {6.3, 256, 0.2002507504091136}, {100, 0, 0.2002507504091136},
	})
	// Clamp, and a multiplier that goes negative (n = 6·horizon, e = -0.2:
	// 1 - 1.2 < 0) lands on the minimum instead of a negative beta.
	q, err := NewProportional(1, 100, 1, 0.5, 1.1)
	if err != nil {
		t.Fatal(err)
	}
	replay(t, "proportional clamp", q, []step{
		{2, 100, 1.1}, {2, 100, 1.1}, {0, 100, 0.88}, {0, 600, 0.5},
	})
}

func TestControllerErrors(t *testing.T) {
	fixed, err := NewFixed(0.3)
	if err != nil {
		t.Fatal(err)
	}
	prop, err := NewProportional(0.01, 1000, 1, DefaultMinBeta, DefaultMaxBeta)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]Controller{
		"fixed":        fixed,
		"adaptive":     mustAdaptive(t, "rllib", 0.01, 1, nil),
		"proportional": prop,
	} {
		before := c.Beta()
		for _, bad := range []struct {
			kl float64
			n  int
		}{{math.NaN(), 10}, {math.Inf(1), 10}, {math.Inf(-1), 10}, {0.01, -1}} {
			if err := c.Update(bad.kl, bad.n); err == nil {
				t.Errorf("%s: Update(%v, %d) accepted", name, bad.kl, bad.n)
			}
			if c.Beta() != before {
				t.Errorf("%s: beta changed to %v by a rejected update", name, c.Beta())
			}
		}
	}
	if err := fixed.Update(5, 10); err != nil || fixed.Beta() != 0.3 {
		t.Errorf("fixed: Update = %v, beta %v", err, fixed.Beta())
	}
	for _, b := range []float64{-1, math.NaN(), math.Inf(1)} {
		if _, err := NewFixed(b); err == nil {
			t.Errorf("NewFixed(%v) accepted", b)
		}
	}
	if f, err := NewFixed(0); err != nil || f.Beta() != 0 {
		t.Errorf("NewFixed(0) = %v, %v; want beta 0 (penalty off)", f, err)
	}

	good, _ := Preset("schulman2017")
	for name, edit := range map[string]func(*AdaptiveParams){
		"target 0":        func(p *AdaptiveParams) { p.Target = 0 },
		"target NaN":      func(p *AdaptiveParams) { p.Target = math.NaN() },
		"low 0":           func(p *AdaptiveParams) { p.LowMult = 0 },
		"high < low":      func(p *AdaptiveParams) { p.HighMult = 0.5 * p.LowMult },
		"up < 1":          func(p *AdaptiveParams) { p.UpFactor = 0.9 },
		"down > 1":        func(p *AdaptiveParams) { p.DownFactor = 1.1 },
		"down 0":          func(p *AdaptiveParams) { p.DownFactor = 0 },
		"min 0":           func(p *AdaptiveParams) { p.MinBeta = 0 },
		"max < min":       func(p *AdaptiveParams) { p.MaxBeta = p.MinBeta / 2 },
		"max Inf":         func(p *AdaptiveParams) { p.MaxBeta = math.Inf(1) },
		"zero value":      func(p *AdaptiveParams) { *p = AdaptiveParams{} },
		"missing targets": func(p *AdaptiveParams) { p.Target, p.HighMult = 0, 0 },
	} {
		p := good
		edit(&p)
		if _, err := NewAdaptive(p, 1); err == nil {
			t.Errorf("NewAdaptive with %s accepted", name)
		}
	}
	if _, err := NewAdaptive(good, 1e7); err == nil {
		t.Error("NewAdaptive with beta above the clamp accepted")
	}
	for _, args := range [][5]float64{
		{0, 100, 1, 0.1, 10}, {1, 0, 1, 0.1, 10}, {1, 100, 20, 0.1, 10}, {1, 100, 1, 0, 10},
		{1, 100, 1, 10, 1}, {math.NaN(), 100, 1, 0.1, 10}, {1, math.Inf(1), 1, 0.1, 10},
	} {
		if _, err := NewProportional(args[0], args[1], args[2], args[3], args[4]); err == nil {
			t.Errorf("NewProportional%v accepted", args)
		}
	}
}

func TestSetBeta(t *testing.T) {
	a := mustAdaptive(t, "schulman2017", 0.01, 1, nil)
	if err := a.SetBeta(3.5); err != nil || a.Beta() != 3.5 {
		t.Errorf("SetBeta(3.5): %v, beta %v", err, a.Beta())
	}
	if err := a.SetBeta(DefaultMaxBeta * 2); err == nil || a.Beta() != 3.5 {
		t.Errorf("SetBeta above max: %v, beta %v", err, a.Beta())
	}
	p, _ := NewProportional(1, 10, 1, 0.5, 2)
	if err := p.SetBeta(0.4); err == nil || p.Beta() != 1 {
		t.Errorf("Proportional SetBeta below min: %v, beta %v", err, p.Beta())
	}
	f, _ := NewFixed(1)
	if err := f.SetBeta(math.NaN()); err == nil || f.Beta() != 1 {
		t.Errorf("Fixed SetBeta(NaN): %v, beta %v", err, f.Beta())
	}
}

func TestPresets(t *testing.T) {
	want := map[string]AdaptiveParams{
		"schulman2017": {DefaultTarget, 1.5, 1 / 1.5, 2, 0.5, DefaultMinBeta, DefaultMaxBeta},
		"modular_rl":   {DefaultTarget, 1.3, 0.7, 1.5, 1 / 1.5, DefaultMinBeta, DefaultMaxBeta},
		"rllib":        {DefaultTarget, 2, 0.5, 1.5, 0.5, DefaultMinBeta, DefaultMaxBeta},
	}
	names := PresetNames()
	if len(names) != len(want) {
		t.Errorf("PresetNames = %v", names)
	}
	for _, n := range names {
		p, err := Preset(n)
		if err != nil || p != want[n] {
			t.Errorf("Preset(%q) = %+v, %v; want %+v", n, p, err, want[n])
		}
		if err := p.Validate(); err != nil {
			t.Errorf("Preset(%q) invalid: %v", n, err)
		}
	}
	if _, err := Preset("ppo"); err == nil {
		t.Error("unknown preset accepted")
	}
}

// TestSetTarget: a moved target moves the adaptive thresholds and the
// proportional error with it; a target that is not finite and > 0 is
// refused and leaves the controller as it was.
func TestSetTarget(t *testing.T) {
	a, _ := NewAdaptive(AdaptiveParams{Target: 0.01, HighMult: 1.5, LowMult: 1 / 1.5, UpFactor: 2, DownFactor: 0.5, MinBeta: 1e-4, MaxBeta: 1e4}, 1)
	if err := a.SetTarget(0.001); err != nil {
		t.Fatal(err)
	}
	a.Update(0.005, 1) // above 1.5 × 0.001, inside the old band
	if a.Beta() != 2 {
		t.Errorf("beta %v after KL 0.005 with target 0.001, want 2", a.Beta())
	}
	p, _ := NewProportional(0.01, 100, 1, 1e-4, 1e4)
	p.SetTarget(0.02)
	p.Update(0.02, 10) // on target: no change
	if p.Beta() != 1 {
		t.Errorf("proportional beta %v on target, want 1", p.Beta())
	}
	for _, bad := range []float64{0, -1, math.Inf(1), math.NaN()} {
		if a.SetTarget(bad) == nil || p.SetTarget(bad) == nil {
			t.Errorf("SetTarget(%v) accepted", bad)
		}
	}
	if a.Params().Target != 0.001 {
		t.Errorf("refused target changed the controller: %v", a.Params().Target)
	}
}
