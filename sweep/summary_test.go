package sweep

import "testing"

// TestStatPercent: the KL-in-band column of summary.md is written as
// percentages, the format of ppo inspect (report.Percent).
func TestStatPercent(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	for _, tc := range []struct {
		s    Stat
		want string
	}{
		{Stat{}, "–"},
		{Stat{Mean: f(0.2282), N: 1}, "23%"},
		// experiments/results/cartpole-adaptive-kl/summary.json.
		{Stat{Mean: f(0.2046153846153846), Std: f(0.01685300176938973), N: 5}, "20% ± 2%"},
		{Stat{Mean: f(1), Std: f(0), N: 2}, "100% ± 0%"},
	} {
		if got := tc.s.Percent(); got != tc.want {
			t.Errorf("%+v.Percent() = %q, want %q", tc.s, got, tc.want)
		}
	}
}
