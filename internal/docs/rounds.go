package docs

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"ppo/internal/bench"
)

// Interleaved before/after measurements (scripts/perf/round2.sh): a
// directory of ppo bench --json reports named CONFIG.VARIANT.rROUND.json,
// and a TSV of timed ppo train runs. The tables give, per config and
// variant, the median over rounds (and the range) of wall-clock and CPU
// throughput, each as a ratio to the first variant's median.

// roundKey is a config and a variant.
type roundKey struct{ config, variant string }

// roundSet is measurements grouped by config and variant, in first-seen
// order of configs and of variants.
type roundSet struct {
	configs, variants []string
	wall, cpu, load   map[roundKey][]float64
}

func newRoundSet() *roundSet {
	return &roundSet{wall: map[roundKey][]float64{}, cpu: map[roundKey][]float64{}, load: map[roundKey][]float64{}}
}

func (s *roundSet) add(config, variant string, wall, cpu, load float64) {
	if !slices.Contains(s.configs, config) {
		s.configs = append(s.configs, config)
	}
	if !slices.Contains(s.variants, variant) {
		s.variants = append(s.variants, variant)
	}
	k := roundKey{config, variant}
	s.wall[k] = append(s.wall[k], wall)
	s.cpu[k] = append(s.cpu[k], cpu)
	s.load[k] = append(s.load[k], load)
}

func median(x []float64) float64 {
	y := slices.Clone(x)
	slices.Sort(y)
	n := len(y)
	if n%2 == 1 {
		return y[n/2]
	}
	return (y[n/2-1] + y[n/2]) / 2
}

// table renders the set; what names the throughput (env-steps/s).
func (s *roundSet) table() string {
	var b strings.Builder
	b.WriteString("| config | variant | rounds | env-steps/s, median (range) | vs " + s.variants[0] +
		" | env-steps per CPU-second, median (range) | vs " + s.variants[0] + " | load |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, c := range s.configs {
		base := roundKey{c, s.variants[0]}
		for _, v := range s.variants {
			k := roundKey{c, v}
			w, cpu, l := s.wall[k], s.cpu[k], s.load[k]
			if len(w) == 0 {
				continue
			}
			ratio := func(m map[roundKey][]float64) string {
				if len(m[base]) == 0 {
					return "–"
				}
				return fmt.Sprintf("%.2f×", median(m[k])/median(m[base]))
			}
			fmt.Fprintf(&b, "| `%s` | %s | %d | %s (%s–%s) | %s | %s (%s–%s) | %s | %.1f–%.1f |\n", c, v, len(w),
				thousands(median(w)), thousands(slices.Min(w)), thousands(slices.Max(w)), ratio(s.wall),
				thousands(median(cpu)), thousands(slices.Min(cpu)), thousands(slices.Max(cpu)), ratio(s.cpu),
				slices.Min(l), slices.Max(l))
		}
	}
	return b.String()
}

// genBenchRounds: bench-rounds DIR, the reports DIR/CONFIG.VARIANT.rN.json.
func genBenchRounds(root string, args []string) (string, error) {
	if len(args) != 1 {
		return "", fmt.Errorf("want one directory of CONFIG.VARIANT.rN.json reports")
	}
	s, err := benchRounds(root, args[0])
	if err != nil {
		return "", err
	}
	return s.table(), nil
}

// genBenchRatio: bench-ratio DIR CONFIG.VARIANT CONFIG.VARIANT, a sentence
// comparing two rows of bench-rounds DIR: the first's median throughput
// as a multiple of the second's, wall-clock and per CPU-second.
func genBenchRatio(root string, args []string) (string, error) {
	if len(args) != 3 {
		return "", fmt.Errorf("want a directory of reports and two CONFIG.VARIANT names")
	}
	s, err := benchRounds(root, args[0])
	if err != nil {
		return "", err
	}
	var k [2]roundKey
	for i, a := range args[1:] {
		c, v, ok := strings.Cut(a, ".")
		k[i] = roundKey{c, v}
		if !ok || len(s.wall[k[i]]) == 0 {
			return "", fmt.Errorf("%s: no reports %s.rN.json", args[0], a)
		}
	}
	name := func(k roundKey) string { return fmt.Sprintf("`%s` (%s)", k.config, k.variant) }
	w, c := [2]float64{median(s.wall[k[0]]), median(s.wall[k[1]])}, [2]float64{median(s.cpu[k[0]]), median(s.cpu[k[1]])}
	return fmt.Sprintf("%s runs at %.2f× the env-steps/s of %s (medians over %d and %d rounds: %s / %s) "+
		"and %.2f× their env steps per CPU-second (%s / %s).\n", name(k[0]), w[0]/w[1], name(k[1]),
		len(s.wall[k[0]]), len(s.wall[k[1]]), thousands(w[0]), thousands(w[1]), c[0]/c[1], thousands(c[0]), thousands(c[1])), nil
}

