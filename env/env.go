package env

import (
	"errors"
	"math/rand/v2"
)

// Env is an episodic environment.
type Env interface {
	// Reset starts an episode, drawing the start state from the env's own random stream,
	// and returns the first observation.
	Reset() ([]float64, error)
	// Step applies one action (a Discrete action is one element: its index).
	Step(action []float64) (StepResult, error)
	ObservationSpace() Space
	ActionSpace() Space
}

// StepResult is the outcome of one Step. Obs belongs to the caller.
type StepResult struct {
	Obs        []float64
	Reward     float64
	Terminated bool // the MDP ended: do not bootstrap
	Truncated  bool // cut off (time limit): bootstrap from V(Obs)
}

// Stateful is implemented by every built-in environment, also when wrapped by Make's time limit.
// The state follows Gymnasium's internal convention (CartPole: x, x_dot, theta, theta_dot;
// Acrobot: theta1, theta2, dtheta1, dtheta2; MountainCar: position, velocity; Pendulum: theta,
// theta_dot) so reference trajectories can be replayed. SetState changes the physical state only:
// it neither starts an episode nor resets the time-limit counter.
type Stateful interface {
	State() []float64
	SetState(s []float64) error
}

var (
	// ErrUnknownEnv is returned for an id that is not registered.
	ErrUnknownEnv = errors.New("env: unknown environment")
	// ErrNeedsReset is returned by Step before the first Reset and after an episode ended.
	ErrNeedsReset = errors.New("env: no episode running, call Reset")
	// ErrInvalidAction is returned for an action of the wrong length or an invalid discrete index.
	ErrInvalidAction = errors.New("env: invalid action")
)

// Option configures Make and MakeVec.
type Option func(*options)

type options struct {
	seed     uint64
	params   map[string]float64
	text     map[string]string
	maxSteps int
	workers  int
}

// WithSeed sets the seed of the environment's own random stream (see Config.Source). The default is 0.
// MakeVec overrides it with the per-env seeds it derives.
func WithSeed(seed uint64) Option { return func(o *options) { o.seed = seed } }

// WithParams sets environment parameters by name (see Spec.Params), making task variants such as
// a longer pole. Unknown names are errors; later options override earlier ones.
func WithParams(p map[string]float64) Option {
	return func(o *options) {
		if o.params == nil {
			o.params = make(map[string]float64, len(p))
		}
		for k, v := range p {
			o.params[k] = v
		}
	}
}

// WithTextParams sets text parameters by name (see Spec.TextParams), such as FrozenLake's map.
// Unknown names are errors; later options override earlier ones.
func WithTextParams(p map[string]string) Option {
	return func(o *options) {
		if o.text == nil {
			o.text = make(map[string]string, len(p))
		}
		for k, v := range p {
			o.text[k] = v
		}
	}
}

// WithMaxEpisodeSteps replaces the spec's time limit by n steps when n > 0, also for an env
// registered without one (such as CliffWalking-v0); n <= 0 keeps the spec's.
func WithMaxEpisodeSteps(n int) Option { return func(o *options) { o.maxSteps = n } }

// WithWorkers makes MakeVec step its environments on k goroutines; results are identical to
// sequential stepping. k <= 1 (the default) steps sequentially, which is faster for cheap envs
// and allocates nothing per step (parallel steps start k goroutines each). Make ignores it.
func WithWorkers(k int) Option { return func(o *options) { o.workers = k } }

func collect(opts []Option) options {
	var o options
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	return o
}

// Config is what a Spec's constructor receives.
type Config struct {
	// Seed seeds the environment's random stream.
	Seed uint64
	// Params holds every parameter the spec declares: the defaults overridden by WithParams.
	Params map[string]float64
	// Text holds every text parameter the spec declares: the defaults overridden by WithTextParams.
	Text map[string]string
}

// seedStream is the PCG stream constant shared by all environments' random sources.
const seedStream = 0x9e3779b97f4a7c15

// Source returns the environment's random stream, rand.NewPCG(Seed, 0x9e3779b97f4a7c15).
// Environments should draw everything random from it (and serialise it with MarshalBinary),
// so that the same seed gives the same episodes.
func (c Config) Source() *rand.PCG { return rand.NewPCG(c.Seed, seedStream) }
