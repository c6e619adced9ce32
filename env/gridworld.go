package env

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// gridWorld is a maze on a grid, written as the model for new environments: it is small, draws
// every random number from the env's stream, and keeps its whole state in State.
//
// The agent moves up (0), right (1), down (2) or left (3); with probability slip the move goes in a
// uniformly random direction instead. Moves into a wall or off the grid leave it in place.
// Each step costs -1 except the one reaching the goal, which ends the episode with reward 0.
// The observation is a one-hot vector over the cells; the state is [row, col].
type gridWorld struct {
	rows, cols int
	wall       []bool
	start      int
	goal       int
	slip       float64

	pos int
}

// moves are the (row, col) offsets of the four actions.
var moves = [4][2]int{{-1, 0}, {0, 1}, {1, 0}, {0, -1}}

func gridWorldSpec() Spec {
	return Spec{
		ID: "GridWorld-v0",
		Doc: "walk from the top-left to the bottom-right corner of a size×size grid around a wall " +
			"down the middle column (open in the bottom row); -1 per step",
		Params: []Param{
			{"size", 5, "rows and columns (integer in [2, 32]; larger grids cannot be crossed within the time limit)"},
			{"slip", 0.1, "probability that a move goes in a random direction"},
		},
		MaxEpisodeSteps: 100,
		New: func(cfg Config) (Env, error) {
			size := cfg.Params["size"]
			if size != math.Trunc(size) || size < 2 || size > 32 {
				return nil, fmt.Errorf("size %v: want an integer in [2, 32]", size)
			}
			return NewGridWorld(GridLayout(int(size)), cfg.Params["slip"], cfg)
		},
	}
}

// GridLayout is GridWorld-v0's layout for a size×size grid: start S top-left, goal G bottom-right,
// and a wall # down the middle column except in the bottom row.
func GridLayout(size int) []string {
	rows := make([]string, size)
	for r := range rows {
		b := []byte(strings.Repeat(".", size))
		if r < size-1 {
			b[size/2] = '#'
		}
		rows[r] = string(b)
	}
	rows[0] = "S" + rows[0][1:]
	rows[size-1] = rows[size-1][:size-1] + "G"
	return rows
}

// NewGridWorld makes a grid world from a layout of equal-length rows of '.' (free), '#' (wall),
// one 'S' (start) and one 'G' (goal), with the given slip probability, seeded by cfg.Seed.
// Register it in a Spec to give it a time limit, e.g. a New that returns NewGridWorld(myLayout, 0, cfg).
func NewGridWorld(layout []string, slip float64, cfg Config) (Env, error) {
	if !(slip >= 0 && slip <= 1) {
		return nil, fmt.Errorf("slip %v: want a probability", slip)
	}
	if len(layout) == 0 || len(layout[0]) == 0 {
		return nil, fmt.Errorf("empty grid layout")
	}
	g := &gridWorld{rows: len(layout), cols: len(layout[0]), start: -1, goal: -1, slip: slip}
	g.wall = make([]bool, g.rows*g.cols)
	for r, row := range layout {
		if len(row) != g.cols {
			return nil, fmt.Errorf("grid row %d has %d cells, want %d", r, len(row), g.cols)
		}
		for c, ch := range []byte(row) {
			i := r*g.cols + c
			switch ch {
			case '.':
			case '#':
				g.wall[i] = true
			case 'S', 'G':
				p := &g.start
				if ch == 'G' {
					p = &g.goal
				}
				if *p >= 0 {
					return nil, fmt.Errorf("grid has more than one %c", ch)
				}
				*p = i
			default:
				return nil, fmt.Errorf("grid cell %q at row %d, column %d: want one of .#SG", ch, r, c)
			}
		}
	}
	if g.start < 0 || g.goal < 0 {
		return nil, fmt.Errorf("grid needs one S and one G")
	}
	n := g.rows * g.cols
	low, high := make([]float64, n), make([]float64, n)
	for i := range high {
		high[i] = 1
	}
	g.pos = g.start
	return newSim(g, Box{Low: low, High: high}, Discrete{4}, cfg), nil
}

func (g *gridWorld) reset(*rand.Rand) { g.pos = g.start }

func (g *gridWorld) step(a []float64, rng *rand.Rand) (float64, bool) {
	dir := int(a[0])
	// Always draw the slip test so the stream advances the same way whatever the slip.
	if rng.Float64() < g.slip {
		dir = rng.IntN(4)
	}
	r, c := g.pos/g.cols+moves[dir][0], g.pos%g.cols+moves[dir][1]
	if r >= 0 && r < g.rows && c >= 0 && c < g.cols && !g.wall[r*g.cols+c] {
		g.pos = r*g.cols + c
	}
	if g.pos == g.goal {
		return 0, true
	}
	return -1, false
}

func (g *gridWorld) observe(obs []float64) {
	clear(obs)
	obs[g.pos] = 1
}

func (g *gridWorld) state() []float64 {
	return []float64{float64(g.pos / g.cols), float64(g.pos % g.cols)}
}

func (g *gridWorld) setState(s []float64) error {
	r, c := s[0], s[1]
	if r != math.Trunc(r) || c != math.Trunc(c) || r < 0 || c < 0 || r >= float64(g.rows) || c >= float64(g.cols) {
		return fmt.Errorf("env: grid state %v is not a cell of the %d×%d grid", s, g.rows, g.cols)
	}
	i := int(r)*g.cols + int(c)
	if g.wall[i] {
		return fmt.Errorf("env: grid state %v is a wall", s)
	}
	g.pos = i
	return nil
}
