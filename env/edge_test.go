package env

import (
	"errors"
	"math"
	"slices"
	"testing"
)

// started makes id, resets it and sets its state.
func started(t *testing.T, id string, state []float64, opts ...Option) Env {
	t.Helper()
	e, err := Make(id, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Reset(); err != nil {
		t.Fatal(err)
	}
	if state != nil {
		if err := e.(Stateful).SetState(state); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func mustStep(t *testing.T, e Env, a ...float64) StepResult {
	t.Helper()
	res, err := e.Step(a)
	if err != nil {
		t.Fatalf("Step(%v): %v", a, err)
	}
	return res
}

// TestEdgeCases checks boundary behaviour of each environment from hand-computed expectations.
func TestEdgeCases(t *testing.T) {
	pi := math.Pi
	tests := []struct {
		name   string
		id     string
		state  []float64
		action []float64
		// wantState checks the state after the step; nil entries are not checked.
		wantState  []*float64
		wantReward float64
		rewardTol  float64
		terminated bool
	}{
		{"cartpole right wall", "CartPole-v1", []float64{2.39, 1, 0, 0}, []float64{1},
			vals(2.39+0.02*1, nan(), nan(), nan()), 1, 0, true},
		{"cartpole left wall", "CartPole-v1", []float64{-2.39, -1, 0, 0}, []float64{0},
			vals(-2.39-0.02*1, nan(), nan(), nan()), 1, 0, true},
		{"cartpole pole falls", "CartPole-v1", []float64{0, 0, 0.2, 1}, []float64{0},
			vals(0, nan(), 0.2+0.02, nan()), 1, 0, true},
		{"cartpole inside", "CartPole-v1", []float64{2.3, 1, 0.2, 0}, []float64{1},
			vals(2.32, nan(), 0.2, nan()), 1, 0, false},
		// v = 0 + (0-1)*0.001 + cos(0)*(-0.0025) = -0.0035 would not clip; from -0.0695 it does.
		{"mountaincar velocity clip", "MountainCar-v0", []float64{0, -0.0695}, []float64{0},
			vals(-0.07, -0.07), -1, 0, false},
		{"mountaincar left wall stops", "MountainCar-v0", []float64{-1.19, -0.05}, []float64{0},
			vals(-1.2, 0), -1, 0, false},
		{"mountaincar goal", "MountainCar-v0", []float64{0.49, 0.02}, []float64{2},
			vals(nan(), nan()), -1, 0, true},
		// Force clipped to 1 in the dynamics, reward from the raw action: -0.1·5² = -2.5.
		{"mcc action clipped in dynamics", "MountainCarContinuous-v0", []float64{-0.5, 0}, []float64{5},
			vals(f32(-0.5+(0.0015-0.0025*math.Cos(-1.5))), f32(0.0015-0.0025*math.Cos(-1.5))), -2.5, 0, false},
		{"mcc goal pays 100 minus action cost", "MountainCarContinuous-v0", []float64{0.44, 0.03}, []float64{-0.5},
			vals(nan(), nan()), 100 - 0.1*0.25, 1e-12, true},
		// angle_normalize(-4) = ((-4+pi) mod 2pi) - pi = 2pi - 4 with Python's floored modulo;
		// C's fmod (math.Mod) would give -4 and a cost of 16.
		{"pendulum python modulo", "Pendulum-v1", []float64{-4, 0}, []float64{0},
			vals(nan(), nan()), -(2*pi - 4) * (2*pi - 4), 1e-12, false},
		{"pendulum wraps positive", "Pendulum-v1", []float64{2*pi + 0.5, 0}, []float64{0},
			vals(nan(), nan()), -0.25, 1e-12, false},
		// The cost uses the clipped torque: u = 5 costs as u = 2.
		{"pendulum torque clipped in cost", "Pendulum-v1", []float64{0, 0}, []float64{5},
			vals(0.05*0.05*6, 0.05*6), -0.001 * 4, 1e-15, false},
		{"pendulum speed clip", "Pendulum-v1", []float64{0, 7.99}, []float64{2},
			vals(0.4, 8), -0.1*7.99*7.99 - 0.004, 1e-12, false},
		{"acrobot starts at goal", "Acrobot-v1", []float64{pi, 0, 0, 0}, []float64{1},
			vals(nan(), nan(), nan(), nan()), 0, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := started(t, tc.id, tc.state)
			res := mustStep(t, e, tc.action...)
			got := e.(Stateful).State()
			for i, w := range tc.wantState {
				if w != nil && math.Abs(got[i]-*w) > 1e-12 {
					t.Errorf("state %v, want %v at %d", got, *w, i)
				}
			}
			if math.Abs(res.Reward-tc.wantReward) > tc.rewardTol {
				t.Errorf("reward %.17g, want %.17g", res.Reward, tc.wantReward)
			}
			if res.Terminated != tc.terminated || res.Truncated {
				t.Errorf("terminated, truncated = %v, %v; want %v, false", res.Terminated, res.Truncated, tc.terminated)
			}
			for i, v := range res.Obs {
				if v != f32(v) {
					t.Errorf("observation %d = %v is not a float32 value", i, v)
				}
			}
		})
	}
}

func nan() float64 { return math.NaN() }

// vals lists expected values; NaN means "not checked".
func vals(v ...float64) []*float64 {
	p := make([]*float64, len(v))
	for i := range v {
		if !math.IsNaN(v[i]) {
			p[i] = &v[i]
		}
	}
	return p
}

// TestAcrobotBoundsVelocities: from absurd speeds the velocities come out exactly at ±4pi and ±9pi.
func TestAcrobotBoundsVelocities(t *testing.T) {
	pi := math.Pi
	e := started(t, "Acrobot-v1", []float64{0, 0, 100, -100})
	mustStep(t, e, 1)
	s := e.(Stateful).State()
	if math.Abs(s[2]) != 4*pi || math.Abs(s[3]) != 9*pi {
		t.Errorf("velocities %v, want magnitudes 4pi and 9pi", s[2:])
	}
}

func TestAcrobotWrapsAngles(t *testing.T) {
	pi := math.Pi
	e := started(t, "Acrobot-v1", []float64{pi - 0.01, -pi + 0.01, 3, -3})
	mustStep(t, e, 1)
	s := e.(Stateful).State()
	// theta1 moves forward by about 0.6 past pi and must come back near -pi; theta2 the other way.
	if !(s[0] >= -pi && s[0] < -pi+1) || !(s[1] <= pi && s[1] > pi-1) {
		t.Errorf("angles %v not wrapped into [-pi, pi]", s[:2])
	}
	if got := wrap(3*pi, -pi, pi); math.Abs(got-pi) > 1e-15 {
		t.Errorf("wrap(3pi) = %v, want pi", got)
	}
	if got := wrap(1e300, -pi, pi); !(got >= -pi && got <= pi) {
		t.Errorf("wrap(1e300) = %v, want a value in [-pi, pi] without looping forever", got)
	}
}

func TestPyMod(t *testing.T) {
	for _, tc := range []struct{ a, b, want float64 }{
		{-1, 3, 2}, {1, -3, -2}, {7, 3, 1}, {-7, -3, -1}, {6, 3, 0}, {-6, 3, 0}, {-0.5, 2 * math.Pi, 2*math.Pi - 0.5},
	} {
		got := pyMod(tc.a, tc.b)
		if got != tc.want || math.Signbit(got) != math.Signbit(tc.b) && got == 0 {
			t.Errorf("pyMod(%v, %v) = %v, want %v with the sign of b", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestInvalidActions(t *testing.T) {
	for _, tc := range []struct {
		id string
		a  []float64
	}{
		{"CartPole-v1", nil}, {"CartPole-v1", []float64{0, 1}}, {"CartPole-v1", []float64{2}},
		{"CartPole-v1", []float64{-1}}, {"CartPole-v1", []float64{0.5}}, {"CartPole-v1", []float64{math.NaN()}},
		{"Acrobot-v1", []float64{3}}, {"GridWorld-v0", []float64{4}}, {"Bandit-v0", []float64{10}},
		{"Pendulum-v1", []float64{}}, {"Pendulum-v1", []float64{0, 0}}, {"Pendulum-v1", []float64{math.NaN()}},
		{"MountainCarContinuous-v0", []float64{math.Inf(1)}},
	} {
		e := started(t, tc.id, nil)
		if _, err := e.Step(tc.a); !errors.Is(err, ErrInvalidAction) {
			t.Errorf("%s: Step(%v) error %v, want ErrInvalidAction", tc.id, tc.a, err)
		}
		if e.ActionSpace().Contains(tc.a) {
			t.Errorf("%s: %v contains invalid action %v", tc.id, e.ActionSpace(), tc.a)
		}
		// The episode goes on after a rejected action.
		mustStep(t, e, make([]float64, e.ActionSpace().Dim())...)
	}
}

// TestEpisodeContract: Step before Reset and after the end of an episode is ErrNeedsReset until Reset.
func TestEpisodeContract(t *testing.T) {
	e, err := Make("CartPole-v1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Step([]float64{0}); !errors.Is(err, ErrNeedsReset) {
		t.Fatalf("Step before Reset: %v, want ErrNeedsReset", err)
	}
	if _, err := e.Reset(); err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		n++
		if res := mustStep(t, e, 1); res.Terminated {
			break
		}
		if n > 500 {
			t.Fatal("always pushing right did not terminate")
		}
	}
	for range 2 {
		if _, err := e.Step([]float64{1}); !errors.Is(err, ErrNeedsReset) {
			t.Fatalf("Step after termination: %v, want ErrNeedsReset", err)
		}
	}
	if _, err := e.Reset(); err != nil {
		t.Fatal(err)
	}
	mustStep(t, e, 0)
}

// TestTimeLimit: MountainCar without pushing never reaches the goal, so it is truncated at exactly
// step 200, not before; a spec's own limit is honoured, and Reset restarts the count.
func TestTimeLimit(t *testing.T) {
	for _, limit := range []int{200, 3} {
		spec, _ := Lookup("MountainCar-v0")
		spec.MaxEpisodeSteps = limit
		e, err := spec.Make()
		if err != nil {
			t.Fatal(err)
		}
		for episode := range 2 {
			if _, err := e.Reset(); err != nil {
				t.Fatal(err)
			}
			for i := 1; i <= limit; i++ {
				res := mustStep(t, e, 1)
				if res.Terminated || res.Truncated != (i == limit) {
					t.Fatalf("limit %d, episode %d, step %d: terminated %v truncated %v", limit, episode, i, res.Terminated, res.Truncated)
				}
			}
			if _, err := e.Step([]float64{1}); !errors.Is(err, ErrNeedsReset) {
				t.Fatalf("Step after truncation: %v, want ErrNeedsReset", err)
			}
		}
	}
}

// TestTruncatedAndTerminated: a step that terminates at the time limit reports both, as Gymnasium's TimeLimit does.
func TestTruncatedAndTerminated(t *testing.T) {
	spec, _ := Lookup("CartPole-v1")
	spec.MaxEpisodeSteps = 1
	e, err := spec.Make()
	if err != nil {
		t.Fatal(err)
	}
	e.Reset()
	e.(Stateful).SetState([]float64{2.4, 1, 0, 0})
	if res := mustStep(t, e, 1); !res.Terminated || !res.Truncated {
		t.Errorf("terminated, truncated = %v, %v; want both", res.Terminated, res.Truncated)
	}
}

func TestResetDistributions(t *testing.T) {
	pi := math.Pi
	for _, tc := range []struct {
		id     string
		lo, hi []float64
	}{
		{"CartPole-v1", []float64{-0.05, -0.05, -0.05, -0.05}, []float64{0.05, 0.05, 0.05, 0.05}},
		{"Acrobot-v1", []float64{-0.1, -0.1, -0.1, -0.1}, []float64{0.1, 0.1, 0.1, 0.1}},
		{"MountainCar-v0", []float64{-0.6, 0}, []float64{-0.4, 0}},
		{"MountainCarContinuous-v0", []float64{-0.6, 0}, []float64{-0.4, 0}},
		{"Pendulum-v1", []float64{-pi, -1}, []float64{pi, 1}},
	} {
		e, err := Make(tc.id, WithSeed(3))
		if err != nil {
			t.Fatal(err)
		}
		// 400 resets: each coordinate's range should be nearly covered (the chance that 400
		// uniform draws miss the outer 2% at one end is 0.98^400 < 3e-4).
		mins, maxs := make([]float64, len(tc.lo)), make([]float64, len(tc.lo))
		for i := range mins {
			mins[i], maxs[i] = math.Inf(1), math.Inf(-1)
		}
		for range 400 {
			if _, err := e.Reset(); err != nil {
				t.Fatal(err)
			}
			for i, v := range e.(Stateful).State() {
				mins[i], maxs[i] = min(mins[i], v), max(maxs[i], v)
				if v < tc.lo[i]-1e-9 || v > tc.hi[i]+1e-9 { // Acrobot's float32 cast may round outward by 1e-9
					t.Fatalf("%s: start state %d = %v outside [%v, %v]", tc.id, i, v, tc.lo[i], tc.hi[i])
				}
			}
		}
		for i := range mins {
			w := tc.hi[i] - tc.lo[i]
			if w > 0 && (mins[i] > tc.lo[i]+0.02*w || maxs[i] < tc.hi[i]-0.02*w) {
				t.Errorf("%s: start state %d spans [%v, %v], want nearly [%v, %v]", tc.id, i, mins[i], maxs[i], tc.lo[i], tc.hi[i])
			}
		}
	}
}

func TestGridWorld(t *testing.T) {
	layout := []string{
		"S#.",
		"...",
		"..G",
	}
	e, err := NewGridWorld(layout, 0, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Reset(); err != nil {
		t.Fatal(err)
	}
	const up, right, down, left = 0, 1, 2, 3
	for _, tc := range []struct {
		name   string
		action float64
		pos    []float64
		reward float64
		done   bool
	}{
		{"wall blocks", right, []float64{0, 0}, -1, false},
		{"edge blocks", up, []float64{0, 0}, -1, false},
		{"edge blocks left", left, []float64{0, 0}, -1, false},
		{"moves down", down, []float64{1, 0}, -1, false},
		{"moves right", right, []float64{1, 1}, -1, false},
		{"moves down again", down, []float64{2, 1}, -1, false},
		{"goal", right, []float64{2, 2}, 0, true},
	} {
		res := mustStep(t, e, tc.action)
		if got := e.(Stateful).State(); got[0] != tc.pos[0] || got[1] != tc.pos[1] || res.Reward != tc.reward || res.Terminated != tc.done {
			t.Fatalf("%s: pos %v reward %v terminated %v; want %v %v %v", tc.name, got, res.Reward, res.Terminated, tc.pos, tc.reward, tc.done)
		}
		want := make([]float64, 9)
		want[int(tc.pos[0])*3+int(tc.pos[1])] = 1
		for i := range want {
			if res.Obs[i] != want[i] {
				t.Fatalf("%s: obs %v, want one-hot %v", tc.name, res.Obs, want)
			}
		}
	}
	st := e.(Stateful)
	for _, bad := range [][]float64{{0, 1}, {3, 0}, {-1, 0}, {0.5, 0}} {
		if err := st.SetState(bad); err == nil {
			t.Errorf("SetState(%v): no error for a wall or off-grid cell", bad)
		}
	}
	for _, bad := range [][]string{{"S.", ".."}, {"SG", "."}, {"SGx"}, {"SSG"}, {}} {
		if _, err := NewGridWorld(bad, 0, Config{}); err == nil {
			t.Errorf("layout %q: no error", bad)
		}
	}
}

// TestGridWorldDefault: the default 5×5 maze is solved by going down the left column and along the
// bottom row: 8 moves, return -7 (the goal step pays 0).
func TestGridWorldDefault(t *testing.T) {
	e := started(t, "GridWorld-v0", nil, WithParams(map[string]float64{"slip": 0}))
	ret := 0.0
	for i, a := range []float64{2, 2, 2, 2, 1, 1, 1, 1} {
		res := mustStep(t, e, a)
		ret += res.Reward
		if res.Terminated != (i == 7) {
			t.Fatalf("step %d: terminated %v", i, res.Terminated)
		}
	}
	if ret != -7 {
		t.Errorf("return %v, want -7", ret)
	}
	// Walking right from the start hits the wall in column 2.
	e = started(t, "GridWorld-v0", nil, WithParams(map[string]float64{"slip": 0}))
	for range 4 {
		mustStep(t, e, 1)
	}
	if s := e.(Stateful).State(); s[0] != 0 || s[1] != 1 {
		t.Errorf("after walking right: %v, want [0 1] (wall at column 2)", s)
	}
}

// TestGridWorldSlip: with slip 1 every move is random, so from the centre of an open grid all four
// neighbours are reached; with slip 0 a move is exact.
func TestGridWorldSlip(t *testing.T) {
	e, err := NewGridWorld([]string{"...", ".S.", "..G"}, 1, Config{Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[[2]float64]int{}
	for range 200 {
		e.Reset()
		mustStep(t, e, 0)
		s := e.(Stateful).State()
		seen[[2]float64{s[0], s[1]}]++
	}
	if len(seen) != 4 {
		t.Errorf("slip 1 reached %v, want the 4 neighbours", seen)
	}
	for _, p := range [][2]float64{{0, 1}, {1, 2}, {2, 1}, {1, 0}} {
		// each neighbour has probability 1/4: 200 draws give 50 ± 6; 25 is 4 sigma below
		if seen[p] < 25 {
			t.Errorf("neighbour %v reached %d times of 200", p, seen[p])
		}
	}
}

func TestBandit(t *testing.T) {
	means := BanditMeans(10)
	for _, seed := range []uint64{1, 2} {
		e := started(t, "Bandit-v0", nil, WithSeed(seed))
		if got := e.(Stateful).State(); !sameFloats(got, means) {
			t.Fatalf("seed %d: means %v, want the fixed %v", seed, got, means)
		}
	}
	// noise 0: the reward is the mean, and every pull ends the episode.
	e := started(t, "Bandit-v0", nil, WithParams(map[string]float64{"noise": 0, "arms": 3}))
	for a := range 3 {
		res := mustStep(t, e, float64(a))
		if res.Reward != means[a] || !res.Terminated || res.Obs[0] != 1 {
			t.Fatalf("arm %d: %+v, want reward %v and termination", a, res, means[a])
		}
		e.Reset()
	}
	// noise 1: the sample mean of 4000 pulls is within 5 standard errors (5/sqrt(4000) = 0.08).
	e = started(t, "Bandit-v0", nil, WithSeed(5))
	sum := 0.0
	for range 4000 {
		sum += mustStep(t, e, 2).Reward
		e.Reset()
	}
	if got := sum / 4000; math.Abs(got-means[2]) > 0.08 {
		t.Errorf("mean reward of arm 2 = %v, want %v ± 0.08", got, means[2])
	}
}

// TestParamsChangeDynamics: parameters reach the physics, checked against hand-computed steps.
func TestParamsChangeDynamics(t *testing.T) {
	// Pendulum without gravity, at rest, torque 1: thdot = 3/(m l²)·u·dt = 3·0.05 with m = l = 1,
	// and 3/(2·2²)·... with m = 2, l = 2: thdot = 3/8·dt.
	for _, tc := range []struct {
		params map[string]float64
		want   float64
	}{
		{map[string]float64{"g": 0}, 3 * 0.05},
		{map[string]float64{"g": 0, "m": 2, "l": 2}, 3.0 / 8 * 0.05},
		{map[string]float64{"g": 0, "dt": 0.1}, 3 * 0.1},
	} {
		e := started(t, "Pendulum-v1", []float64{0, 0}, WithParams(tc.params))
		mustStep(t, e, 1)
		if got := e.(Stateful).State()[1]; math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("%v: theta_dot %v, want %v", tc.params, got, tc.want)
		}
	}
	// CartPole from rest, upright (sin 0 = 0, cos 0 = 1), total mass M = 2.1, pole m = 0.1, half
	// length l = 0.5: temp = F/M, thetaacc = -temp/(l(4/3 - m/M)), xacc = temp - m·l·thetaacc/M.
	e := started(t, "CartPole-v1", []float64{0, 0, 0, 0}, WithParams(map[string]float64{"masscart": 2, "force_mag": 4}))
	mustStep(t, e, 1)
	temp := 4 / 2.1
	xacc := temp + 0.1*0.5*temp/(0.5*(4.0/3-0.1/2.1))/2.1
	if got := e.(Stateful).State()[1]; math.Abs(got-0.02*xacc) > 1e-15 {
		t.Errorf("CartPole x_dot %v, want %v", got, 0.02*xacc)
	}
	// reverse_actions: 1 swaps the controls, so action 0 pushes right exactly as action 1
	// does in the original task; other values are refused.
	for a, ra := range map[float64]float64{0: 1, 1: 0} {
		plain := started(t, "CartPole-v1", []float64{0.1, -0.2, 0.03, 0.4})
		rev := started(t, "CartPole-v1", []float64{0.1, -0.2, 0.03, 0.4}, WithParams(map[string]float64{"reverse_actions": 1}))
		mustStep(t, plain, a)
		mustStep(t, rev, ra)
		if p, r := plain.(Stateful).State(), rev.(Stateful).State(); !slices.Equal(p, r) {
			t.Errorf("reverse_actions: action %v gives %v, original action %v gives %v", ra, r, a, p)
		}
	}
	if _, err := Make("CartPole-v1", WithParams(map[string]float64{"reverse_actions": 0.5})); err == nil {
		t.Error("reverse_actions 0.5 accepted")
	}
	// A threshold parameter changes the observation space too.
	e, _ = Make("CartPole-v1", WithParams(map[string]float64{"x_threshold": 1}))
	if h := e.ObservationSpace().(Box).High[0]; h != 2 {
		t.Errorf("x_threshold 1: observation bound %v, want 2", h)
	}
}
