package sweep

import (
	"path/filepath"
	"testing"

	"ppo/configs"
)

// TestCommittedSweepsResume: every sweep committed under experiments/results is still
// the same sweep to today's code, so `ppo sweep` can add to it, although its base config
// was written by older code (before log.keep_checkpoints, or with kl.reference's old
// coef and target keys).
func TestCommittedSweepsResume(t *testing.T) {
	dirs, err := filepath.Glob("../../experiments/results/*/sweep.json")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no committed sweeps: %v", err)
	}
	for _, p := range dirs {
		old, err := ReadSpec(filepath.Dir(p))
		if err != nil {
			t.Fatal(err)
		}
		base, err := configs.Parse([]byte(old.Base))
		if err != nil {
			t.Fatalf("%s: base config: %v", p, err)
		}
		now, err := newSpec(old.ConfigPath, old.Sets, base, old.Grid, old.Seeds)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if err := now.Compare(old); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}
