package configs

import (
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"ppo/kl"
)

// enumOf returns the values the enum tag of the field at path allows.
func enumOf(t *testing.T, path string) []string {
	t.Helper()
	v := reflect.ValueOf(Config{})
	var f reflect.StructField
	for _, name := range strings.Split(path, ".") {
		var ok bool
		if f, ok = fieldTagged(v.Type(), name); !ok {
			t.Fatalf("no field %s", path)
		}
		v = reflect.Zero(f.Type)
	}
	return strings.Split(f.Tag.Get("enum"), "|")
}

func fieldTagged(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		if yamlName(t.Field(i)) == name {
			return t.Field(i), true
		}
	}
	return reflect.StructField{}, false
}

// TestPresetsAreKLs keeps the schema's preset enum, its doc and docs/configs.md's list of
// presets equal to package kl's table, which owns them, and Resolved equal to kl.Preset.
func TestPresetsAreKLs(t *testing.T) {
	want := append(kl.PresetNames(), PresetCustom)
	sort.Strings(want)
	got := enumOf(t, "kl.controller.preset")
	sort.Strings(got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("kl.controller.preset enum %v, want kl.PresetNames() and custom: %v", got, want)
	}
	var doc string
	for _, f := range Fields() {
		if f.Path == "kl.controller.preset" {
			doc = f.Doc
		}
	}
	readme, err := os.ReadFile("../docs/configs.md")
	if err != nil {
		t.Fatal(err)
	}
	// docs/configs.md's sentence listing the presets and their factors, to the paragraph's end.
	line := regexp.MustCompile(`(?s)Presets: .*?\n\n`).Find(readme)
	listed := regexp.MustCompile("`([a-z0-9_]+)` \\(").FindAllSubmatch(line, -1)
	var inReadme []string
	for _, m := range listed {
		inReadme = append(inReadme, string(m[1]))
	}
	sort.Strings(inReadme)
	if !reflect.DeepEqual(inReadme, kl.PresetNames()) {
		t.Errorf("docs/configs.md lists presets %v, kl has %v", inReadme, kl.PresetNames())
	}
	for _, name := range kl.PresetNames() {
		if !strings.Contains(doc, name) {
			t.Errorf("kl.controller.preset doc %q does not name preset %s", doc, name)
		}
		p, err := kl.Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		c := Default().KL.Controller
		c.Preset = name
		if h, l, u, d := c.Resolved(); h != p.HighMult || l != p.LowMult || u != p.UpFactor || d != p.DownFactor {
			t.Errorf("%s: Resolved() = %v %v %v %v, kl.Preset has %+v", name, h, l, u, d, p)
		}
	}
	// The schema's defaults are kl's: the paper's preset and kl's target and clamp.
	d := Default().KL.Controller
	if d.Preset != kl.PresetSchulman2017 || d.Target != kl.DefaultTarget || d.MinBeta != kl.DefaultMinBeta || d.MaxBeta != kl.DefaultMaxBeta {
		t.Errorf("default controller %+v does not use kl's defaults", d)
	}
}

// TestKLEnumsAreKLs keeps kl.direction and kl.estimator equal to the spellings package kl
// parses, in the order of its constants.
func TestKLEnumsAreKLs(t *testing.T) {
	dirs := []string{kl.OldNew.String(), kl.NewOld.String()}
	ests := []string{kl.Exact.String(), kl.K1.String(), kl.K2.String(), kl.K3.String()}
	for path, want := range map[string][]string{"kl.direction": dirs, "kl.estimator": ests} {
		if got := enumOf(t, path); !reflect.DeepEqual(got, want) {
			t.Errorf("%s enum %v, kl spells %v", path, got, want)
		}
	}
	for _, s := range dirs {
		if _, err := kl.ParseDirection(s); err != nil {
			t.Error(err)
		}
	}
	for _, s := range ests {
		if _, err := kl.ParseEstimator(s); err != nil {
			t.Error(err)
		}
	}
}

// TestObjectiveEnum keeps the ppo.objective enum tag equal to the Objective constants and
// their Penalised and Clipped facts to the L^KLPEN / L^CLIP definitions.
func TestObjectiveEnum(t *testing.T) {
	all := []Objective{ObjectiveKLPenalty, ObjectiveClip, ObjectiveClipKL, ObjectiveNone}
	var names []string
	for _, o := range all {
		names = append(names, string(o))
	}
	if got := enumOf(t, "ppo.objective"); !reflect.DeepEqual(got, names) {
		t.Errorf("ppo.objective enum %v, constants %v", got, names)
	}
	for _, tc := range []struct {
		o                  Objective
		penalised, clipped bool
	}{
		{ObjectiveKLPenalty, true, false}, {ObjectiveClip, false, true}, {ObjectiveClipKL, true, true}, {ObjectiveNone, false, false},
	} {
		if tc.o.Penalised() != tc.penalised || tc.o.Clipped() != tc.clipped {
			t.Errorf("%s: Penalised %v, Clipped %v", tc.o, tc.o.Penalised(), tc.o.Clipped())
		}
	}
}

