package kl

import (
	"fmt"
	"math"
	"sort"
)

// Default clamp for the penalty coefficient, which is also the schema
// default of the config's kl.controller.min_beta and max_beta. Its purpose
// is only to keep beta positive and finite without altering a published
// schedule in practice: at a factor of 2 per update either bound is reached
// from beta = 1 in 14 updates, and left again in as many.
const (
	DefaultMinBeta = 1e-4
	DefaultMaxBeta = 1e4
)

// DefaultTarget is the KL target Preset fills in: 0.01 nats, the middle of
// the targets {0.003, 0.01, 0.03} in Schulman et al. (2017) and RLlib's
// default.
const DefaultTarget = 0.01

// Controller sets the coefficient beta of a KL penalty, loss = -surrogate +
// beta·KL, from the KL measured after each policy update.
type Controller interface {
	// Beta returns the coefficient to use for the next update.
	Beta() float64
	// Update adapts beta to kl, the mean KL measured on n samples. A
	// non-finite kl or a negative n is an error and leaves beta unchanged.
	Update(kl float64, n int) error
}

func checkMeasurement(kl float64, n int) error {
	if math.IsNaN(kl) || math.IsInf(kl, 0) {
		return fmt.Errorf("kl: measured KL is %v, want a finite value", kl)
	}
	if n < 0 {
		return fmt.Errorf("kl: sample count %d is negative", n)
	}
	return nil
}

func checkBeta(beta, lo, hi float64) error {
	if math.IsNaN(beta) || beta < lo || beta > hi {
		return fmt.Errorf("kl: beta %v outside [%v, %v]", beta, lo, hi)
	}
	return nil
}

func checkBounds(lo, hi float64) error {
	if !(lo > 0) || !(hi >= lo) || math.IsInf(hi, 0) {
		return fmt.Errorf("kl: beta bounds [%v, %v] invalid, want 0 < min <= max < +Inf", lo, hi)
	}
	return nil
}

// Fixed keeps beta constant: the fixed-coefficient KL penalty.
type Fixed struct{ beta float64 }

// NewFixed returns a Fixed controller; beta must be finite and >= 0 (0 turns
// the penalty off).
func NewFixed(beta float64) (*Fixed, error) {
	f := &Fixed{}
	if err := f.SetBeta(beta); err != nil {
		return nil, err
	}
	return f, nil
}

// Beta returns the fixed coefficient.
func (f *Fixed) Beta() float64 { return f.beta }

// Update only validates the measurement: a non-finite KL is reported even
// though it would not change beta.
func (f *Fixed) Update(kl float64, n int) error { return checkMeasurement(kl, n) }

// SetBeta sets the coefficient, as when resuming from a checkpoint.
func (f *Fixed) SetBeta(beta float64) error {
	if err := checkBeta(beta, 0, math.MaxFloat64); err != nil {
		return err
	}
	f.beta = beta
	return nil
}

// AdaptiveParams configures the Adaptive controller. After each update with
// measured KL d:
//
//	d > Target·HighMult: beta *= UpFactor
//	d < Target·LowMult:  beta *= DownFactor
//
// and beta is then clamped to [MinBeta, MaxBeta].
type AdaptiveParams struct {
	Target     float64 // KL target, > 0
	HighMult   float64 // upper threshold as a multiple of Target, >= LowMult
	LowMult    float64 // lower threshold as a multiple of Target, > 0
	UpFactor   float64 // factor applied above the band, >= 1
	DownFactor float64 // factor applied below the band, in (0, 1]
	MinBeta    float64 // lower clamp, > 0
	MaxBeta    float64 // upper clamp, finite and >= MinBeta
}

// Names of the published adaptive schedules Preset knows.
const (
	PresetSchulman2017 = "schulman2017"
	PresetModularRL    = "modular_rl"
	PresetRLlib        = "rllib"
)

