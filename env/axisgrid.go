package env

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// axisGrid is the model environment for MultiDiscrete actions: an open size×size grid crossed
// from the top-left to the bottom-right corner, where action component 0 moves the row and
// component 1 the column, each by -1 (0), 0 (1) or +1 (2), at once; moves off the grid are
// clipped. Each step costs -1 except the one reaching the goal (reward 0, terminated), so the
// optimal return, size-1 diagonal steps, is -(size-2). Deterministic; the observation is the cell
// index row·size + col.
type axisGrid struct {
	size, pos int
}

func axisGridSpec() Spec {
	return Spec{
		ID: "AxisGrid-v0",
		Doc: "cross a size×size open grid corner to corner moving both axes at once " +
			"(MultiDiscrete([3 3]) actions: -1, 0, +1 per axis); -1 per step, 0 for the step reaching the goal",
		Params:          []Param{{"size", 5, "rows and columns (integer in [2, 16])"}},
		MaxEpisodeSteps: 50,
		New: func(cfg Config) (Env, error) {
			size := cfg.Params["size"]
			if size != math.Trunc(size) || size < 2 || size > 16 {
				return nil, fmt.Errorf("size %v: want an integer in [2, 16]", size)
			}
			n := int(size)
			return newSim(&axisGrid{size: n}, Discrete{n * n}, MultiDiscrete{[]int{3, 3}}, cfg), nil
		},
	}
}

func (g *axisGrid) reset(*rand.Rand) { g.pos = 0 }

func (g *axisGrid) step(a []float64, _ *rand.Rand) (float64, bool) {
	clip := func(v int) int { return max(0, min(g.size-1, v)) }
	r, c := clip(g.pos/g.size+int(a[0])-1), clip(g.pos%g.size+int(a[1])-1)
	g.pos = r*g.size + c
	if g.pos == g.size*g.size-1 {
		return 0, true
	}
	return -1, false
}

func (g *axisGrid) observe(obs []float64) { obs[0] = float64(g.pos) }

func (g *axisGrid) state() []float64 { return []float64{float64(g.pos)} }

func (g *axisGrid) setState(s []float64) error {
	if s[0] != math.Trunc(s[0]) || s[0] < 0 || s[0] >= float64(g.size*g.size) {
		return fmt.Errorf("env: axis grid state %v is not a cell of the %d×%d grid", s, g.size, g.size)
	}
	g.pos = int(s[0])
	return nil
}
