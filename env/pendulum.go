package env

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// pendulum is Gymnasium 1.0.0's PendulumEnv: swing up and hold a pendulum with a bounded torque.
type pendulum struct {
	maxSpeed, maxTorque, dt, g, m, l float64

	theta, thetaDot float64
}

func pendulumSpec() Spec {
	return Spec{
		ID:  "Pendulum-v1",
		Doc: "swing a pendulum upright with a torque in [-2, 2]; reward -(θ² + 0.1·θ̇² + 0.001·u²)",
		Params: []Param{
			{"g", 10.0, "gravitational acceleration (m/s²)"},
			{"m", 1.0, "mass (kg)"},
			{"l", 1.0, "length (m)"},
			{"dt", 0.05, "seconds per step"},
			{"max_speed", 8, "bound on |theta_dot| (rad/s)"},
			{"max_torque", 2.0, "bound on |u|; the action space is [-max_torque, max_torque]"},
		},
		MaxEpisodeSteps: 200,
		New:             newPendulum,
	}
}

func newPendulum(cfg Config) (Env, error) {
	p := cfg.Params
	e := &pendulum{maxSpeed: p["max_speed"], maxTorque: p["max_torque"], dt: p["dt"], g: p["g"], m: p["m"], l: p["l"]}
	if e.maxSpeed <= 0 || e.maxTorque <= 0 || e.dt <= 0 || e.m <= 0 || e.l <= 0 {
		return nil, fmt.Errorf("max_speed, max_torque, dt, m and l must be positive")
	}
	high := []float64{1, 1, f32(e.maxSpeed)}
	act := Box{Low: []float64{f32(-e.maxTorque)}, High: []float64{f32(e.maxTorque)}}
	return newSim(e, Box{Low: negate(high), High: high}, act, cfg), nil
}

func (p *pendulum) reset(rng *rand.Rand) {
	pi := math.Pi
	p.theta, p.thetaDot = uniform(rng, -pi, pi), uniform(rng, -1, 1)
}

func (p *pendulum) step(a []float64, _ *rand.Rand) (float64, bool) {
	th, thdot := p.theta, p.thetaDot
	u := clip(a[0], -p.maxTorque, p.maxTorque)
	an := angleNormalize(th)
	// The explicit conversions keep the compiler from fusing into FMAs, which would round differently.
	costs := float64(an*an) + float64(0.1*float64(thdot*thdot))
	costs = costs + float64(0.001*float64(u*u))
	newthdot := thdot + (3*p.g/(2*p.l)*math.Sin(th)+3.0/(p.m*(p.l*p.l))*u)*p.dt
	newthdot = clip(newthdot, -p.maxSpeed, p.maxSpeed)
	p.theta = th + newthdot*p.dt
	p.thetaDot = newthdot
	return -costs, false
}

// angleNormalize maps x into [-pi, pi) with Python's floored modulo: ((x + pi) % (2 pi)) - pi.
func angleNormalize(x float64) float64 {
	pi := math.Pi
	return pyMod(x+pi, 2*pi) - pi
}

// pyMod is Python's (and NumPy's) float modulo: the result has the sign of b, unlike math.Mod.
func pyMod(a, b float64) float64 {
	m := math.Mod(a, b)
	if m != 0 {
		if (b < 0) != (m < 0) {
			m += b
		}
	} else {
		m = math.Copysign(0, b)
	}
	return m
}

func (p *pendulum) observe(obs []float64) {
	obs[0], obs[1], obs[2] = f32(math.Cos(p.theta)), f32(math.Sin(p.theta)), f32(p.thetaDot)
}

func (p *pendulum) state() []float64 { return []float64{p.theta, p.thetaDot} }

func (p *pendulum) setState(s []float64) error {
	setTo(s, &p.theta, &p.thetaDot)
	return nil
}