// presets holds the published adaptive-KL schedules, with the target and
// clamp left for Preset to fill in. It is the one table of their factors:
// the config package resolves its kl.controller.preset through Preset.
var presets = map[string]AdaptiveParams{
	// Schulman et al. (2017), "Proximal Policy Optimization Algorithms",
	// section 4: if d < d_targ/1.5, β ← β/2; if d > d_targ×1.5, β ← β×2.
	PresetSchulman2017: {HighMult: 1.5, LowMult: 1 / 1.5, UpFactor: 2, DownFactor: 0.5},
	// joschu/modular_rl's PPO: kl > 1.3·target → ×1.5, kl < 0.7·target → ÷1.5.
	// Only its β rule: modular_rl's loss also adds a hinge term,
	// η·max(0, KL − 2·target)², which this preset does not.
	PresetModularRL: {HighMult: 1.3, LowMult: 0.7, UpFactor: 1.5, DownFactor: 1 / 1.5},
	// RLlib's PPO: kl > 2·target → ×1.5, kl < 0.5·target → ×0.5.
	PresetRLlib: {HighMult: 2, LowMult: 0.5, UpFactor: 1.5, DownFactor: 0.5},
}

// Preset returns the named adaptive schedule (one of PresetNames) with
// Target = DefaultTarget and the clamp [DefaultMinBeta, DefaultMaxBeta];
// set Target and the clamp to the run's own values.
func Preset(name string) (AdaptiveParams, error) {
	p, ok := presets[name]
	if !ok {
		return AdaptiveParams{}, fmt.Errorf("kl: unknown adaptive preset %q (want one of %v)", name, PresetNames())
	}
	p.Target = DefaultTarget
	p.MinBeta = DefaultMinBeta
	p.MaxBeta = DefaultMaxBeta
	return p, nil
}

// PresetNames returns the names Preset accepts, sorted.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Validate reports the first parameter out of its range.
func (p AdaptiveParams) Validate() error {
	switch {
	case !(p.Target > 0) || math.IsInf(p.Target, 0):
		return fmt.Errorf("kl: adaptive target %v, want finite > 0", p.Target)
	case !(p.LowMult > 0) || math.IsInf(p.LowMult, 0):
		return fmt.Errorf("kl: adaptive low multiple %v, want finite > 0", p.LowMult)
	case !(p.HighMult >= p.LowMult) || math.IsInf(p.HighMult, 0):
		return fmt.Errorf("kl: adaptive high multiple %v, want finite >= low multiple %v", p.HighMult, p.LowMult)
	case !(p.UpFactor >= 1) || math.IsInf(p.UpFactor, 0):
		return fmt.Errorf("kl: adaptive up factor %v, want finite >= 1", p.UpFactor)
	case !(p.DownFactor > 0 && p.DownFactor <= 1):
		return fmt.Errorf("kl: adaptive down factor %v, want in (0, 1]", p.DownFactor)
	}
	return checkBounds(p.MinBeta, p.MaxBeta)
}

// Adaptive is the adaptive KL penalty of Schulman et al. (2017): beta grows
// when the measured KL is well above the target and shrinks when it is well
// below, with a dead band in between.
type Adaptive struct {
	p    AdaptiveParams
	beta float64
}

// NewAdaptive returns an Adaptive controller after validating p; initBeta
// must lie in [p.MinBeta, p.MaxBeta].
func NewAdaptive(p AdaptiveParams, initBeta float64) (*Adaptive, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	a := &Adaptive{p: p}
	if err := a.SetBeta(initBeta); err != nil {
		return nil, err
	}
	return a, nil
}

// Beta returns the current coefficient.
func (a *Adaptive) Beta() float64 { return a.beta }

// Params returns the controller's parameters.
func (a *Adaptive) Params() AdaptiveParams { return a.p }

