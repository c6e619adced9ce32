package env

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// cartPole is Gymnasium 1.0.0's CartPoleEnv (Barto, Sutton & Anderson) with Euler integration.
type cartPole struct {
	gravity, masscart, masspole, length, forceMag, tau float64
	xThreshold, thetaThreshold                         float64

	reversed bool // reverse_actions: the controls are swapped, a task that conflicts with the original

	x, xDot, theta, thetaDot float64
}

func cartPoleSpec() Spec {
	return Spec{
		ID:  "CartPole-v1",
		Doc: "balance a pole on a cart by pushing it left (0) or right (1); +1 per step",
		Params: []Param{
			{"gravity", 9.8, "gravitational acceleration (m/s²)"},
			{"masscart", 1.0, "cart mass (kg)"},
			{"masspole", 0.1, "pole mass (kg)"},
			{"length", 0.5, "half the pole's length (m)"},
			{"force_mag", 10.0, "magnitude of the push (N)"},
			{"tau", 0.02, "seconds per step"},
			{"x_threshold", 2.4, "|x| beyond which the episode terminates (m)"},
			{"theta_threshold_radians", cartPoleTheta(), "|theta| beyond which the episode terminates (rad)"},
			{"reverse_actions", 0, "1 swaps the actions (0 pushes right, 1 left); 0 or 1"},
		},
		MaxEpisodeSteps: 500, RewardThreshold: 475, HasRewardThreshold: true,
		New: newCartPole,
	}
}

// cartPoleTheta is Gymnasium's 12 * 2 * math.pi / 360 evaluated in float64 steps (a Go constant
// expression would be exact and could round differently).
func cartPoleTheta() float64 {
	pi := math.Pi
	return 12 * 2 * pi / 360
}

func newCartPole(cfg Config) (Env, error) {
	p := cfg.Params
	c := &cartPole{
		gravity: p["gravity"], masscart: p["masscart"], masspole: p["masspole"], length: p["length"],
		forceMag: p["force_mag"], tau: p["tau"], xThreshold: p["x_threshold"], thetaThreshold: p["theta_threshold_radians"],
	}
	switch p["reverse_actions"] {
	case 0:
	case 1:
		c.reversed = true
	default:
		return nil, fmt.Errorf("reverse_actions must be 0 or 1, got %v", p["reverse_actions"])
	}
	if c.masscart+c.masspole <= 0 || c.length <= 0 || c.tau <= 0 || c.xThreshold <= 0 || c.thetaThreshold <= 0 {
		return nil, fmt.Errorf("total mass, length, tau and thresholds must be positive")
	}
	inf := math.Inf(1)
	high := []float64{f32(c.xThreshold * 2), inf, f32(c.thetaThreshold * 2), inf}
	obs := Box{Low: negate(high), High: high}
	return newSim(c, obs, Discrete{2}, cfg), nil
}

func (c *cartPole) reset(rng *rand.Rand) {
	c.x, c.xDot, c.theta, c.thetaDot = uniform(rng, -0.05, 0.05), uniform(rng, -0.05, 0.05),
		uniform(rng, -0.05, 0.05), uniform(rng, -0.05, 0.05)
}

func (c *cartPole) step(a []float64, _ *rand.Rand) (float64, bool) {
	force := -c.forceMag
	if (a[0] == 1) != c.reversed {
		force = c.forceMag
	}
	totalMass := c.masspole + c.masscart
	polemassLength := c.masspole * c.length
	cos, sin := math.Cos(c.theta), math.Sin(c.theta)
	temp := (force + polemassLength*(c.thetaDot*c.thetaDot)*sin) / totalMass
	thetaacc := (c.gravity*sin - cos*temp) / (c.length * (4.0/3.0 - c.masspole*(cos*cos)/totalMass))
	xacc := temp - polemassLength*thetaacc*cos/totalMass
	c.x += c.tau * c.xDot
	c.xDot += c.tau * xacc
	c.theta += c.tau * c.thetaDot
	c.thetaDot += c.tau * thetaacc
	terminated := c.x < -c.xThreshold || c.x > c.xThreshold ||
		c.theta < -c.thetaThreshold || c.theta > c.thetaThreshold
	return 1, terminated
}

func (c *cartPole) observe(obs []float64) {
	obs[0], obs[1], obs[2], obs[3] = f32(c.x), f32(c.xDot), f32(c.theta), f32(c.thetaDot)
}

func (c *cartPole) state() []float64 { return []float64{c.x, c.xDot, c.theta, c.thetaDot} }

func (c *cartPole) setState(s []float64) error {
	setTo(s, &c.x, &c.xDot, &c.theta, &c.thetaDot)
	return nil
}

func negate(x []float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = -v
	}
	return y
}
