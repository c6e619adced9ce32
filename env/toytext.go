package env

import (
	"fmt"
	"slices"
	"strings"
)

// The toy-text environments of Gymnasium 1.0.0 (FrozenLake, CliffWalking, Taxi) are tabular:
// each builds its whole transition table as Gymnasium does, in Gymnasium's outcome order, and
// runs it with tabular, drawing outcomes as Gymnasium's categorical_sample does.

// frozenLakeMaps are Gymnasium's named maps.
var frozenLakeMaps = map[string][]string{
	"4x4": {"SFFF", "FHFH", "FFFH", "HFFG"},
	"8x8": {"SFFFFFFF", "FFFFFFFF", "FFFHFFFF", "FFFFFHFF", "FFFHFFFF", "FHHFFFHF", "FHFFHFHF", "FFFHFFFG"},
}

func frozenLakeSpec(id, mapName string, limit int, threshold float64) Spec {
	return Spec{
		ID: id,
		Doc: "cross a frozen lake from S to G without falling into a hole H; reward 1 at G; " +
			"slippery moves go in the intended or a perpendicular direction, 1/3 each",
		Params: []Param{
			{"is_slippery", 1, "1: moves slip (Gymnasium's is_slippery=True), 0: deterministic"},
		},
		TextParams: []TextParam{
			{"map_name", mapName, "named map: 4x4 or 8x8 (ignored when desc is set)"},
			{"desc", "", "custom map, rows separated by '/', e.g. SFFH/FHFF/FFFG: S start, F frozen, H hole, G goal"},
		},
		MaxEpisodeSteps:    limit,
		RewardThreshold:    threshold,
		HasRewardThreshold: true,
		New: func(cfg Config) (Env, error) {
			slip, err := boolParam(cfg, "is_slippery")
			if err != nil {
				return nil, err
			}
			desc, err := frozenLakeDesc(cfg.Text["map_name"], cfg.Text["desc"])
			if err != nil {
				return nil, err
			}
			return newTabular(FrozenLakeTable(desc, slip), cfg)
		},
	}
}

// boolParam reads a 0/1 parameter.
func boolParam(cfg Config, name string) (bool, error) {
	switch v := cfg.Params[name]; v {
	case 0, 1:
		return v == 1, nil
	default:
		return false, fmt.Errorf("%s %v: want 0 (false) or 1 (true)", name, v)
	}
}

// frozenLakeDesc returns the map: desc's rows if set, else the named map.
func frozenLakeDesc(mapName, desc string) ([]string, error) {
	if desc == "" {
		m, ok := frozenLakeMaps[mapName]
		if !ok {
			return nil, fmt.Errorf("map_name %q: want 4x4 or 8x8, or set desc", mapName)
		}
		return m, nil
	}
	rows := strings.Split(desc, "/")
	start := false
	for r, row := range rows {
		if len(row) == 0 || len(row) != len(rows[0]) {
			return nil, fmt.Errorf("desc %q: row %d has %d cells, row 0 has %d", desc, r, len(row), len(rows[0]))
		}
		for c, ch := range row {
			if !strings.ContainsRune("SFHG", ch) {
				return nil, fmt.Errorf("desc %q: cell %q at row %d, column %d: want one of S, F, H, G", desc, ch, r, c)
			}
			start = start || ch == 'S'
		}
	}
	if !start {
		return nil, fmt.Errorf("desc %q: no start cell S", desc)
	}
	if len(rows)*len(rows[0]) > 1<<16 {
		return nil, fmt.Errorf("desc: %d cells, at most 65536", len(rows)*len(rows[0]))
	}
	return rows, nil
}

// FrozenLakeTable is FrozenLake's table for a map: actions left (0), down (1), right (2), up (3);
// the start is uniform over the S cells; reaching G pays 1 and, like falling into H, terminates;
// H and G are absorbing. Slippery moves go in directions a-1, a, a+1 (mod 4) with probability 1/3.
func FrozenLakeTable(desc []string, slippery bool) *Table {
	nrow, ncol := len(desc), len(desc[0])
	n := nrow * ncol
	t := &Table{States: n, Actions: 4, Initial: make([]float64, n), P: make([][][]Outcome, n)}
	starts := 0
	for _, row := range desc {
		starts += strings.Count(row, "S")
	}
	move := func(r, c, a int) (int, int) {
		switch a {
		case 0:
			c = max(c-1, 0)
		case 1:
			r = min(r+1, nrow-1)
		case 2:
			c = min(c+1, ncol-1)
		case 3:
			r = max(r-1, 0)
		}
		return r, c
	}
	outcome := func(r, c, a int, p float64) Outcome {
		nr, nc := move(r, c, a)
		letter := desc[nr][nc]
		rew := 0.0
		if letter == 'G' {
			rew = 1
		}
		return Outcome{Prob: p, Next: nr*ncol + nc, Reward: rew, Terminated: letter == 'G' || letter == 'H'}
	}
	for r := range nrow {
		for c := range ncol {
			s := r*ncol + c
			if desc[r][c] == 'S' {
				t.Initial[s] = 1 / float64(starts)
			}
			t.P[s] = make([][]Outcome, 4)
			for a := range 4 {
				switch {
				case desc[r][c] == 'G' || desc[r][c] == 'H':
					t.P[s][a] = []Outcome{{Prob: 1, Next: s, Terminated: true}}
				case slippery:
					for _, b := range []int{(a + 3) % 4, a, (a + 1) % 4} {
						t.P[s][a] = append(t.P[s][a], outcome(r, c, b, 1.0/3))
					}
				default:
					t.P[s][a] = []Outcome{outcome(r, c, a, 1)}
				}
			}
		}
	}
	return t
}

