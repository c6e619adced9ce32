package env

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

// TestBuiltinSpecs pins the limits and thresholds of Gymnasium 1.0.0's registrations
// (gymnasium/envs/__init__.py) and the parameter defaults of its classic_control sources.
func TestBuiltinSpecs(t *testing.T) {
	want := []struct {
		id        string
		max       int
		threshold float64
		has       bool
		obs, act  Space
	}{
		{"CartPole-v1", 500, 475, true, nil, Discrete{2}},
		{"Acrobot-v1", 500, -100, true, nil, Discrete{3}},
		{"MountainCar-v0", 200, -110, true, Box{[]float64{f32(-1.2), f32(-0.07)}, []float64{f32(0.6), f32(0.07)}}, Discrete{3}},
		{"MountainCarContinuous-v0", 999, 90, true, nil, Box{[]float64{-1}, []float64{1}}},
		{"Pendulum-v1", 200, 0, false, Box{[]float64{-1, -1, -8}, []float64{1, 1, 8}}, Box{[]float64{-2}, []float64{2}}},
		{"GridWorld-v0", 100, 0, false, nil, Discrete{4}},
		{"Bandit-v0", 0, 0, false, Box{[]float64{1}, []float64{1}}, Discrete{10}},
	}
	ids := IDs()
	if !slices.IsSorted(ids) || len(ids) < len(want) {
		t.Fatalf("IDs() = %v, want sorted, all built-ins", ids)
	}
	for _, w := range want {
		s, ok := Lookup(w.id)
		if !ok {
			t.Fatalf("%s not registered", w.id)
		}
		if s.MaxEpisodeSteps != w.max || s.HasRewardThreshold != w.has || s.RewardThreshold != w.threshold {
			t.Errorf("%s: limit %d, threshold %v (%v); want %d, %v (%v)", w.id, s.MaxEpisodeSteps,
				s.RewardThreshold, s.HasRewardThreshold, w.max, w.threshold, w.has)
		}
		e, err := Make(w.id)
		if err != nil {
			t.Fatal(err)
		}
		if w.obs != nil && !sameSpace(e.ObservationSpace(), w.obs) {
			t.Errorf("%s: observation space %v, want %v", w.id, e.ObservationSpace(), w.obs)
		}
		if !sameSpace(e.ActionSpace(), w.act) {
			t.Errorf("%s: action space %v, want %v", w.id, e.ActionSpace(), w.act)
		}
		if _, ok := e.(Stateful); !ok {
			t.Errorf("%s: made env is not Stateful", w.id)
		}
	}
	// CartPole's observation bound is 2·12° in float32, as Gymnasium's float32 Box.
	e, _ := Make("CartPole-v1")
	if got, want := e.ObservationSpace().(Box).High[2], float64(float32(2*12*2*math.Pi/360)); got != want {
		t.Errorf("CartPole theta bound %v, want %v", got, want)
	}
	if got := e.ObservationSpace().String(); got != "Box(low=[-4.8 -Inf -0.41887903 -Inf], high=[4.8 +Inf 0.41887903 +Inf])" {
		t.Errorf("CartPole observation space prints as %s", got)
	}
}

func TestParamDefaults(t *testing.T) {
	pi := math.Pi
	want := map[string]map[string]float64{
		"CartPole-v1": {"gravity": 9.8, "masscart": 1, "masspole": 0.1, "length": 0.5, "force_mag": 10, "tau": 0.02,
			"x_threshold": 2.4, "theta_threshold_radians": 12 * 2 * pi / 360, "reverse_actions": 0},
		"Acrobot-v1": {"link_length_1": 1, "link_mass_1": 1, "link_mass_2": 1, "link_com_pos_1": 0.5, "link_com_pos_2": 0.5,
			"link_moi": 1, "gravity": 9.8, "dt": 0.2, "max_vel_1": 4 * pi, "max_vel_2": 9 * pi},
		"MountainCar-v0":           {"force": 0.001, "gravity": 0.0025, "max_speed": 0.07, "goal_velocity": 0},
		"MountainCarContinuous-v0": {"power": 0.0015, "goal_velocity": 0},
		"Pendulum-v1":              {"g": 10, "m": 1, "l": 1, "dt": 0.05, "max_speed": 8, "max_torque": 2},
		"GridWorld-v0":             {"size": 5, "slip": 0.1},
		"Bandit-v0":                {"arms": 10, "noise": 1},
	}
	for id, params := range want {
		s, _ := Lookup(id)
		if len(s.Params) != len(params) {
			t.Errorf("%s: parameters %v, want %v", id, s.ParamNames(), params)
		}
		for _, p := range s.Params {
			// 1e-15 relative: the Go constant expressions above are exact, the defaults are float64 steps.
			if w, ok := params[p.Name]; !ok || math.Abs(p.Default-w) > 1e-15*math.Abs(w) || p.Doc == "" {
				t.Errorf("%s: parameter %s = %v (doc %q), want %v", id, p.Name, p.Default, p.Doc, w)
			}
		}
	}
}

