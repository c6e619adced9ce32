package agent

import (
	"math"
	"strings"
	"testing"

	"ppo/configs"
)

// TestGAE checks hand-computed advantages with γ = 0.9, λ = 0.8 for one
// env over 4 steps, where the episode ends at step 1 either by termination
// (no bootstrap) or by truncation (bootstrap from V(final obs) = 5).
//
//	rewards 1, 2, 3, 4; values 0.5, 1, 1.5, 2; last V(s_4) = 3
//	steps 2-3: δ3 = 4 + .9·3 - 2 = 4.7         A3 = 4.7
//	           δ2 = 3 + .9·2 - 1.5 = 3.3       A2 = 3.3 + .72·4.7 = 6.684
//	step 1 terminated: δ1 = 2 - 1 = 1           A1 = 1
//	step 1 truncated:  δ1 = 2 + .9·5 - 1 = 5.5  A1 = 5.5
//	step 0: δ0 = 1 + .9·1 - .5 = 1.4            A0 = 1.4 + .72·A1
func TestGAE(t *testing.T) {
	for _, tc := range []struct {
		name string
		next float64
		a1   float64
	}{{"terminated", 0, 1}, {"truncated", 5, 5.5}} {
		adv, ret := make([]float64, 4), make([]float64, 4)
		values := []float64{0.5, 1, 1.5, 2}
		GAE([]float64{1, 2, 3, 4}, values, []float64{0, tc.next, 0, 0}, []bool{false, true, false, false},
			[]float64{3}, 1, 0.9, 0.8, adv, ret)
		want := []float64{1.4 + 0.72*tc.a1, tc.a1, 6.684, 4.7}
		for i := range want {
			if math.Abs(adv[i]-want[i]) > 1e-12 {
				t.Errorf("%s: A[%d] = %v, want %v", tc.name, i, adv[i], want[i])
			}
			if math.Abs(ret[i]-(want[i]+values[i])) > 1e-12 {
				t.Errorf("%s: R[%d] = %v, want %v", tc.name, i, ret[i], want[i]+values[i])
			}
		}
	}
}

// TestGAEInterleaved checks that environments stored time-major do not
// leak into each other: two envs give the same answers as separately.
func TestGAEInterleaved(t *testing.T) {
	r := [][]float64{{1, 0, 2}, {-1, 3, 0.5}}
	v := [][]float64{{0.1, 0.2, 0.3}, {1, -1, 2}}
	nv := [][]float64{{0, 0, 0}, {0, 7, 0}}
	e := [][]bool{{true, false, false}, {false, true, false}}
	last := []float64{0.4, -0.6}
	var sep [2][]float64
	for i := 0; i < 2; i++ {
		sep[i] = make([]float64, 3)
		GAE(r[i], v[i], nv[i], e[i], last[i:i+1], 1, 0.99, 0.95, sep[i], make([]float64, 3))
	}
	inter := func(x [][]float64) []float64 { return []float64{x[0][0], x[1][0], x[0][1], x[1][1], x[0][2], x[1][2]} }
	adv := make([]float64, 6)
	GAE(inter(r), inter(v), inter(nv), []bool{e[0][0], e[1][0], e[0][1], e[1][1], e[0][2], e[1][2]}, last, 2, 0.99, 0.95, adv, make([]float64, 6))
	for k, a := range adv {
		if want := sep[k%2][k/2]; a != want {
			t.Errorf("adv[%d] = %v, want %v", k, a, want)
		}
	}
}

// TestWatch: beta pinned at a clamp for 10 updates and KL over 4× target
// for 5 updates are each reported once per streak, and only with a penalty.
func TestWatch(t *testing.T) {
	c := configs.Default().KL.Controller
	var w watch
	var got []string
	for u := 1; u <= 25; u++ {
		got = append(got, w.observe(u, 0.001, c.MinBeta, c, true)...)
	}
	if len(got) != 1 || !strings.Contains(got[0], "update 10: beta has been at its clamp") {
		t.Fatalf("clamp warnings: %q", got)
	}
	w, got = watch{}, nil
	for u := 1; u <= 7; u++ {
		d := 0.05
		if u == 3 {
			d = 0.01 // breaks the streak
		}
		got = append(got, w.observe(u, d, 1, c, true)...)
	}
	if len(got) != 0 {
		t.Fatalf("warned before a 5-update streak: %q", got)
	}
	got = append(got, w.observe(8, 0.05, 1, c, true)...)
	if len(got) != 1 || !strings.Contains(got[0], "update 8: KL 0.05 has been over 4× its target 0.01 for 5 updates") {
		t.Fatalf("KL warnings: %q", got)
	}
	w = watch{}
	for u := 1; u <= 20; u++ {
		if g := w.observe(u, 1, c.MinBeta, c, false); len(g) > 0 {
			t.Fatalf("warned without a penalty: %q", g)
		}
	}
}