func cliffWalkingSpec() Spec {
	return Spec{
		ID: "CliffWalking-v0",
		Doc: "walk along a 4×12 grid from the bottom-left to the bottom-right corner; -1 per step, " +
			"-100 and back to the start for stepping into the cliff between them",
		Params: []Param{
			{"is_slippery", 0, "1: a move goes in the intended or a perpendicular direction, 1/3 each"},
		},
		New: func(cfg Config) (Env, error) {
			slip, err := boolParam(cfg, "is_slippery")
			if err != nil {
				return nil, err
			}
			return newTabular(CliffWalkingTable(slip), cfg)
		},
	}
}

// CliffWalkingTable is CliffWalking-v0's table: actions up (0), right (1), down (2), left (3) on
// a 4×12 grid starting at 36; entering the cliff (row 3, columns 1-10) costs -100 and returns to
// the start without ending the episode; every other move costs -1, and reaching 47 terminates.
// Slippery moves go in directions a-1, a, a+1 (mod 4) with probability 1/3.
func CliffWalkingTable(slippery bool) *Table {
	const nrow, ncol, start, goal = 4, 12, 36, 47
	deltas := [4][2]int{{-1, 0}, {0, 1}, {1, 0}, {0, -1}}
	t := &Table{States: nrow * ncol, Actions: 4, Initial: make([]float64, nrow*ncol), P: make([][][]Outcome, nrow*ncol)}
	t.Initial[start] = 1
	outcome := func(r, c, a int, p float64) Outcome {
		nr := min(max(r+deltas[a][0], 0), nrow-1)
		nc := min(max(c+deltas[a][1], 0), ncol-1)
		if nr == 3 && nc >= 1 && nc <= 10 {
			return Outcome{Prob: p, Next: start, Reward: -100}
		}
		next := nr*ncol + nc
		return Outcome{Prob: p, Next: next, Reward: -1, Terminated: next == goal}
	}
	for s := range t.P {
		r, c := s/ncol, s%ncol
		t.P[s] = make([][]Outcome, 4)
		for a := range 4 {
			if slippery {
				for _, b := range []int{(a + 3) % 4, a, (a + 1) % 4} {
					t.P[s][a] = append(t.P[s][a], outcome(r, c, b, 1.0/3))
				}
			} else {
				t.P[s][a] = []Outcome{outcome(r, c, a, 1)}
			}
		}
	}
	return t
}

func taxiSpec() Spec {
	return Spec{
		ID: "Taxi-v3",
		Doc: "drive a taxi on a 5×5 grid to the passenger, pick up, drive to the destination, drop off; " +
			"-1 per step, +20 for the delivery, -10 for a wrong pickup or dropoff; supplies action masks",
		MaxEpisodeSteps:    200,
		RewardThreshold:    8,
		HasRewardThreshold: true,
		New: func(cfg Config) (Env, error) {
			return newMaskedTabular(TaxiTable(), cfg)
		},
	}
}

// taxiMap is Taxi's map; ':' between cells is passable, '|' a wall.
var taxiMap = []string{
	"+---------+",
	"|R: | : :G|",
	"| : | : : |",
	"| : : : : |",
	"| | : | : |",
	"|Y| : |B: |",
	"+---------+",
}

// taxiLocs are the pick-up and drop-off cells R, G, Y, B as (row, column).
var taxiLocs = [4][2]int{{0, 0}, {0, 4}, {4, 0}, {4, 3}}

// TaxiTable is Taxi-v3's table. State ((row·5 + col)·5 + passenger)·4 + destination, where the
// passenger is at location 0-3 or in the taxi (4). Actions: south, north, east, west, pickup,
// dropoff. The start is uniform over the 300 states with the passenger waiting at a location
// other than the destination. The mask allows moves that change the position and the pickup
// or dropoff that would not cost -10.
func TaxiTable() *Table {
	const n = 500
	t := &Table{States: n, Actions: 6, Initial: make([]float64, n), P: make([][][]Outcome, n), Mask: make([][]bool, n)}
	for row := range 5 {
		for col := range 5 {
			for pass := range 5 {
				for dest := range 4 {
					s := ((row*5+col)*5+pass)*4 + dest
					if pass < 4 && pass != dest {
						t.Initial[s] = 1.0 / 300
					}
					t.P[s] = make([][]Outcome, 6)
					for a := range 6 {
						nr, nc, np := row, col, pass
						rew, term := -1.0, false
						here := [2]int{row, col}
						switch a {
						case 0:
							nr = min(row+1, 4)
						case 1:
							nr = max(row-1, 0)
						case 2:
							if taxiMap[1+row][2*col+2] == ':' {
								nc = min(col+1, 4)
							}
						case 3:
							if taxiMap[1+row][2*col] == ':' {
								nc = max(col-1, 0)
							}
						case 4:
							if pass < 4 && here == taxiLocs[pass] {
								np = 4
							} else {
								rew = -10
							}
						case 5:
							at := slices.Index(taxiLocs[:], here)
							switch {
							case pass == 4 && here == taxiLocs[dest]:
								np, term, rew = dest, true, 20
							case pass == 4 && at >= 0:
								np = at
							default:
								rew = -10
							}
						}
						next := ((nr*5+nc)*5+np)*4 + dest
						t.P[s][a] = []Outcome{{Prob: 1, Next: next, Reward: rew, Terminated: term}}
					}
					at := slices.Index(taxiLocs[:], [2]int{row, col})
					t.Mask[s] = []bool{
						row < 4,
						row > 0,
						col < 4 && taxiMap[row+1][2*col+2] == ':',
						col > 0 && taxiMap[row+1][2*col] == ':',
						pass < 4 && [2]int{row, col} == taxiLocs[pass],
						pass == 4 && at >= 0,
					}
				}
			}
		}
	}
	return t
}