func TestMakeErrors(t *testing.T) {
	for _, tc := range []struct {
		name, id string
		opts     []Option
		want     string
	}{
		{"unknown id", "Nope-v0", nil, "unknown environment"},
		{"unknown param", "CartPole-v1", []Option{WithParams(map[string]float64{"pole_length": 1})}, `no parameter "pole_length"`},
		{"param of another env", "Pendulum-v1", []Option{WithParams(map[string]float64{"gravity": 1})}, "parameters: g, m, l"},
		{"NaN param", "CartPole-v1", []Option{WithParams(map[string]float64{"length": math.NaN()})}, "not finite"},
		{"nonsense value", "CartPole-v1", []Option{WithParams(map[string]float64{"tau": -1})}, "must be positive"},
		{"grid size", "GridWorld-v0", []Option{WithParams(map[string]float64{"size": 2.5})}, "size 2.5"},
		{"grid too big for its limit", "GridWorld-v0", []Option{WithParams(map[string]float64{"size": 33})}, "size 33"},
		{"slip", "GridWorld-v0", []Option{WithParams(map[string]float64{"slip": 1.5})}, "slip 1.5"},
		{"arms", "Bandit-v0", []Option{WithParams(map[string]float64{"arms": 1})}, "arms 1"},
	} {
		_, err := Make(tc.id, tc.opts...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	if _, err := Make("Nope-v0"); !errors.Is(err, ErrUnknownEnv) {
		t.Errorf("unknown id: %v is not ErrUnknownEnv", err)
	}
}

func TestRegister(t *testing.T) {
	newFn := func(cfg Config) (Env, error) { return newCartPole(Config{Params: cartPoleDefaults()}) }
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{"Foo-v0", true}, {"My_Env2-v10", true}, {"foo-v1", true},
		{"Foo", false}, {"Foo-v", false}, {"Foo-v01", false}, {"-v1", false}, {"1Foo-v0", false},
		{"Foo Bar-v1", false}, {"Foo-v1 ", false}, {"ns/Foo-v1", false}, {"", false},
	} {
		r := NewRegistry()
		err := r.Register(Spec{ID: tc.id, New: newFn})
		if (err == nil) != tc.ok {
			t.Errorf("Register(%q): error %v, want ok=%v", tc.id, err, tc.ok)
		}
	}
	r := NewRegistry()
	if err := r.Register(Spec{ID: "A-v0", New: newFn, MaxEpisodeSteps: 2}); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(Spec{ID: "A-v0", New: newFn}); err == nil {
		t.Error("duplicate id: no error")
	}
	for _, bad := range []Spec{
		{ID: "B-v0"},
		{ID: "B-v0", New: newFn, MaxEpisodeSteps: -1},
		{ID: "B-v0", New: newFn, Params: []Param{{"x", 1, ""}, {"x", 2, ""}}},
		{ID: "B-v0", New: newFn, Params: []Param{{"x", math.Inf(1), ""}}},
	} {
		if err := r.Register(bad); err == nil {
			t.Errorf("Register(%+v): no error", bad)
		}
	}
	if ids := r.IDs(); !slices.Equal(ids, []string{"A-v0"}) {
		t.Errorf("IDs = %v", ids)
	}
	if _, ok := Lookup("A-v0"); ok {
		t.Error("a private registry leaked into the default one")
	}
	// The registry's spec is a copy: editing a looked-up spec changes nothing.
	s, _ := r.Lookup("A-v0")
	s.MaxEpisodeSteps = 99
	if s2, _ := r.Lookup("A-v0"); s2.MaxEpisodeSteps != 2 {
		t.Error("Lookup returned a spec aliasing the registry's")
	}
}

func cartPoleDefaults() map[string]float64 {
	s := cartPoleSpec()
	m := map[string]float64{}
	for _, p := range s.Params {
		m[p.Name] = p.Default
	}
	return m
}

// TestSeeds: the same seed gives the same start states, different seeds different ones, and
// VecSeed gives distinct seeds that do not depend on the vector size.
func TestSeeds(t *testing.T) {
	start := func(seed uint64) []float64 {
		e, _ := Make("CartPole-v1", WithSeed(seed))
		o, _ := e.Reset()
		return o
	}
	if !sameFloats(start(7), start(7)) || sameFloats(start(7), start(8)) {
		t.Error("seeding is not deterministic or ignores the seed")
	}
	seen := map[uint64]bool{}
	for s := range uint64(4) {
		for i := range 100 {
			seen[VecSeed(s, i)] = true
		}
	}
	if len(seen) != 400 {
		t.Errorf("VecSeed gave %d distinct seeds of 400", len(seen))
	}
}
