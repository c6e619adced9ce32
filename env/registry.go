package env

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Param is a named environment parameter with its default.
type Param struct {
	Name    string
	Default float64
	Doc     string
}

// TextParam is a named environment parameter whose value is text, such as a map, with its default.
type TextParam struct {
	Name    string
	Default string
	Doc     string
}

// Spec describes a registered environment.
type Spec struct {
	// ID is Name-vN: a letter, then letters, digits or underscores, then a version.
	ID string
	// Doc is a one-line description.
	Doc string
	// New constructs an environment; Make wraps it with the time limit. Its Config holds every
	// declared parameter; New should reject values that make no sense.
	New func(Config) (Env, error)
	// MaxEpisodeSteps is the time limit; 0 means none.
	MaxEpisodeSteps int
	// RewardThreshold is the episode return at which the task counts as solved, if HasRewardThreshold.
	RewardThreshold    float64
	HasRewardThreshold bool
	// Params lists the parameters settable with WithParams, with their defaults.
	Params []Param
	// TextParams lists the text parameters settable with WithTextParams, with their defaults.
	TextParams []TextParam
}

var idPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*-v(0|[1-9][0-9]*)$`)

func (s Spec) validate() error {
	if !idPattern.MatchString(s.ID) {
		return fmt.Errorf("env: invalid id %q: want Name-vN (letters, digits, underscores, then a version)", s.ID)
	}
	if s.New == nil {
		return fmt.Errorf("env: spec %s has no constructor", s.ID)
	}
	if s.MaxEpisodeSteps < 0 {
		return fmt.Errorf("env: spec %s: negative MaxEpisodeSteps %d", s.ID, s.MaxEpisodeSteps)
	}
	if s.HasRewardThreshold && math.IsNaN(s.RewardThreshold) {
		return fmt.Errorf("env: spec %s: reward threshold is NaN", s.ID)
	}
	seen := make(map[string]bool, len(s.Params))
	for _, p := range s.Params {
		if p.Name == "" || seen[p.Name] {
			return fmt.Errorf("env: spec %s: empty or repeated parameter name %q", s.ID, p.Name)
		}
		if math.IsNaN(p.Default) || math.IsInf(p.Default, 0) {
			return fmt.Errorf("env: spec %s: parameter %s has non-finite default", s.ID, p.Name)
		}
		seen[p.Name] = true
	}
	for _, p := range s.TextParams {
		if p.Name == "" || seen[p.Name] {
			return fmt.Errorf("env: spec %s: empty or repeated parameter name %q", s.ID, p.Name)
		}
		seen[p.Name] = true
	}
	return nil
}

// ParamNames returns the parameter names in declaration order, numeric ones first.
func (s Spec) ParamNames() []string {
	names := make([]string, 0, len(s.Params)+len(s.TextParams))
	for _, p := range s.Params {
		names = append(names, p.Name)
	}
	for _, p := range s.TextParams {
		names = append(names, p.Name)
	}
	return names
}

// Make constructs the environment described by s, with its time limit, whether or not s is registered.
func (s Spec) Make(opts ...Option) (Env, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	return s.make(collect(opts))
}

// Configure checks opts against s and returns the Config its constructor would get and the time
// limit Make would apply (0: none), for callers that construct environments themselves, such as
// copies hosted by another process.
func (s Spec) Configure(opts ...Option) (Config, int, error) {
	if err := s.validate(); err != nil {
		return Config{}, 0, err
	}
	o := collect(opts)
	cfg, err := s.config(o)
	if err != nil {
		return Config{}, 0, err
	}
	return cfg, s.limit(o), nil
}

// limit is the time limit of an env made with o.
func (s Spec) limit(o options) int {
	if o.maxSteps > 0 {
		return o.maxSteps
	}
	return s.MaxEpisodeSteps
}

func (s Spec) make(o options) (Env, error) {
	cfg, err := s.config(o)
	if err != nil {
		return nil, err
	}
	e, err := s.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("env: make %s: %w", s.ID, err)
	}
	if e == nil || e.ObservationSpace() == nil || e.ActionSpace() == nil {
		return nil, fmt.Errorf("env: make %s: constructor returned no environment or no spaces", s.ID)
	}
	return withLimit(e, s.limit(o)), nil
}

// config is the Config of an env made with o: the defaults overridden by o's parameters.
func (s Spec) config(o options) (Config, error) {
	cfg := Config{Seed: o.seed, Params: make(map[string]float64, len(s.Params))}
	for _, p := range s.Params {
		cfg.Params[p.Name] = p.Default
	}
	if len(s.TextParams) > 0 || len(o.text) > 0 {
		cfg.Text = make(map[string]string, len(s.TextParams))
		for _, p := range s.TextParams {
			cfg.Text[p.Name] = p.Default
		}
		for _, k := range slices.Sorted(maps.Keys(o.text)) {
			if _, ok := cfg.Text[k]; !ok {
				return Config{}, fmt.Errorf("env: %s has no text parameter %q (parameters: %s)", s.ID, k, s.paramList())
			}
			cfg.Text[k] = o.text[k]
		}
	}
	names := make([]string, 0, len(o.params))
	for k := range o.params {
		names = append(names, k)
	}
	sort.Strings(names) // report the first bad name deterministically
	for _, k := range names {
		v := o.params[k]
		if _, ok := cfg.Params[k]; !ok {
			return Config{}, fmt.Errorf("env: %s has no parameter %q (parameters: %s)", s.ID, k, s.paramList())
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Config{}, fmt.Errorf("env: %s parameter %s: %v is not finite", s.ID, k, v)
		}
		cfg.Params[k] = v
	}
	return cfg, nil
}

// paramList names the parameters for error messages.
func (s Spec) paramList() string {
	if names := s.ParamNames(); len(names) > 0 {
		return strings.Join(names, ", ")
	}
	return "none"
}

func (s Spec) clone() Spec {
	s.Params = slices.Clone(s.Params)
	s.TextParams = slices.Clone(s.TextParams)
	return s
}

// Registry maps ids to specs. It is safe for concurrent use.
type Registry struct {
	mu    sync.RWMutex
	specs map[string]Spec
}

// NewRegistry returns an empty registry, e.g. for tests that register their own environments.
func NewRegistry() *Registry { return &Registry{specs: make(map[string]Spec)} }

// Register adds s; the id must be valid and new.
func (r *Registry) Register(s Spec) error {
	if err := s.validate(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.specs[s.ID]; dup {
		return fmt.Errorf("env: %s is already registered", s.ID)
	}
	r.specs[s.ID] = s.clone()
	return nil
}

// Lookup returns the spec registered under id.
func (r *Registry) Lookup(id string) (Spec, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	s, ok := r.specs[id]
	return s.clone(), ok
}

// IDs returns the registered ids, sorted.
func (r *Registry) IDs() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	ids := make([]string, 0, len(r.specs))
	for id := range r.specs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Make constructs the environment registered under id, wrapped with its time limit.
func (r *Registry) Make(id string, opts ...Option) (Env, error) {
	s, ok := r.Lookup(id)
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownEnv, id)
	}
	return s.make(collect(opts))
}

// MakeVec makes n copies of the environment registered under id; see the package-level MakeVec.
func (r *Registry) MakeVec(id string, n int, seed uint64, opts ...Option) (*Vec, error) {
	if n < 1 {
		return nil, fmt.Errorf("env: vector of %d environments, want at least 1", n)
	}
	s, ok := r.Lookup(id)
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownEnv, id)
	}
	o := collect(opts)
	envs := make([]Env, n)
	for i := range envs {
		o.seed = VecSeed(seed, i)
		e, err := s.make(o)
		if err != nil {
			return nil, err
		}
		envs[i] = e
	}
	v, err := NewVec(envs)
	if err != nil {
		return nil, err
	}
	v.SetWorkers(o.workers)
	v.SetID(id)
	return v, nil
}

// defaultRegistry holds the built-in environments and whatever users Register.
var defaultRegistry = builtinRegistry()

func builtinRegistry() *Registry {
	r := NewRegistry()
	for _, s := range builtinSpecs() {
		if err := r.Register(s); err != nil {
			panic(err) // a bug in this package's own specs
		}
	}
	return r
}

// Register adds s to the default registry.
func Register(s Spec) error { return defaultRegistry.Register(s) }

// Lookup returns the spec registered under id in the default registry.
func Lookup(id string) (Spec, bool) { return defaultRegistry.Lookup(id) }

// IDs returns the ids in the default registry, sorted.
func IDs() []string { return defaultRegistry.IDs() }

// Make constructs the environment registered under id in the default registry,
// e.g. Make("CartPole-v1", WithSeed(7)).
func Make(id string, opts ...Option) (Env, error) { return defaultRegistry.Make(id, opts...) }

// MakeVec makes n copies of the environment registered under id in the default registry.
// Env i is seeded with VecSeed(seed, i); a WithSeed option is overridden. WithWorkers sets
// parallel stepping.
func MakeVec(id string, n int, seed uint64, opts ...Option) (*Vec, error) {
	return defaultRegistry.MakeVec(id, n, seed, opts...)
}

// VecSeed derives the seed of env i in a vector seeded with seed: the SplitMix64 output
// mix(seed + (i+1)·0x9e3779b97f4a7c15). Env i's seed does not depend on the number of envs.
func VecSeed(seed uint64, i int) uint64 {
	z := seed + uint64(i+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
