package env

import "testing"

// TestAxisGrid walks AxisGrid-v0 by hand: moves clip at the edges, both axes move at once, the
// diagonal reaches the goal in size-1 steps with return -(size-2), and a component outside
// [0, 3) is refused.
func TestAxisGrid(t *testing.T) {
	e, err := Make("AxisGrid-v0", WithParams(map[string]float64{"size": 4}))
	if err != nil {
		t.Fatal(err)
	}
	if got := e.ActionSpace().String(); got != "MultiDiscrete([3 3])" {
		t.Errorf("action space %s", got)
	}
	obs, err := e.Reset()
	if err != nil || obs[0] != 0 {
		t.Fatalf("reset: %v, %v", obs, err)
	}
	for _, c := range []struct {
		a        []float64
		pos, rew float64
		done     bool
	}{
		{[]float64{0, 0}, 0, -1, false}, // up-left from the corner: clipped
		{[]float64{2, 1}, 4, -1, false}, // down one row
		{[]float64{1, 2}, 5, -1, false}, // right one column
		{[]float64{2, 2}, 10, -1, false},
		{[]float64{2, 2}, 15, 0, true}, // the goal
	} {
		st, err := e.Step(c.a)
		if err != nil {
			t.Fatal(err)
		}
		if st.Obs[0] != c.pos || st.Reward != c.rew || st.Terminated != c.done {
			t.Fatalf("action %v: obs %v reward %v terminated %v; want %v %v %v", c.a, st.Obs[0], st.Reward, st.Terminated, c.pos, c.rew, c.done)
		}
	}
	e.Reset()
	ret := 0.0
	for i := 0; i < 3; i++ {
		st, _ := e.Step([]float64{2, 2})
		ret += st.Reward
	}
	if ret != -2 {
		t.Errorf("diagonal return %v, want -(size-2) = -2", ret)
	}
	e.Reset()
	if _, err := e.Step([]float64{3, 0}); err == nil {
		t.Error("action component 3 accepted")
	}
}
