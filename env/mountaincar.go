package env

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// mountainCar is Gymnasium 1.0.0's MountainCarEnv (discrete actions).
type mountainCar struct {
	force, gravity, maxSpeed, goalVelocity float64

	position, velocity float64
}

const (
	mcMinPosition = -1.2
	mcMaxPosition = 0.6
)

func mountainCarSpec() Spec {
	return Spec{
		ID:  "MountainCar-v0",
		Doc: "drive an underpowered car up a hill: accelerate left (0), not (1) or right (2); -1 per step",
		Params: []Param{
			{"force", 0.001, "acceleration per unit of action"},
			{"gravity", 0.0025, "gravity term"},
			{"max_speed", 0.07, "bound on |velocity|"},
			{"goal_velocity", 0, "velocity needed at the goal"},
		},
		MaxEpisodeSteps: 200, RewardThreshold: -110, HasRewardThreshold: true,
		New: newMountainCar,
	}
}

func newMountainCar(cfg Config) (Env, error) {
	p := cfg.Params
	m := &mountainCar{force: p["force"], gravity: p["gravity"], maxSpeed: p["max_speed"], goalVelocity: p["goal_velocity"]}
	if m.maxSpeed <= 0 {
		return nil, fmt.Errorf("max_speed must be positive")
	}
	obs := Box{Low: []float64{f32(mcMinPosition), f32(-m.maxSpeed)}, High: []float64{f32(mcMaxPosition), f32(m.maxSpeed)}}
	return newSim(m, obs, Discrete{3}, cfg), nil
}

func (m *mountainCar) reset(rng *rand.Rand) {
	m.position, m.velocity = uniform(rng, -0.6, -0.4), 0
}

func (m *mountainCar) step(a []float64, _ *rand.Rand) (float64, bool) {
	m.velocity += (a[0]-1)*m.force + math.Cos(3*m.position)*(-m.gravity)
	m.velocity = clip(m.velocity, -m.maxSpeed, m.maxSpeed)
	m.position += m.velocity
	m.position = clip(m.position, mcMinPosition, mcMaxPosition)
	if m.position == mcMinPosition && m.velocity < 0 {
		m.velocity = 0
	}
	return -1, m.position >= 0.5 && m.velocity >= m.goalVelocity
}

func (m *mountainCar) observe(obs []float64) { obs[0], obs[1] = f32(m.position), f32(m.velocity) }

func (m *mountainCar) state() []float64 { return []float64{m.position, m.velocity} }

func (m *mountainCar) setState(s []float64) error {
	setTo(s, &m.position, &m.velocity)
	return nil
}

// clip is np.clip for scalars.
func clip(x, lo, hi float64) float64 { return math.Min(math.Max(x, lo), hi) }

// mountainCarContinuous is Gymnasium 1.0.0's Continuous_MountainCarEnv. Its state is stored as
// float32 after each step, as Gymnasium does; the force is the action clipped to [-1, 1] while the
// reward penalises the raw action: -0.1·a², plus 100 on reaching the goal.
type mountainCarContinuous struct {
	power, goalVelocity float64

	position, velocity float64
}

func mountainCarContinuousSpec() Spec {
	return Spec{
		ID:  "MountainCarContinuous-v0",
		Doc: "drive an underpowered car up a hill with a force in [-1, 1]; +100 at the goal, -0.1·a² per step",
		Params: []Param{
			{"power", 0.0015, "acceleration per unit of force"},
			{"goal_velocity", 0, "velocity needed at the goal"},
		},
		MaxEpisodeSteps: 999, RewardThreshold: 90, HasRewardThreshold: true,
		New: newMountainCarContinuous,
	}
}

const (
	mccMaxSpeed     = 0.07
	mccGoalPosition = 0.45
)

func newMountainCarContinuous(cfg Config) (Env, error) {
	p := cfg.Params
	m := &mountainCarContinuous{power: p["power"], goalVelocity: p["goal_velocity"]}
	obs := Box{Low: []float64{f32(mcMinPosition), f32(-mccMaxSpeed)}, High: []float64{f32(mcMaxPosition), f32(mccMaxSpeed)}}
	act := Box{Low: []float64{-1}, High: []float64{1}}
	return newSim(m, obs, act, cfg), nil
}

func (m *mountainCarContinuous) reset(rng *rand.Rand) {
	m.position, m.velocity = uniform(rng, -0.6, -0.4), 0
}

func (m *mountainCarContinuous) step(a []float64, _ *rand.Rand) (float64, bool) {
	force := math.Min(math.Max(a[0], -1), 1)
	m.velocity += force*m.power - 0.0025*math.Cos(3*m.position)
	if m.velocity > mccMaxSpeed {
		m.velocity = mccMaxSpeed
	}
	if m.velocity < -mccMaxSpeed {
		m.velocity = -mccMaxSpeed
	}
	m.position += m.velocity
	if m.position > mcMaxPosition {
		m.position = mcMaxPosition
	}
	if m.position < mcMinPosition {
		m.position = mcMinPosition
	}
	if m.position == mcMinPosition && m.velocity < 0 {
		m.velocity = 0
	}
	terminated := m.position >= mccGoalPosition && m.velocity >= m.goalVelocity
	reward := 0.0
	if terminated {
		reward = 100
	}
	// The explicit conversions keep the compiler from fusing into an FMA, which would round differently.
	reward -= float64(float64(a[0]*a[0]) * 0.1)
	m.position, m.velocity = f32(m.position), f32(m.velocity)
	return reward, terminated
}

func (m *mountainCarContinuous) observe(obs []float64) {
	obs[0], obs[1] = f32(m.position), f32(m.velocity)
}

func (m *mountainCarContinuous) state() []float64 { return []float64{m.position, m.velocity} }

func (m *mountainCarContinuous) setState(s []float64) error {
	setTo(s, &m.position, &m.velocity)
	return nil
}
