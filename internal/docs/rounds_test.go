package docs

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRoundGenerators: medians over rounds, ranges and ratios to the first
// variant, from bench reports and from a train TSV; malformed input is an
// error.
func TestRoundGenerators(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "r")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	// steps 1000; wall seconds and CPU seconds per report.
	for name, secs := range map[string][2]float64{
		"cp.base.r1.json": {1, 2}, "cp.base.r2.json": {2, 2}, "cp.base.r3.json": {4, 4},
		"cp.new.r1.json": {0.5, 1}, "cp.new.r2.json": {1, 1}, "cp.new.r3.json": {0.25, 1},
	} {
		body := `{"env_steps": 1000, "seconds": ` + ftoa(secs[0]) + `, "cpu_seconds": ` + ftoa(secs[1]) + `, "load_average": 1.5}`
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	got, err := genBenchRounds(root, []string{"r"})
	if err != nil {
		t.Fatal(err)
	}
	// base: wall 1000/{1,2,4} → median 500; CPU 1000/{2,2,4} → 500.
	// new: wall {2000,1000,4000} → 2000 (4.00×); CPU 1000 (2.00×).
	for _, want := range []string{
		"| `cp` | base | 3 | 500 (250–1,000) | 1.00× | 500 (250–500) | 1.00× | 1.5–1.5 |",
		"| `cp` | new | 3 | 2,000 (1,000–4,000) | 4.00× | 1,000 (1,000–1,000) | 2.00× | 1.5–1.5 |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("bench-rounds:\n%s\nwant a row %s", got, want)
		}
	}
	got, err = genBenchRatio(root, []string{"r", "cp.new", "cp.base"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "`cp` (new) runs at 4.00× the env-steps/s of `cp` (base) (medians over 3 and 3 rounds: 2,000 / 500) and 2.00× their env steps per CPU-second (1,000 / 500).\n"; got != want {
		t.Errorf("bench-ratio: %q, want %q", got, want)
	}
	for _, bad := range [][]string{{"r", "cp.new"}, {"r", "cp.new", "cp.old"}, {"r", "cp", "cp.base"}} {
		if _, err := genBenchRatio(root, bad); err == nil {
			t.Errorf("bench-ratio accepted %q", bad)
		}
	}
	tsv := "round\tconfig\tvariant\tenv_steps\twall_s\tuser_s\tsys_s\tload1\n" +
		"1\tz\tbase\t100\t2\t1.5\t0.5\t3\n1\tz\tnew\t100\t1\t0.5\t0.5\t4\n"
	if err := os.WriteFile(filepath.Join(root, "t.tsv"), []byte(tsv), 0o666); err != nil {
		t.Fatal(err)
	}
	got, err = genTrainRounds(root, []string{"t.tsv"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "| `z` | new | 1 | 100 (100–100) | 2.00× | 100 (100–100) | 2.00× | 4.0–4.0 |"; !strings.Contains(got, want) {
		t.Errorf("train-rounds:\n%s\nwant a row %s", got, want)
	}
	for _, bad := range []string{"round\tconfig\n1\tz\n", "config\tvariant\tenv_steps\twall_s\tuser_s\tsys_s\tload1\nz\tnew\t1\tx\t1\t1\t1\n"} {
		os.WriteFile(filepath.Join(root, "bad.tsv"), []byte(bad), 0o666)
		if _, err := genTrainRounds(root, []string{"bad.tsv"}); err == nil {
			t.Errorf("train-rounds accepted %q", bad)
		}
	}
	got, err = genBenchPhases(root, []string{"r/cp.new.r2.json"})
	if want := "| `cp.new.r2` | 1.00 | 1.00 | 0.00 | 0.00 | 0.00 | 0.00 | 0 | 0 | 0 MB | 1.5 |"; err != nil || !strings.Contains(got, want) {
		t.Errorf("bench-phases: %v\n%s\nwant a row %s", err, got, want)
	}
	if _, err := genBenchRounds(root, []string{"nothing"}); err == nil {
		t.Error("bench-rounds of an empty directory: no error")
	}
}

func ftoa(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
