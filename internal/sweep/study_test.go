package sweep

import (
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"ppo/agent"
	"ppo/configs"
)

// TestShippedStudies loads every file under experiments/: configs (files
// that load as one, in a configs directory or a run's config.yaml) load and
// build; the other *.yaml files are study files, parsed with their whole
// sweep built, which checks every combination's config and constructs its
// trainer. A
// study whose results directory is committed must describe the sweep
// recorded there.
func TestShippedStudies(t *testing.T) {
	root := filepath.Join("..", "..", "experiments")
	studies := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		// A file that loads as a config is one (in a configs directory, a
		// run's config.yaml, or a study's base such as experiments/forgetting's).
		if cfg, cerr := configs.Load(p); cerr == nil || filepath.Base(filepath.Dir(p)) == "configs" || filepath.Base(p) == "config.yaml" {
			err := cerr
			// An external env's command is relative to the repository root,
			// where the run was made; the config's validation covers it here.
			if err == nil && cfg.Env.ID != configs.ExternalEnv {
				err = agent.Check(cfg)
			}
			if err != nil {
				t.Errorf("%s: %v", p, err)
			}
			return nil
		}
		studies++
		s, err := LoadStudy(p)
		if err != nil {
			t.Errorf("%v", err)
			return nil
		}
		spec, err := s.Spec()
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		if res := s.ResultsDir(); res != "" {
			if rec, err := ReadSpec(res); err == nil {
				if err := spec.Compare(rec); err != nil {
					t.Errorf("%s: %s holds another sweep: %v", p, res, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if studies == 0 {
		t.Fatal("no study files found")
	}
}

// TestCombosOf: variants in order, each with every grid combination, the
// variant's overrides first; without a grid a combination is named by its
// variant alone; without variants it is Combos.
func TestCombosOf(t *testing.T) {
	vs := []Variant{{Name: "a", Set: []string{"x=1"}}, {Name: "b", Set: []string{"x=2", "y=3"}}}
	got := combosOf(vs, []Axis{{Path: "z", Values: []string{"4", "5"}}})
	want := []Combo{
		{Label: "a,z=4", Sets: []string{"x=1", "z=4"}}, {Label: "a,z=5", Sets: []string{"x=1", "z=5"}},
		{Label: "b,z=4", Sets: []string{"x=2", "y=3", "z=4"}}, {Label: "b,z=5", Sets: []string{"x=2", "y=3", "z=5"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("combosOf = %v, want %v", got, want)
	}
	if got := combosOf(vs, nil); got[0].Label != "a" || got[1].Label != "b" || len(got) != 2 {
		t.Errorf("without a grid: %v", got)
	}
	g := []Axis{{Path: "z", Values: []string{"4"}}}
	if !reflect.DeepEqual(combosOf(nil, g), Combos(g)) {
		t.Errorf("without variants: %v", combosOf(nil, g))
	}
}
