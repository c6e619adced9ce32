package env

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// acrobot is Gymnasium 1.0.0's AcrobotEnv with the book dynamics, integrated by one RK4 step
// of dt per action, with no torque noise.
type acrobot struct {
	m1, m2, l1, lc1, lc2, moi, g, dt float64
	maxVel1, maxVel2                 float64

	s [4]float64 // theta1, theta2, dtheta1, dtheta2
}

func acrobotSpec() Spec {
	pi := math.Pi // float64 arithmetic as in Python: 9*pi as a Go constant could round differently
	return Spec{
		ID:  "Acrobot-v1",
		Doc: "swing the tip of a two-link chain above a line by torque -1 (0), 0 (1) or +1 (2) on the joint; -1 per step",
		Params: []Param{
			{"link_length_1", 1.0, "length of link 1 (m)"},
			{"link_mass_1", 1.0, "mass of link 1 (kg)"},
			{"link_mass_2", 1.0, "mass of link 2 (kg)"},
			{"link_com_pos_1", 0.5, "position of link 1's centre of mass (m)"},
			{"link_com_pos_2", 0.5, "position of link 2's centre of mass (m)"},
			{"link_moi", 1.0, "moment of inertia of each link"},
			{"gravity", 9.8, "gravitational acceleration (m/s²)"},
			{"dt", 0.2, "seconds per step"},
			{"max_vel_1", 4 * pi, "bound on |dtheta1| (rad/s)"},
			{"max_vel_2", 9 * pi, "bound on |dtheta2| (rad/s)"},
		},
		MaxEpisodeSteps: 500, RewardThreshold: -100, HasRewardThreshold: true,
		New: newAcrobot,
	}
}

func newAcrobot(cfg Config) (Env, error) {
	p := cfg.Params
	a := &acrobot{
		m1: p["link_mass_1"], m2: p["link_mass_2"], l1: p["link_length_1"], lc1: p["link_com_pos_1"],
		lc2: p["link_com_pos_2"], moi: p["link_moi"], g: p["gravity"], dt: p["dt"],
		maxVel1: p["max_vel_1"], maxVel2: p["max_vel_2"],
	}
	if a.m1 <= 0 || a.m2 <= 0 || a.moi <= 0 || a.dt <= 0 || a.maxVel1 <= 0 || a.maxVel2 <= 0 {
		return nil, fmt.Errorf("masses, moment of inertia, dt and velocity bounds must be positive")
	}
	high := []float64{1, 1, 1, 1, f32(a.maxVel1), f32(a.maxVel2)}
	return newSim(a, Box{Low: negate(high), High: high}, Discrete{3}, cfg), nil
}

func (a *acrobot) reset(rng *rand.Rand) {
	for i := range a.s {
		a.s[i] = f32(uniform(rng, -0.1, 0.1)) // Gymnasium casts the start state to float32
	}
}

// dsdt is the book version of the equations of motion under torque.
func (a *acrobot) dsdt(s [4]float64, torque float64) [4]float64 {
	m1, m2, l1, lc1, lc2, i1, i2, g := a.m1, a.m2, a.l1, a.lc1, a.lc2, a.moi, a.moi, a.g
	theta1, theta2, dtheta1, dtheta2 := s[0], s[1], s[2], s[3]
	pi := math.Pi
	cos2, sin2 := math.Cos(theta2), math.Sin(theta2)
	d1 := m1*(lc1*lc1) + m2*(l1*l1+lc2*lc2+2*l1*lc2*cos2) + i1 + i2
	d2 := m2*(lc2*lc2+l1*lc2*cos2) + i2
	phi2 := m2 * lc2 * g * math.Cos(theta1+theta2-pi/2.0)
	phi1 := -m2*l1*lc2*(dtheta2*dtheta2)*sin2 -
		2*m2*l1*lc2*dtheta2*dtheta1*sin2 +
		(m1*lc1+m2*l1)*g*math.Cos(theta1-pi/2) + phi2
	ddtheta2 := (torque + d2/d1*phi1 - m2*l1*lc2*(dtheta1*dtheta1)*sin2 - phi2) /
		(m2*(lc2*lc2) + i2 - (d2*d2)/d1)
	ddtheta1 := -(d2*ddtheta2 + phi1) / d1
	return [4]float64{dtheta1, dtheta2, ddtheta1, ddtheta2}
}

func (a *acrobot) step(act []float64, _ *rand.Rand) (float64, bool) {
	torque := act[0] - 1 // AVAIL_TORQUE = [-1, 0, +1]
	// One classical RK4 step over [0, dt], in Gymnasium's order of operations.
	dt := a.dt
	dt2 := dt / 2.0
	y0 := a.s
	k1 := a.dsdt(y0, torque)
	k2 := a.dsdt(axpy(dt2, k1, y0), torque)
	k3 := a.dsdt(axpy(dt2, k2, y0), torque)
	k4 := a.dsdt(axpy(dt, k3, y0), torque)
	h := dt / 6.0
	var ns [4]float64
	for i := range ns {
		ns[i] = y0[i] + h*(k1[i]+2*k2[i]+2*k3[i]+k4[i])
	}
	pi := math.Pi
	ns[0] = wrap(ns[0], -pi, pi)
	ns[1] = wrap(ns[1], -pi, pi)
	ns[2] = bound(ns[2], -a.maxVel1, a.maxVel1)
	ns[3] = bound(ns[3], -a.maxVel2, a.maxVel2)
	a.s = ns
	if a.terminal() {
		return 0, true
	}
	return -1, false
}

func (a *acrobot) terminal() bool {
	return -math.Cos(a.s[0])-math.Cos(a.s[1]+a.s[0]) > 1.0
}

func axpy(alpha float64, x, y [4]float64) [4]float64 {
	for i := range y {
		y[i] += alpha * x[i]
	}
	return y
}

// wrap shifts x by multiples of M-m into [m, M], as Gymnasium's wrap does.
func wrap(x, m, M float64) float64 {
	diff := M - m
	if math.Abs(x) > 1e6*diff { // only reachable through SetState; avoids a near-endless loop
		x = m + math.Mod(x-m, diff)
	}
	for x > M {
		x -= diff
	}
	for x < m {
		x += diff
	}
	return x
}

// bound clips x to [m, M] as Python's min(max(x, m), M).
func bound(x, m, M float64) float64 {
	if m > x {
		x = m
	}
	if M < x {
		x = M
	}
	return x
}

func (a *acrobot) observe(obs []float64) {
	s := a.s
	obs[0], obs[1] = f32(math.Cos(s[0])), f32(math.Sin(s[0]))
	obs[2], obs[3] = f32(math.Cos(s[1])), f32(math.Sin(s[1]))
	obs[4], obs[5] = f32(s[2]), f32(s[3])
}

func (a *acrobot) state() []float64 {
	s := a.s
	return s[:]
}

func (a *acrobot) setState(s []float64) error {
	copy(a.s[:], s)
	return nil
}
