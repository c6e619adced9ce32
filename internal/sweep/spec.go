// Package sweep runs a training config over seeds and a grid of overrides, in shards, and summarises the runs.
// It imports agent, configs, report and rundir.
package sweep

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"ppo/agent"
	"ppo/configs"
	"ppo/internal/atomicfile"
)

// specFile is the file in a sweep directory that describes the sweep.
const specFile = "sweep.json"

// specVersion is the format of specFile.
const specVersion = 1

// Combo is one point of the grid: the overrides it applies, in grid order,
// and the directory name of its runs.
type Combo struct {
	Label string   `json:"label"`
	Sets  []string `json:"sets"`
}

// Job is one run: a combination and a seed. Index is the job's position in
// Spec.Jobs, which sharding works from.
type Job struct {
	Index int    `json:"job"`
	Combo int    `json:"combo"`
	Label string `json:"label"`
	Seed  uint64 `json:"seed"`
}

// Dir is the job's run directory relative to the sweep directory.
func (j Job) Dir() string { return filepath.Join(j.Label, fmt.Sprintf("seed-%d", j.Seed)) }

// Spec describes a sweep; it is stored as sweep.json so that shards can be
// checked against each other and collected without the original flags.
type Spec struct {
	Version int `json:"version"`
	// ConfigPath is the --config path as given and Sets the --set overrides;
	// both are recorded for people, and Base is what counts.
	ConfigPath string   `json:"config"`
	Sets       []string `json:"sets"`
	// Base is the resolved config YAML (file plus --set) that every run
	// starts from before its combination's overrides and its seed.
	Base  string   `json:"base_config"`
	Grid  []Axis   `json:"grid"`
	Seeds []uint64 `json:"seeds"`
	// Variants, from a study file, are named override sets; each is run
	// with every grid combination (combosOf).
	Variants []Variant `json:"variants,omitempty"`
	Combos   []Combo   `json:"combos"`
}

// New describes the sweep of base (already loaded, overridden and
// validated) over the cartesian product of grid with seeds. Every
// combination's config is built and checked here, including what only
// constructing a trainer checks (environment id and parameters, the
// reference checkpoint), so that a bad value is refused before any run.
func newSpec(configPath string, sets []string, base *configs.Config, grid []Axis, seeds []uint64) (*Spec, error) {
	return NewWithVariants(configPath, sets, base, nil, grid, seeds)
}