// benchRounds reads the reports DIR/CONFIG.VARIANT.rN.json.
func benchRounds(root, dir string) (*roundSet, error) {
	files, err := filepath.Glob(filepath.Join(root, dir, "*.r*.json"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("%s: no CONFIG.VARIANT.rN.json reports", dir)
	}
	slices.SortFunc(files, func(a, b string) int { return strings.Compare(roundOrder(a), roundOrder(b)) })
	s := newRoundSet()
	for _, f := range files {
		parts := strings.Split(strings.TrimSuffix(filepath.Base(f), ".json"), ".")
		if len(parts) != 3 {
			return nil, fmt.Errorf("%s: want CONFIG.VARIANT.rN.json", f)
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var r bench.Result
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if r.Seconds <= 0 || r.CPUSeconds <= 0 {
			return nil, fmt.Errorf("%s: no timings", f)
		}
		s.add(parts[0], parts[1], float64(r.Steps)/r.Seconds, float64(r.Steps)/r.CPUSeconds, r.LoadAverage)
	}
	return s, nil
}

// roundOrder sorts reports by round, then as the script ran them.
func roundOrder(f string) string {
	parts := strings.Split(strings.TrimSuffix(filepath.Base(f), ".json"), ".")
	if len(parts) != 3 {
		return f
	}
	n, _ := strconv.Atoi(strings.TrimPrefix(parts[2], "r"))
	return fmt.Sprintf("%06d", n) + f
}

// genTrainRounds: train-rounds FILE, the TSV of timed ppo train runs
// (round, config, variant, env_steps, wall_s, user_s, sys_s, max_rss_kb,
// load1, ...).
func genTrainRounds(root string, args []string) (string, error) {
	if len(args) != 1 {
		return "", fmt.Errorf("want one TSV file")
	}
	data, err := os.ReadFile(filepath.Join(root, args[0]))
	if err != nil {
		return "", err
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) < 2 {
		return "", fmt.Errorf("%s: no rows", args[0])
	}
	head := strings.Split(lines[0], "\t")
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	for _, h := range []string{"config", "variant", "env_steps", "wall_s", "user_s", "sys_s", "load1"} {
		if _, ok := col[h]; !ok {
			return "", fmt.Errorf("%s: no column %s", args[0], h)
		}
	}
	s := newRoundSet()
	for i, line := range lines[1:] {
		f := strings.Split(line, "\t")
		if len(f) != len(head) {
			return "", fmt.Errorf("%s: row %d has %d fields, want %d", args[0], i+2, len(f), len(head))
		}
		num := func(h string) (float64, error) { return strconv.ParseFloat(f[col[h]], 64) }
		var v [5]float64
		for j, h := range []string{"env_steps", "wall_s", "user_s", "sys_s", "load1"} {
			if v[j], err = num(h); err != nil {
				return "", fmt.Errorf("%s: row %d: %s: %w", args[0], i+2, h, err)
			}
		}
		s.add(f[col["config"]], f[col["variant"]], v[0]/v[1], v[0]/(v[2]+v[3]), v[4])
	}
	return s.table(), nil
}

// genText: text FILE, the file verbatim in a code block.
func genText(root string, args []string) (string, error) {
	if len(args) != 1 {
		return "", fmt.Errorf("want one file")
	}
	data, err := os.ReadFile(filepath.Join(root, args[0]))
	if err != nil {
		return "", err
	}
	body := strings.TrimRight(string(data), "\n")
	if strings.Contains(body, "```") {
		return "", fmt.Errorf("%s: contains a code fence", args[0])
	}
	return "```\n" + body + "\n```\n", nil
}

// genBenchPhases: bench-phases FILE..., each ppo bench --json report's
// time by phase, CPU time, allocations per update over the first and
// second halves of the run, and peak RSS.
func genBenchPhases(root string, args []string) (string, error) {
	if len(args) == 0 {
		return "", fmt.Errorf("want ppo bench --json reports")
	}
	var b strings.Builder
	b.WriteString("| report | wall s | CPU s | acting s | env s | learning s | other s | allocs/update, 1st half | 2nd half | peak RSS | load |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	reports, err := benchReports(root, args)
	if err != nil {
		return "", err
	}
	for i, a := range args {
		r := reports[i]
		fmt.Fprintf(&b, "| `%s` | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %s | %s | %.0f MB | %.1f |\n",
			strings.TrimSuffix(filepath.Base(a), ".json"), r.Seconds, r.CPUSeconds, r.Acting.Seconds, r.Env.Seconds,
			r.Learning.Seconds, r.Other.Seconds, thousands(r.AllocsPerUpdate[0]), thousands(r.AllocsPerUpdate[1]),
			float64(r.MaxRSS)/1e6, r.LoadAverage)
	}
	return b.String(), nil
}
