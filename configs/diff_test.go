package configs

import (
	"slices"
	"testing"
)

func TestDiff(t *testing.T) {
	a, b := Default(), Default()
	if d := Diff(a, b); len(d) != 0 {
		t.Fatalf("equal configs differ: %v", d)
	}
	for _, s := range []string{"ppo.learning_rate=1e-3", "policy.hidden=[8]", "env.params.length=0.7", "env.id=Pendulum-v1"} {
		if err := b.Set(s); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		"env.id (\"CartPole-v1\" vs \"Pendulum-v1\")",
		"env.params ({} vs {length: 0.7})",
		"policy.hidden ([64, 64] vs [8])",
		"ppo.learning_rate (0.0003 vs 0.001)",
	}
	if got := Diff(a, b); !slices.Equal(got, want) {
		t.Fatalf("Diff:\n got %q\nwant %q", got, want)
	}
}
