package sweep

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"ppo/agent"
	"ppo/configs"
)

// tinySets make a CartPole run of 4 short updates that takes well under a
// second (the agent package's smallConfig, shrunk).
var tinySets = []string{"total_timesteps=512", "env.num_envs=2", "ppo.rollout_steps=64", "ppo.minibatch_size=64",
	"ppo.epochs=2", "eval.episodes=2", "policy.hidden=[16]", "log.checkpoint_every=2"}

func tinyBase(t *testing.T, sets ...string) *configs.Config {
	t.Helper()
	cfg := configs.Default()
	for _, s := range append(append([]string{}, tinySets...), sets...) {
		if err := cfg.Set(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func axes(t *testing.T, flags ...string) []Axis {
	t.Helper()
	var g []Axis
	for _, f := range flags {
		a, err := ParseAxis(f)
		if err != nil {
			t.Fatal(err)
		}
		g = append(g, a)
	}
	return g
}

// TestCombosOrder: the last axis varies fastest, as nested loops.
func TestCombosOrder(t *testing.T) {
	got := Combos([]Axis{{"a", []string{"1", "2"}}, {"b", []string{"x", "y", "z"}}})
	want := [][]string{{"a=1", "b=x"}, {"a=1", "b=y"}, {"a=1", "b=z"}, {"a=2", "b=x"}, {"a=2", "b=y"}, {"a=2", "b=z"}}
	if len(got) != len(want) {
		t.Fatalf("%d combos, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i].Sets, want[i]) || got[i].Label != strings.Join(want[i], ",") {
			t.Errorf("combo %d = %+v, want sets %v", i, got[i], want[i])
		}
	}
	if c := Combos(nil); len(c) != 1 || c[0].Label != "base" || len(c[0].Sets) != 0 {
		t.Errorf("Combos(nil) = %+v, want one base combination", c)
	}
	// Jobs: combinations in order, seeds in order within each.
	s := &Spec{Seeds: []uint64{5, 1}, Combos: got}
	jobs := s.Jobs()
	if len(jobs) != 12 {
		t.Fatalf("%d jobs", len(jobs))
	}
	for k, j := range jobs {
		if j.Index != k || j.Combo != k/2 || j.Seed != s.Seeds[k%2] || j.Label != got[k/2].Label {
			t.Errorf("job %d = %+v", k, j)
		}
	}
	if d := jobs[3].Dir(); d != filepath.Join("a=1,b=y", "seed-1") {
		t.Errorf("job 3 dir %q", d)
	}
}

func TestLabel(t *testing.T) {
	for _, tc := range []struct {
		sets []string
		want string
	}{
		{nil, "base"},
		{[]string{"ppo.learning_rate=0.001", "kl.controller.target=0.02"}, "ppo.learning_rate=0.001,kl.controller.target=0.02"},
		{[]string{"ppo.learning_rate=1e-3"}, "ppo.learning_rate=1e-3"},
		{[]string{"ppo.clip_range=-0.5"}, "ppo.clip_range=-0.5"},
		{[]string{"policy.hidden=[64,64]"}, "policy.hidden=%5B64%2C64%5D"},
		{[]string{"env.id=a/b c"}, "env.id=a%2Fb%20c"},
		{[]string{"name=x=y"}, "name=x%3Dy"},
		{[]string{"name=50%"}, "name=50%25"},
		{[]string{"name=..", "env.id=*"}, "name=..,env.id=%2A"},
		{[]string{"name=é"}, "name=%C3%A9"},
	} {
		if got := Label(tc.sets); got != tc.want {
			t.Errorf("Label(%q) = %q, want %q", tc.sets, got, tc.want)
		}
	}
	// Long labels are cut to 200 bytes and stay distinct through the hash.
	a := Label([]string{"name=" + strings.Repeat("x", 300) + "a"})
	b := Label([]string{"name=" + strings.Repeat("x", 300) + "b"})
	if len(a) != maxLabel || len(b) != maxLabel || a == b || !strings.Contains(a, "~") {
		t.Errorf("long labels %q (%d) and %q (%d)", a, len(a), b, len(b))
	}
	// Distinct override lists give distinct labels, made only of safe bytes.
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte("ab,=%/ .[]{}'\"\n-_")
	seen := map[string][]string{}
	for range 5000 {
		var sets []string
		for range 1 + rng.IntN(2) {
			var v []byte
			for range rng.IntN(5) {
				v = append(v, alphabet[rng.IntN(len(alphabet))])
			}
			sets = append(sets, "p"+string(rune('0'+len(sets)))+"="+string(v))
		}
		l := Label(sets)
		if prev, ok := seen[l]; ok && !reflect.DeepEqual(prev, sets) {
			t.Fatalf("%q and %q share label %q", prev, sets, l)
		}
		seen[l] = sets
		for i := 0; i < len(l); i++ {
			if !strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+=,%", rune(l[i])) {
				t.Fatalf("label %q holds %q", l, l[i])
			}
		}
	}
}

// TestNewRefusals: every bad grid is refused before any run, naming the
// path or combination.
func TestNewRefusals(t *testing.T) {
	base := tinyBase(t)
	for _, tc := range []struct {
		grid []Axis
		want string
	}{
		{axes(t, "ppo.learnin_rate=0.1,0.2"), "ppo.learnin_rate"},
		{axes(t, "ppo.epochs=2,2.5"), "--grid ppo.epochs=2.5: config: ppo.epochs"},
		{axes(t, "ppo.learning_rate=0.001,-1"), "--grid combination ppo.learning_rate=-1: config: ppo.learning_rate: must be > 0"},
		{axes(t, "env.id=CartPole-v1,Nope-v0"), "Nope-v0"},
		{axes(t, "env.params.nonsense=1,2"), "nonsense"},
		{axes(t, "ppo.minibatch_size=64,1000"), "ppo.minibatch_size"},
		{axes(t, "ppo.learning_rate=0.001,1e-3"), "give the same config"},
		{append(axes(t, "ppo.epochs=1,2"), axes(t, "ppo.epochs=3")...), "--grid ppo.epochs given twice"},
		{axes(t, "kl.reference.checkpoint=/nonexistent/x.ckpt"), "kl.reference.checkpoint"},
	} {
		_, err := newSpec("c.yaml", nil, base, tc.grid, []uint64{1})
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("grid %v: error %v, want one line naming %q", tc.grid, err, tc.want)
		}
	}
	if _, err := newSpec("c.yaml", nil, base, nil, nil); err == nil {
		t.Error("no seeds accepted")
	}
	big := axes(t, "ppo.epochs=1,2,3,4,5,6,7,8,9,10", "ppo.gamma=0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,0.95",
		"ppo.gae_lambda=0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,0.95", "ppo.value_coef=0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,0.95",
		"ppo.entropy_coef=0,0.1")
	if _, err := newSpec("c.yaml", nil, base, big, []uint64{1}); err == nil || !strings.Contains(err.Error(), "more than 10000 combinations") {
		t.Errorf("20000 combinations: %v", err)
	}
}

// TestSpecConfig: a job's config is the base with the combination's
// overrides and the job's seed, and sweep.json round-trips.
func TestSpecConfig(t *testing.T) {
	s, err := newSpec("c.yaml", []string{"ppo.epochs=2"}, tinyBase(t), axes(t, "ppo.learning_rate=0.001,0.003", "kl.controller.target=0.02"), []uint64{4, 9})
	if err != nil {
		t.Fatal(err)
	}
	j := s.Jobs()[3]
	cfg, err := s.Config(j)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PPO.LearningRate != 0.003 || cfg.KL.Controller.Target != 0.02 || cfg.Seed != 9 || cfg.TotalTimesteps != 512 {
		t.Errorf("job %+v config: lr %v target %v seed %d steps %d", j, cfg.PPO.LearningRate, cfg.KL.Controller.Target, cfg.Seed, cfg.TotalTimesteps)
	}
	dir := t.TempDir()
	if err := s.Claim(dir); err != nil {
		t.Fatal(err)
	}
	r, err := ReadSpec(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r, s) {
		t.Errorf("sweep.json read back as %+v, want %+v", r, s)
	}
	// Without a grid: one combination, "base", and the same round trip.
	s, err = newSpec("c.yaml", nil, tinyBase(t), nil, []uint64{1})
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	if err := s.Claim(dir); err != nil {
		t.Fatal(err)
	}
	if r, err = ReadSpec(dir); err != nil || !reflect.DeepEqual(r, s) || s.Compare(r) != nil || len(r.Combos) != 1 || r.Combos[0].Label != "base" {
		t.Errorf("sweep.json without a grid read back as %+v (%v), want %+v", r, err, s)
	}
}

// TestClaim: same sweep accepted (also by concurrent claimers), a
// different sweep or a non-sweep directory refused as input errors, and a
// tampered sweep.json refused.
func TestClaim(t *testing.T) {
	base := tinyBase(t)
	s1, err := newSpec("a.yaml", nil, base, axes(t, "ppo.epochs=1,2"), []uint64{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "shared")
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, _ := newSpec("elsewhere/a.yaml", nil, base, axes(t, "ppo.epochs=1,2"), []uint64{1, 2})
			errs[i] = s.Claim(dir)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("claimer %d: %v", i, err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != specFile {
		t.Errorf("after concurrent claims the directory holds %v", entries)
	}
	for _, tc := range []struct {
		grid  []Axis
		seeds []uint64
		want  string
	}{
		{axes(t, "ppo.epochs=1,2"), []uint64{1, 2, 3}, "seeds differ (1-3 vs 1,2)"},
		{axes(t, "ppo.epochs=1,3"), []uint64{1, 2}, "grids differ"},
	} {
		s2, err := newSpec("a.yaml", nil, base, tc.grid, tc.seeds)
		if err != nil {
			t.Fatal(err)
		}
		err = s2.Claim(dir)
		var in *agent.InputError
		if !errors.As(err, &in) || !strings.Contains(err.Error(), "holds a different sweep: "+tc.want) {
			t.Errorf("claiming with %v %v: %v", tc.grid, tc.seeds, err)
		}
	}
	s3, _ := newSpec("a.yaml", nil, tinyBase(t, "ppo.gamma=0.9"), axes(t, "ppo.epochs=1,2"), []uint64{1, 2})
	if err := s3.Claim(dir); err == nil || !strings.Contains(err.Error(), `base configs differ: ppo.gamma (0.9 vs 0.99)`) {
		t.Errorf("other base config: %v", err)
	}
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "notes.txt"), []byte("mine"), 0o644)
	if err := s1.Claim(other); err == nil || !strings.Contains(err.Error(), "not a sweep directory") {
		t.Errorf("claiming a non-sweep directory: %v", err)
	}
	var m map[string]any
	b, _ := os.ReadFile(filepath.Join(dir, specFile))
	json.Unmarshal(b, &m)
	m["combos"].([]any)[0].(map[string]any)["label"] = "x"
	b, _ = json.Marshal(m)
	os.WriteFile(filepath.Join(dir, specFile), b, 0o644)
	if err := s1.Claim(dir); err == nil || !strings.Contains(err.Error(), "combinations do not match the grid") {
		t.Errorf("tampered sweep.json: %v", err)
	}
}
