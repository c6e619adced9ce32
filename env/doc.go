// Package env provides reinforcement-learning environments with Gymnasium's dynamics, a registry and vectorised stepping.
//
// Environments are made by id through a Registry; the package-level Make, MakeVec, Register,
// Lookup and IDs use the default registry, which holds the built-in environments:
//
//	CartPole-v1, Acrobot-v1, MountainCar-v0, MountainCarContinuous-v0, Pendulum-v1  (Gymnasium 1.0.0 classic control)
//	FrozenLake-v1, FrozenLake8x8-v1, CliffWalking-v0, Taxi-v3, Blackjack-v1         (Gymnasium 1.0.0 toy text)
//	GridWorld-v0, Bandit-v0                                                          (this package's own)
//
// The toy-text environments other than Blackjack are tabular: their observation is the state's
// index, their whole dynamics is a Table (TableOf), checked entry by entry against Gymnasium's.
// Taxi-v3 also supplies the allowed actions of each state (MaskerOf). Blackjack's observation
// is a Tuple of three Discrete spaces. Gymnasium's boolean keyword arguments are 0/1 params;
// FrozenLake's map is a text param (Spec.TextParams, WithTextParams).
//
// # Observations
//
// Gymnasium returns float32 observations. The classic-control environments here integrate in
// float64 exactly as Gymnasium does and return float64(float32(v)) for each observed value v, so
// observations equal Gymnasium's bit for bit whenever the float64 states agree. State() reports
// the unrounded float64 internal state (MountainCarContinuous stores float32 values, as Gymnasium does).
// The float64 states can differ from Gymnasium's in the last bits because NumPy's vectorised
// sin and cos round differently from Go's math.Sin and math.Cos (by up to 2 ulp on the reference data).
//
// # Actions
//
// A Discrete action is one float64 holding the index; a non-integer, out-of-range or NaN index, or an
// action of the wrong length, is an error wrapping ErrInvalidAction, never a panic. A Box action
// outside its bounds is accepted and handled as Gymnasium handles it: clipped inside the dynamics
// (MountainCarContinuous's reward uses the raw action; Pendulum's cost uses the clipped torque).
// Non-finite Box actions are errors. Actions are used at float64 precision.
//
// # Episodes
//
// Reset starts an episode, drawing the start state from the environment's own random stream
// (math/rand/v2 PCG, see Config.Source). Step before the first Reset, or after a step that returned
// Terminated or Truncated, returns an error wrapping ErrNeedsReset until Reset is called; Gymnasium
// instead warns and keeps stepping with undefined results. Make wraps every environment with its
// spec's time limit: the step that reaches MaxEpisodeSteps reports Truncated (also when it
// terminates, as Gymnasium's TimeLimit does).
//
// It imports nothing from the module; env/envtest imports env alone.
package env