// NewWithVariants is New for a sweep of named variants (a study's), each
// run with every combination of grid.
func NewWithVariants(configPath string, sets []string, base *configs.Config, variants []Variant, grid []Axis, seeds []uint64) (*Spec, error) {
	if len(seeds) == 0 {
		return nil, errors.New("no seeds")
	}
	paths := map[string]bool{}
	combos := 1
	for _, a := range grid {
		if paths[a.Path] {
			return nil, fmt.Errorf("--grid %s given twice", a.Path)
		}
		paths[a.Path] = true
		if len(a.Values) == 0 {
			return nil, fmt.Errorf("--grid %s: no values", a.Path)
		}
		if combos *= len(a.Values); combos > MaxCombos {
			return nil, fmt.Errorf("--grid: more than %d combinations", MaxCombos)
		}
	}
	if err := checkVariants(variants); err != nil {
		return nil, err
	}
	// A variant setting a grid axis's path would be overridden by the
	// grid without a word: refuse the clash.
	for _, v := range variants {
		for _, set := range v.Set {
			if p, _, _ := strings.Cut(set, "="); paths[strings.TrimSpace(p)] {
				return nil, fmt.Errorf("variant %s sets %s, which the grid varies", v.Name, strings.TrimSpace(p))
			}
		}
	}
	combos *= max(1, len(variants))
	if combos > MaxCombos {
		return nil, fmt.Errorf("variants × grid: more than %d combinations", MaxCombos)
	}
	if combos*len(seeds) > MaxJobs {
		return nil, fmt.Errorf("%d combinations × %d seeds is more than %d runs", combos, len(seeds), MaxJobs)
	}
	y, err := base.YAML()
	if err != nil {
		return nil, err
	}
	s := &Spec{Version: specVersion, ConfigPath: configPath, Sets: append([]string{}, sets...), Base: string(y),
		Grid: grid, Seeds: seeds, Variants: variants, Combos: combosOf(variants, grid)}
	s.normalize()
	// Each value alone first, so that an unknown path or a value of the
	// wrong type is named as such rather than as a bad combination.
	for _, a := range grid {
		for _, v := range a.Values {
			cfg, err := configs.Parse(y)
			if err != nil {
				return nil, fmt.Errorf("base config: %w", err)
			}
			if err := cfg.Set(a.Path + "=" + v); err != nil {
				return nil, fmt.Errorf("--grid %s=%s: %w", a.Path, v, err)
			}
		}
	}
	for _, v := range variants {
		cfg, err := configs.Parse(y)
		if err != nil {
			return nil, fmt.Errorf("base config: %w", err)
		}
		for _, set := range v.Set {
			if err := cfg.Set(set); err != nil {
				return nil, fmt.Errorf("variant %s: %s: %w", v.Name, set, err)
			}
		}
	}
	seen := map[string]string{}
	labels := map[string]bool{}
	for _, c := range s.Combos {
		if labels[c.Label] {
			return nil, fmt.Errorf("--grid: two combinations share the directory name %s", c.Label)
		}
		labels[c.Label] = true
		cfg, err := s.config(c, seeds[0])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.describe(c), err)
		}
		if err := agent.Check(cfg); err != nil {
			return nil, fmt.Errorf("%s: %w", s.describe(c), err)
		}
		cy, err := cfg.YAML()
		if err != nil {
			return nil, err
		}
		if other, ok := seen[string(cy)]; ok {
			return nil, fmt.Errorf("--grid combinations %s and %s give the same config", other, strings.Join(c.Sets, " "))
		}
		seen[string(cy)] = strings.Join(c.Sets, " ")
	}
	return s, nil
}

// Combos lists the cartesian product of the grid, the last axis varying
// fastest (as nested loops over the axes in order would). An empty grid
// has one combination, labelled "base".
func Combos(grid []Axis) []Combo {
	out := []Combo{{Sets: []string{}}}
	for _, a := range grid {
		var next []Combo
		for _, c := range out {
			for _, v := range a.Values {
				sets := append(append([]string{}, c.Sets...), a.Path+"="+v)
				next = append(next, Combo{Sets: sets})
			}
		}
		out = next
	}
	for i := range out {
		out[i].Label = Label(out[i].Sets)
	}
	return out
}

// combosOf lists the combinations of a sweep with variants: each variant
// in order, and within it every grid combination (Combos), its overrides
// after the variant's. A combination is labelled by the variant's name,
// followed by a comma and the grid combination's label when there is a
// grid. Without variants it is Combos(grid).
func combosOf(variants []Variant, grid []Axis) []Combo {
	g := Combos(grid)
	if len(variants) == 0 {
		return g
	}
	var out []Combo
	for _, v := range variants {
		for _, c := range g {
			label := v.Name
			if len(grid) > 0 {
				label += "," + c.Label
			}
			out = append(out, Combo{Label: label, Sets: append(append([]string{}, v.Set...), c.Sets...)})
		}
	}
	return out
}

// maxLabel keeps directory names well under the usual 255-byte limit.
const maxLabel = 200

// Label renders overrides as a directory name: "path=value" pairs joined by
// commas, with every byte outside [A-Za-z0-9._+-] of a path or value
// written as %XX, so distinct overrides give distinct names and no name
// holds a separator or shell metacharacter. Names longer than 200 bytes
// are cut and end in "~" and 16 hex digits of the SHA-256 of the full
// name. No overrides give "base".
func Label(sets []string) string {
	if len(sets) == 0 {
		return "base"
	}
	var b strings.Builder
	for i, s := range sets {
		if i > 0 {
			b.WriteByte(',')
		}
		p, v, _ := strings.Cut(s, "=")
		escape(&b, p)
		b.WriteByte('=')
		escape(&b, v)
	}
	l := b.String()
	if len(l) > maxLabel {
		h := sha256.Sum256([]byte(l))
		l = l[:maxLabel-17] + "~" + hex.EncodeToString(h[:8])
	}
	return l
}

