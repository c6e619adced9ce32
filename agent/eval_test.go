package agent

import (
	"strconv"
	"testing"
)

// TestEvalCutsEndlessEpisodes: in CliffWalking-v0, which has no time limit
// of its own, a policy whose mode is always "up" never ends an episode; the
// evaluation stops each at EvalMaxSteps and counts it as cut, instead of
// running forever. With env.max_episode_steps the env's own limit ends it.
func TestEvalCutsEndlessEpisodes(t *testing.T) {
	for _, tc := range []struct {
		limit          int
		wantLen        float64
		wantCut        int
		wantReturnEach float64
	}{
		{0, EvalMaxSteps, 2, -EvalMaxSteps},
		{50, 50, 0, -50},
	} {
		tr := steppable(t, "env.id=CliffWalking-v0", "env.max_episode_steps="+strconv.Itoa(tc.limit))
		// Zero weights: equal logits, and the mode takes the first action, up.
		for _, p := range tr.pol.Params() {
			switch d := p.T.Data().(type) {
			case []float32:
				clear(d)
			case []float64:
				clear(d)
			}
		}
		r, err := tr.Evaluator().Run(2, 7, true)
		if err != nil {
			t.Fatal(err)
		}
		if r.Cut != tc.wantCut || r.MeanLength != tc.wantLen || r.Returns[0] != tc.wantReturnEach || r.Returns[1] != tc.wantReturnEach {
			t.Errorf("limit %d: cut %d, mean length %g, returns %v; want %d cut, length %g, each %g",
				tc.limit, r.Cut, r.MeanLength, r.Returns, tc.wantCut, tc.wantLen, tc.wantReturnEach)
		}
	}
}
