package sweep

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits that turn a typo such as --seeds 1-1000000000 into a refusal
// instead of a sweep that never ends.
const (
	MaxSeeds  = 10_000
	MaxCombos = 10_000
	MaxJobs   = 100_000
)

// ParseSeeds reads a seed list: comma-separated seeds and inclusive ranges
// low-high, such as "1-5", "1,3,7" or "1-3,10,20-22". Seeds keep the order
// given; a seed listed twice is refused, since its runs would share a
// directory.
func ParseSeeds(s string) ([]uint64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("--seeds: empty list (want e.g. 1-5 or 1,3,7)")
	}
	var seeds []uint64
	seen := map[uint64]bool{}
	add := func(v uint64) error {
		if seen[v] {
			return fmt.Errorf("--seeds %q: seed %d listed twice", s, v)
		}
		if len(seeds) == MaxSeeds {
			return fmt.Errorf("--seeds %q: more than %d seeds", s, MaxSeeds)
		}
		seen[v] = true
		seeds = append(seeds, v)
		return nil
	}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, fmt.Errorf("--seeds %q: empty element (want e.g. 1-5 or 1,3,7)", s)
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := parseSeed(s, lo)
		if err != nil {
			return nil, err
		}
		if !isRange {
			if err := add(a); err != nil {
				return nil, err
			}
			continue
		}
		b, err := parseSeed(s, hi)
		if err != nil {
			return nil, err
		}
		if b < a {
			return nil, fmt.Errorf("--seeds %q: range %s is empty (want low-high with low <= high)", s, part)
		}
		if b-a >= MaxSeeds {
			return nil, fmt.Errorf("--seeds %q: more than %d seeds", s, MaxSeeds)
		}
		for v := a; ; v++ {
			if err := add(v); err != nil {
				return nil, err
			}
			if v == b {
				break
			}
		}
	}
	return seeds, nil
}

func parseSeed(list, t string) (uint64, error) {
	t = strings.TrimSpace(t)
	v, err := strconv.ParseUint(t, 10, 64)
	if err != nil {
		if t == "" {
			return 0, fmt.Errorf("--seeds %q: missing number in a range (seeds are non-negative integers)", list)
		}
		return 0, fmt.Errorf("--seeds %q: %q is not a seed (want a non-negative integer)", list, t)
	}
	return v, nil
}

// FormatSeeds writes seeds compactly, runs of consecutive seeds as ranges;
// ParseSeeds reads the result back to the same list.
func FormatSeeds(seeds []uint64) string {
	var b strings.Builder
	for i := 0; i < len(seeds); {
		j := i
		for j+1 < len(seeds) && seeds[j] != ^uint64(0) && seeds[j+1] == seeds[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		switch {
		case j == i:
			fmt.Fprintf(&b, "%d", seeds[i])
		case j == i+1:
			fmt.Fprintf(&b, "%d,%d", seeds[i], seeds[j])
		default:
			fmt.Fprintf(&b, "%d-%d", seeds[i], seeds[j])
		}
		i = j + 1
	}
	return b.String()
}

// Axis is one dimension of the grid: a config path and the values it takes,
// in the order given.
type Axis struct {
	Path   string   `json:"path"`
	Values []string `json:"values"`
}

// ParseAxis reads one --grid flag, "path=v1,v2,...". Values are YAML
// scalars or flow collections, as in --set; commas inside brackets, braces
// or quotes do not split, so "policy.hidden=[64,64],[128]" has two values.
// Whether the path exists and the values fit it is checked by New.
func ParseAxis(s string) (Axis, error) {
	if !utf8.ValidString(s) {
		return Axis{}, fmt.Errorf("--grid %q: not valid UTF-8", s)
	}
	path, list, ok := strings.Cut(s, "=")
	if !ok {
		return Axis{}, fmt.Errorf("--grid %q: missing '=' (want path=v1,v2,...)", s)
	}
	path = strings.TrimSpace(path)
	if path == "" {
		return Axis{}, fmt.Errorf("--grid %q: empty path (want path=v1,v2,...)", s)
	}
	if path == "seed" {
		return Axis{}, fmt.Errorf("--grid %q: seeds come from --seeds, not --grid", s)
	}
	vals, err := splitTop(list)
	if err != nil {
		return Axis{}, fmt.Errorf("--grid %q: %w", s, err)
	}
	seen := map[string]bool{}
	for _, v := range vals {
		if v == "" {
			return Axis{}, fmt.Errorf("--grid %q: empty value (write '' for an empty string)", s)
		}
		if seen[v] {
			return Axis{}, fmt.Errorf("--grid %q: value %q listed twice", s, v)
		}
		seen[v] = true
	}
	return Axis{Path: path, Values: vals}, nil
}

// splitTop splits s at the commas outside brackets, braces and quotes and
// trims the pieces.
func splitTop(s string) ([]string, error) {
	var out []string
	var stack []rune
	var quote rune
	start := 0
	for i, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '[' || r == '{':
			stack = append(stack, r)
		case r == ']' || r == '}':
			want := '['
			if r == '}' {
				want = '{'
			}
			if len(stack) == 0 || stack[len(stack)-1] != want {
				return nil, fmt.Errorf("unbalanced %q", r)
			}
			stack = stack[:len(stack)-1]
		case r == ',' && len(stack) == 0:
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	switch {
	case quote != 0:
		return nil, fmt.Errorf("unterminated %c quote", quote)
	case len(stack) > 0:
		return nil, fmt.Errorf("unclosed %q", stack[len(stack)-1])
	}
	return append(out, strings.TrimSpace(s[start:])), nil
}

// Shard selects a slice of a sweep's jobs: job k belongs to shard k mod
// Count. Index is 0-based, like SLURM_ARRAY_TASK_ID with --array=0-(n-1)
// and Kubernetes' JOB_COMPLETION_INDEX. The zero Shard is the whole sweep.
type Shard struct {
	Index, Count int
}

// ParseShard reads "i/n" with 0 <= i < n.
func ParseShard(s string) (Shard, error) {
	is, ns, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Shard{}, fmt.Errorf("--shard %q: want i/n, e.g. 0/4 (i counts from 0)", s)
	}
	i, err1 := strconv.Atoi(strings.TrimSpace(is))
	n, err2 := strconv.Atoi(strings.TrimSpace(ns))
	switch {
	case err1 != nil || err2 != nil:
		return Shard{}, fmt.Errorf("--shard %q: want i/n with integers, e.g. 0/4", s)
	case n < 1:
		return Shard{}, fmt.Errorf("--shard %q: shard count must be >= 1", s)
	case i < 0 || i >= n:
		return Shard{}, fmt.Errorf("--shard %q: index must be in [0, %d] (shards count from 0)", s, n-1)
	}
	return Shard{Index: i, Count: n}, nil
}

// Whole reports whether s covers every job.
func (s Shard) Whole() bool { return s.Count <= 1 }

// Has reports whether job index k belongs to s.
func (s Shard) Has(k int) bool { return s.Whole() || k%s.Count == s.Index }

// String gives "i/n", or "all" for the whole sweep.
func (s Shard) String() string {
	if s.Whole() {
		return "all"
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}