func escape(b *strings.Builder, s string) {
	const hexd = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-' || c == '+' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexd[c>>4])
		b.WriteByte(hexd[c&15])
	}
}

// Jobs lists every run of the sweep: combinations in order, and within each
// its seeds in order, so job k is combination k/len(Seeds) with seed
// Seeds[k%len(Seeds)].
func (s *Spec) Jobs() []Job {
	jobs := make([]Job, 0, len(s.Combos)*len(s.Seeds))
	for ci, c := range s.Combos {
		for _, seed := range s.Seeds {
			jobs = append(jobs, Job{Index: len(jobs), Combo: ci, Label: c.Label, Seed: seed})
		}
	}
	return jobs
}

// Config builds the validated config of job j: the base, the combination's
// overrides in grid order, then the seed.
func (s *Spec) Config(j Job) (*configs.Config, error) {
	if j.Combo < 0 || j.Combo >= len(s.Combos) {
		return nil, fmt.Errorf("job %d: no combination %d", j.Index, j.Combo)
	}
	return s.config(s.Combos[j.Combo], j.Seed)
}

func (s *Spec) config(c Combo, seed uint64) (*configs.Config, error) {
	cfg, err := configs.Parse([]byte(s.Base))
	if err != nil {
		return nil, fmt.Errorf("base config: %w", err)
	}
	for _, set := range c.Sets {
		if err := cfg.Set(set); err != nil {
			return nil, err
		}
	}
	cfg.Seed = seed
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// describe names combination c in a message: its study variant and grid
// overrides, or its --grid overrides.
func (s *Spec) describe(c Combo) string {
	if len(s.Variants) == 0 {
		return "--grid combination " + strings.Join(c.Sets, " ")
	}
	name, grid, _ := strings.Cut(c.Label, ",")
	if grid == "" {
		return fmt.Sprintf("variant %s (%s)", name, strings.Join(c.Sets, " "))
	}
	return fmt.Sprintf("variant %s, grid combination %s (%s)", name, grid, strings.Join(c.Sets, " "))
}

// Compare returns nil if o describes the same sweep as s, otherwise an
// error naming the first difference. The config path and the --set list
// are not compared: the resolved base config is, so the same sweep may be
// started from copies of the config at different paths. Base configs are
// compared as configs, written out by today's code, so a sweep.json written
// before a key was added or respelled (such as kl.reference.coef) still
// matches.
func (s *Spec) Compare(o *Spec) error {
	sb, ob := canonical(s.Base), canonical(o.Base)
	switch {
	case sb != ob:
		if d := baseDiff(s.Base, o.Base); d != "" {
			return fmt.Errorf("base configs differ: %s", d)
		}
		return fmt.Errorf("base configs differ at line %q", firstDiffLine(sb, ob))
	case !reflect.DeepEqual(s.Grid, o.Grid):
		return fmt.Errorf("grids differ (%s vs %s)", gridString(s.Grid), gridString(o.Grid))
	case !reflect.DeepEqual(s.Variants, o.Variants):
		return errors.New("variants differ")
	case !reflect.DeepEqual(s.Seeds, o.Seeds):
		return fmt.Errorf("seeds differ (%s vs %s)", FormatSeeds(s.Seeds), FormatSeeds(o.Seeds))
	case !reflect.DeepEqual(s.Combos, o.Combos):
		return errors.New("combination lists differ")
	}
	return nil
}

// canonical returns base as today's code writes it, or base itself if it
// does not parse.
func canonical(base string) string {
	cfg, err := configs.Parse([]byte(base))
	if err != nil {
		return base
	}
	y, err := cfg.YAML()
	if err != nil {
		return base
	}
	return string(y)
}

// baseDiff names the fields in which two base configs differ, with both
// values (as a resume's refusal does), or is empty if either does not
// parse.
func baseDiff(a, b string) string {
	ca, err := configs.Parse([]byte(a))
	if err != nil {
		return ""
	}
	cb, err := configs.Parse([]byte(b))
	if err != nil {
		return ""
	}
	return strings.Join(configs.Diff(ca, cb), ", ")
}

func firstDiffLine(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range la {
		if i >= len(lb) || la[i] != lb[i] {
			return strings.TrimSpace(la[i])
		}
	}
	if len(lb) > len(la) {
		return strings.TrimSpace(lb[len(la)])
	}
	return ""
}

func gridString(g []Axis) string {
	if len(g) == 0 {
		return "none"
	}
	var parts []string
	for _, a := range g {
		parts = append(parts, a.Path+"="+strings.Join(a.Values, ","))
	}
	return strings.Join(parts, " ")
}

// ReadSpec reads the sweep.json of a sweep directory.
func ReadSpec(dir string) (*Spec, error) {
	b, err := os.ReadFile(filepath.Join(dir, specFile))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s is not a sweep directory (no %s)", dir, specFile)
		}
		return nil, err
	}
	var s Spec
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, specFile), err)
	}
	if s.Version != specVersion {
		return nil, fmt.Errorf("%s: version %d, want %d", filepath.Join(dir, specFile), s.Version, specVersion)
	}
	s.normalize()
	if len(s.Seeds) == 0 || len(s.Combos) == 0 {
		return nil, fmt.Errorf("%s: no seeds or no combinations", filepath.Join(dir, specFile))
	}
	if !reflect.DeepEqual(combosOf(s.Variants, s.Grid), s.Combos) {
		return nil, fmt.Errorf("%s: combinations do not match the grid", filepath.Join(dir, specFile))
	}
	return &s, nil
}