// TestLegacyReferenceKeys: kl.reference.coef and kl.reference.target, from before the
// reference had a controller section, mean what they meant: coef the coefficient, held
// fixed, or with target > 0 the initial coefficient of a schulman2017 adaptive controller
// clamped to kl.controller's [min_beta, max_beta].
func TestLegacyReferenceKeys(t *testing.T) {
	for _, tc := range []struct {
		old, now string
	}{
		{"kl: {reference: {checkpoint: a.ckpt}}",
			"kl: {reference: {checkpoint: a.ckpt, controller: {kind: fixed, init_beta: 0.1}}}"},
		{"kl: {reference: {checkpoint: a.ckpt, coef: 0.5}}",
			"kl: {reference: {checkpoint: a.ckpt, controller: {kind: fixed, init_beta: 0.5}}}"},
		{"kl: {reference: {checkpoint: a.ckpt, coef: 0, target: 0}}",
			"kl: {reference: {checkpoint: a.ckpt, controller: {kind: fixed, init_beta: 0}}}"},
		{"kl: {reference: {checkpoint: a.ckpt, target: 0.02, coef: 0.3}}",
			"kl: {reference: {checkpoint: a.ckpt, controller: {kind: adaptive, preset: schulman2017, init_beta: 0.3, target: 0.02}}}"},
		{"kl: {reference: {coef: 0.1, target: 0.02, checkpoint: a.ckpt}, controller: {preset: rllib, min_beta: 0.01, max_beta: 100}}",
			"kl: {reference: {checkpoint: a.ckpt, controller: {kind: adaptive, init_beta: 0.1, target: 0.02}}, controller: {preset: rllib, min_beta: 0.01, max_beta: 100}}"},
		{"kl: {reference: {coef: 0.1, target: 0.02, checkpoint: a.ckpt}}",
			"kl: {reference: {checkpoint: a.ckpt, controller: {kind: adaptive, target: 0.02, min_beta: 0.0001, max_beta: 10000}}}"},
	} {
		old, err := Parse([]byte(tc.old))
		if err != nil {
			t.Fatalf("Parse(%s): %v", tc.old, err)
		}
		now, err := Parse([]byte(tc.now))
		if err != nil {
			t.Fatalf("Parse(%s): %v", tc.now, err)
		}
		// Equal as resolved: min_beta 0 and kl.controller's value mean the same clamp.
		if o, n := old.KL.ReferenceController(), now.KL.ReferenceController(); o != n {
			t.Errorf("%s\n resolves to %+v\n%s\n resolves to %+v", tc.old, o, tc.now, n)
		}
	}

	// The same through --set, and the clamp follows kl.controller whatever the order.
	c := Default()
	for _, s := range []string{"kl.reference.checkpoint=a.ckpt", "kl.reference.target=0.01", "kl.reference.coef=2", "kl.controller.max_beta=50"} {
		if err := c.Set(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	want := Default().KL.Controller
	want.InitBeta, want.MaxBeta = 2, 50
	if got := c.KL.ReferenceController(); got != want {
		t.Errorf("after --set: reference controller %+v, want %+v", got, want)
	}
	// target=0 after target>0 makes the coefficient fixed again, as the old key did.
	if err := c.Set("kl.reference.target=0"); err != nil || c.KL.Reference.Controller.Kind != ControllerFixed {
		t.Errorf("--set kl.reference.target=0: %v, kind %q", err, c.KL.Reference.Controller.Kind)
	}
	// Written out, the config uses the new keys only, and reads back the same.
	data, err := c.YAML()
	if err != nil {
		t.Fatal(err)
	}
	var tree struct {
		KL struct {
			Reference map[string]any `yaml:"reference"`
		} `yaml:"kl"`
	}
	if err := yaml.Unmarshal(data, &tree); err != nil {
		t.Fatal(err)
	}
	if tree.KL.Reference["coef"] != nil || tree.KL.Reference["target"] != nil || tree.KL.Reference["checkpoint"] == nil || tree.KL.Reference["controller"] == nil {
		t.Errorf("YAML() writes kl.reference as %v, want checkpoint and controller, no coef or target", tree.KL.Reference)
	}
	if back, err := Parse(data); err != nil || !reflect.DeepEqual(back, c) {
		t.Errorf("Parse(YAML()) = %v, %v", back, err)
	}
}

// TestOldRunConfigLoads loads a run's config.yaml written before kl.reference had a
// controller section (testdata/README.md) and checks the reference controller is the one
// that run used: schulman2017 towards 0.01 from 0.1, clamped to kl.controller's bounds.
func TestOldRunConfigLoads(t *testing.T) {
	c, err := Load("testdata/reference-target-v1.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got := c.KL.ReferenceController()
	want := ControllerConfig{Kind: ControllerAdaptive, Preset: kl.PresetSchulman2017, InitBeta: 0.1, Target: 0.01,
		TargetSchedule: ScheduleConstant, HighMult: 1.5, LowMult: 1 / 1.5, UpFactor: 2, DownFactor: 0.5, MinBeta: 1e-4, MaxBeta: 1e4, Horizon: 10000}
	if got != want {
		t.Errorf("reference controller %+v, want %+v", got, want)
	}
	if c.KL.Reference.Checkpoint != "runs/base/final.ckpt" || c.KL.Controller != Default().KL.Controller {
		t.Errorf("kl section changed: %+v", c.KL)
	}
}
