package sweep

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"ppo/configs"
	"ppo/internal/atomicfile"
)

// Study is an experiment written down: a study file (strict YAML, unknown
// keys refused) names the base config, the seeds, overrides, named
// variants and grid axes of a sweep, and where its results go, so that
// `ppo sweep --study FILE` reruns it. Paths in the file are relative to
// the file's directory, except out, which is relative to the working
// directory as --out is.
type Study struct {
	// Path is the study file as given; Dir its directory.
	Path string `yaml:"-"`
	Dir  string `yaml:"-"`

	// Title says what the study is, for people.
	Title string `yaml:"title"`
	// Config is the base config file.
	Config string `yaml:"config"`
	// Seeds is a seed list as --seeds takes it ("1-5").
	Seeds string `yaml:"seeds"`
	// Set lists overrides applied to every run before variants and grid
	// (as --set).
	Set []string `yaml:"set"`
	// Variants are named combinations of overrides, each run with every
	// grid combination; no variants is one unnamed variant.
	Variants []Variant `yaml:"variants"`
	// Grid lists axes as --grid takes them, "path=v1,v2".
	Grid []string `yaml:"grid"`
	// Parallel is how many runs train at once (--parallel overrides); nil
	// when the file leaves it out.
	Parallel *int `yaml:"parallel"`
	// Out is the sweep directory (--out overrides).
	Out string `yaml:"out"`
	// Results is the directory that receives sweep.json, summary.json and
	// summary.md once every run has finished: the files to commit.
	Results string `yaml:"results"`
}

// Variant is a named set of overrides: one setting of a comparison, such
// as "clip ε 0.2" = ppo.objective=clip, ppo.clip_range=0.2.
type Variant struct {
	Name string   `yaml:"name" json:"name"`
	Set  []string `yaml:"set" json:"set"`
}

// LoadStudy reads and checks a study file. Every error is one line that
// names the file.
func LoadStudy(path string) (*Study, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	s, err := parseStudy(b)
	if err != nil {
		return nil, fmt.Errorf("study %s: %w", path, err)
	}
	s.Path, s.Dir = path, filepath.Dir(path)
	return s, nil
}

// parseStudy decodes a study file's contents strictly: unknown keys, wrong
// types and a second YAML document are refused, and the required keys
// (config, seeds) must be there. The seed list and grid axes are parsed
// here too, so that a typo is reported before anything runs.
func parseStudy(b []byte) (*Study, error) {
	var s Study
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty file")
		}
		return nil, didYouMean(oneLine(err))
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("more than one YAML document")
	}
	switch {
	case s.Config == "":
		return nil, errors.New("config: missing (the base config file)")
	case s.Seeds == "":
		return nil, errors.New("seeds: missing (e.g. seeds: 1-5)")
	case s.Parallel != nil && *s.Parallel < 1:
		return nil, fmt.Errorf("parallel: must be >= 1, got %d", *s.Parallel)
	}
	if _, err := ParseSeeds(s.Seeds); err != nil {
		return nil, fmt.Errorf("seeds: %w", err)
	}
	for _, g := range s.Grid {
		if _, err := ParseAxis(g); err != nil {
			return nil, fmt.Errorf("grid: %w", err)
		}
	}
	for _, set := range s.Set {
		if !strings.Contains(set, "=") {
			return nil, fmt.Errorf("set: %q is not path=value", set)
		}
	}
	if err := checkVariants(s.Variants); err != nil {
		return nil, err
	}
	return &s, nil
}

// unknownKey finds the key of yaml's "field X not found" error.
var unknownKey = regexp.MustCompile(`field (\S+) not found`)

// didYouMean adds the closest known key of a study file (or of a variant)
// to an unknown-key error, as config typos get.
func didYouMean(err error) error {
	m := unknownKey.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	var names []string
	for _, t := range []reflect.Type{reflect.TypeOf(Study{}), reflect.TypeOf(Variant{})} {
		for i := 0; i < t.NumField(); i++ {
			if n, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); n != "" && n != "-" {
				names = append(names, n)
			}
		}
	}
	if best := configs.Closest(m[1], names); best != "" {
		return fmt.Errorf("%w (did you mean %q?)", err, best)
	}
	return err
}

// checkVariants refuses unnamed, badly named or repeated variants, and
// overrides that are not path=value.
func checkVariants(vs []Variant) error {
	seen := map[string]bool{}
	for i, v := range vs {
		switch {
		case v.Name == "":
			return fmt.Errorf("variants[%d]: missing name", i)
		case Label([]string{"x=" + v.Name}) != "x="+v.Name || v.Name == "base":
			return fmt.Errorf("variants[%d]: name %q: use letters, digits and ._+- only (it names a directory), not \"base\"", i, v.Name)
		case seen[v.Name]:
			return fmt.Errorf("variants: %q given twice", v.Name)
		}
		seen[v.Name] = true
		for _, set := range v.Set {
			if !strings.Contains(set, "=") {
				return fmt.Errorf("variants[%d] (%s): %q is not path=value", i, v.Name, set)
			}
		}
	}
	return nil
}

// oneLine joins a YAML error's lines ("yaml: unmarshal errors:\n  line 3:
// ...") into one.
func oneLine(err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msg := strings.ReplaceAll(te.Errors[0], " in type sweep.Study", "")
		msg = strings.ReplaceAll(msg, " in type sweep.Variant", "")
		if n := len(te.Errors) - 1; n > 0 {
			msg += fmt.Sprintf(" (and %d more)", n)
		}
		return errors.New(msg)
	}
	return errors.New(strings.Join(strings.Fields(err.Error()), " "))
}

// ConfigPath is the base config's path as the working directory sees it.
func (s *Study) ConfigPath() string { return s.rel(s.Config) }

// ResultsDir is the results directory as the working directory sees it,
// "" when the study names none.
func (s *Study) ResultsDir() string {
	if s.Results == "" {
		return ""
	}
	return s.rel(s.Results)
}

func (s *Study) rel(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(s.Dir, p)
}

// Publish copies a finished sweep's sweep.json, summary.json and
// summary.md from dir into the study's results directory (atomically,
// file by file), the files a repository commits instead of run directories.
func (s *Study) Publish(dir string) error {
	res := s.ResultsDir()
	if res == "" {
		return nil
	}
	if err := os.MkdirAll(res, 0o777); err != nil {
		return err
	}
	for _, f := range []string{specFile, "summary.json", "summary.md"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return err
		}
		if err := atomicfile.Write(filepath.Join(res, f), b); err != nil {
			return err
		}
	}
	return nil
}

// Spec builds the sweep the study describes, as `ppo sweep --study` runs
// it without overriding flags.
func (s *Study) Spec() (*Spec, error) {
	base, err := configs.Load(s.ConfigPath())
	if err != nil {
		return nil, err
	}
	for _, set := range s.Set {
		if err := base.Set(set); err != nil {
			return nil, fmt.Errorf("set %s: %w", set, err)
		}
	}
	if err := base.Validate(); err != nil {
		return nil, err
	}
	seeds, err := ParseSeeds(s.Seeds)
	if err != nil {
		return nil, err
	}
	var grid []Axis
	for _, g := range s.Grid {
		a, err := ParseAxis(g)
		if err != nil {
			return nil, err
		}
		grid = append(grid, a)
	}
	return NewWithVariants(s.ConfigPath(), s.Set, base, s.Variants, grid, seeds)
}