// Update applies one step of the schedule; n is not used.
func (a *Adaptive) Update(kl float64, n int) error {
	if err := checkMeasurement(kl, n); err != nil {
		return err
	}
	switch {
	case kl > a.p.Target*a.p.HighMult:
		a.beta *= a.p.UpFactor
	case kl < a.p.Target*a.p.LowMult:
		a.beta *= a.p.DownFactor
	}
	a.beta = clamp(a.beta, a.p.MinBeta, a.p.MaxBeta)
	return nil
}

// SetBeta sets the coefficient, as when resuming from a checkpoint; it must
// lie within the clamp.
func (a *Adaptive) SetBeta(beta float64) error {
	if err := checkBeta(beta, a.p.MinBeta, a.p.MaxBeta); err != nil {
		return err
	}
	a.beta = beta
	return nil
}

// Proportional is the proportional controller of Ziegler et al. (2019),
// "Fine-Tuning Language Models from Human Preferences", section 2.2:
//
//	e = clip(KL/target - 1, -0.2, 0.2),  beta ← beta·(1 + e·n/horizon),
//
// clamped to [min, max]. The step is proportional to the number of samples
// n the KL was measured on, so the adaptation rate per sample does not
// depend on the batch size. If n > 5·horizon the factor can reach 0 or
// below, and beta then lands on min.
type Proportional struct {
	target, horizon float64
	min, max        float64
	beta            float64
}

// NewProportional returns a Proportional controller. target and horizon
// must be finite and > 0, 0 < minBeta <= maxBeta < +Inf (DefaultMinBeta and
// DefaultMaxBeta are sensible), and initBeta within them.
func NewProportional(target, horizon, initBeta, minBeta, maxBeta float64) (*Proportional, error) {
	if !(target > 0) || math.IsInf(target, 0) {
		return nil, fmt.Errorf("kl: proportional target %v, want finite > 0", target)
	}
	if !(horizon > 0) || math.IsInf(horizon, 0) {
		return nil, fmt.Errorf("kl: proportional horizon %v, want finite > 0", horizon)
	}
	if err := checkBounds(minBeta, maxBeta); err != nil {
		return nil, err
	}
	p := &Proportional{target: target, horizon: horizon, min: minBeta, max: maxBeta}
	if err := p.SetBeta(initBeta); err != nil {
		return nil, err
	}
	return p, nil
}

// Beta returns the current coefficient.
func (p *Proportional) Beta() float64 { return p.beta }

// Update applies one proportional step for a KL measured on n samples.
func (p *Proportional) Update(kl float64, n int) error {
	if err := checkMeasurement(kl, n); err != nil {
		return err
	}
	e := clamp(kl/p.target-1, -0.2, 0.2)
	p.beta = clamp(p.beta*(1+e*float64(n)/p.horizon), p.min, p.max)
	return nil
}

// SetBeta sets the coefficient, as when resuming from a checkpoint; it must
// lie within the clamp.
func (p *Proportional) SetBeta(beta float64) error {
	if err := checkBeta(beta, p.min, p.max); err != nil {
		return err
	}
	p.beta = beta
	return nil
}

func clamp(x, lo, hi float64) float64 {
	return math.Max(lo, math.Min(hi, x))
}

// checkTarget refuses a target that is not finite and > 0.
func checkTarget(target float64) error {
	if !(target > 0) || math.IsInf(target, 0) {
		return fmt.Errorf("kl: target %v, want finite > 0", target)
	}
	return nil
}

// SetTarget moves the KL the controller steers towards, as a schedule does;
// the thresholds follow it (target·HighMult, target·LowMult).
func (a *Adaptive) SetTarget(target float64) error {
	if err := checkTarget(target); err != nil {
		return err
	}
	a.p.Target = target
	return nil
}

// SetTarget moves the KL the controller steers towards, as a schedule does.
func (p *Proportional) SetTarget(target float64) error {
	if err := checkTarget(target); err != nil {
		return err
	}
	p.target = target
	return nil
}