// normalize makes absent lists empty, so that a Spec compares equal to
// itself read back from JSON.
func (s *Spec) normalize() {
	if s.Sets == nil {
		s.Sets = []string{}
	}
	if s.Grid == nil {
		s.Grid = []Axis{}
	}
	for i := range s.Variants {
		if s.Variants[i].Set == nil {
			s.Variants[i].Set = []string{}
		}
	}
	for i := range s.Combos {
		if s.Combos[i].Sets == nil {
			s.Combos[i].Sets = []string{}
		}
	}
}

// Claim makes dir a directory of sweep s: it creates dir and sweep.json,
// or checks that the sweep.json already there describes the same sweep.
// Several shards may claim one shared directory at once: sweep.json is
// created by atomicfile.WriteNew, which only one of them can win. A non-empty dir
// without sweep.json is refused.
func (s *Spec) Claim(dir string) error {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return &agent.InputError{Err: fmt.Errorf("%s exists and is not a directory; choose another --out", dir)}
	}
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	if err := s.sameAs(dir); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		// Another claimer may have just created sweep.json, or be about to.
		if e.Name() != specFile && !strings.HasPrefix(e.Name(), "."+specFile+".") {
			return &agent.InputError{Err: fmt.Errorf("%s exists and is not a sweep directory (no %s); choose another --out", dir, specFile)}
		}
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteNew(filepath.Join(dir, specFile), append(b, '\n')); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return s.sameAs(dir) // another shard won the race
		}
		return err
	}
	return nil
}

// sameAs compares s with dir's sweep.json; the error wraps fs.ErrNotExist
// when there is none.
func (s *Spec) sameAs(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, specFile)); err != nil {
		return err
	}
	o, err := ReadSpec(dir)
	if err != nil {
		return &agent.InputError{Err: err}
	}
	if err := s.Compare(o); err != nil {
		return &agent.InputError{Err: fmt.Errorf("%s holds a different sweep: %w", dir, err)}
	}
	return nil
}
