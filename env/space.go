package env

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Space is a set of observations or actions, each a []float64 of length Dim.
type Space interface {
	// Dim is the length of each element.
	Dim() int
	// Contains reports whether x is an element of the space.
	Contains(x []float64) bool
	String() string
}

// Discrete is the set of indices {0, ..., N-1}; an element is one float64 holding the index.
type Discrete struct{ N int }

// Dim is 1: a discrete element is its index.
func (d Discrete) Dim() int { return 1 }

// Contains reports whether x is a single integral index in [0, N).
func (d Discrete) Contains(x []float64) bool {
	if len(x) != 1 {
		return false
	}
	_, ok := d.index(x[0])
	return ok
}

// index converts v to an index, rejecting fractions, NaN and out-of-range values.
func (d Discrete) index(v float64) (int, bool) {
	if !(v >= 0 && v < float64(d.N)) || v != math.Trunc(v) {
		return 0, false
	}
	return int(v), true
}

// String prints Discrete(N), as Gymnasium does.
func (d Discrete) String() string { return "Discrete(" + strconv.Itoa(d.N) + ")" }

// MultiDiscrete is a product of discrete sets: element i is an index in [0, Nvec[i]).
// An element is Dim() float64 indices, one per component.
type MultiDiscrete struct{ Nvec []int }

// Dim is the number of components.
func (m MultiDiscrete) Dim() int { return len(m.Nvec) }

// Contains reports whether x holds one valid index per component.
func (m MultiDiscrete) Contains(x []float64) bool {
	if len(x) != len(m.Nvec) {
		return false
	}
	for i, v := range x {
		if _, ok := (Discrete{m.Nvec[i]}).index(v); !ok {
			return false
		}
	}
	return true
}

// String prints MultiDiscrete([n0 n1 ...]), as Gymnasium does.
func (m MultiDiscrete) String() string {
	s := make([]string, len(m.Nvec))
	for i, n := range m.Nvec {
		s[i] = strconv.Itoa(n)
	}
	return "MultiDiscrete([" + strings.Join(s, " ") + "])"
}

// Tuple is a product of spaces, such as Blackjack's (Discrete(32), Discrete(11), Discrete(2));
// an element is the concatenation of its components' elements.
type Tuple struct{ Spaces []Space }

// Dim is the sum of the components' dimensions.
func (t Tuple) Dim() int {
	n := 0
	for _, s := range t.Spaces {
		n += s.Dim()
	}
	return n
}

// Contains reports whether each component's slice of x lies in that component.
func (t Tuple) Contains(x []float64) bool {
	if len(x) != t.Dim() {
		return false
	}
	for _, s := range t.Spaces {
		d := s.Dim()
		if !s.Contains(x[:d]) {
			return false
		}
		x = x[d:]
	}
	return true
}

// String prints Tuple(a, b, ...), as Gymnasium does.
func (t Tuple) String() string {
	s := make([]string, len(t.Spaces))
	for i, c := range t.Spaces {
		s[i] = c.String()
	}
	return "Tuple(" + strings.Join(s, ", ") + ")"
}

// Cardinalities returns the sizes of the discrete components of s: [N] for a Discrete, Nvec for
// a MultiDiscrete, and the concatenation for a Tuple of those; ok is false if s has a
// non-discrete part. A policy one-hot encodes such observations over sum(sizes) inputs.
func Cardinalities(s Space) (sizes []int, ok bool) {
	switch s := s.(type) {
	case Discrete:
		return []int{s.N}, true
	case MultiDiscrete:
		return append([]int(nil), s.Nvec...), true
	case Tuple:
		for _, c := range s.Spaces {
			cs, ok := Cardinalities(c)
			if !ok {
				return nil, false
			}
			sizes = append(sizes, cs...)
		}
		return sizes, true
	}
	return nil, false
}

// Box is the axis-aligned box of vectors x with Low[i] <= x[i] <= High[i]; bounds may be infinite.
type Box struct{ Low, High []float64 }

// Dim is the number of coordinates.
func (b Box) Dim() int { return len(b.Low) }

// Contains reports whether x has Dim coordinates, each within its bounds (NaN is never contained).
func (b Box) Contains(x []float64) bool {
	if len(x) != len(b.Low) || len(x) != len(b.High) {
		return false
	}
	for i, v := range x {
		if !(v >= b.Low[i] && v <= b.High[i]) {
			return false
		}
	}
	return true
}

// String prints the bounds, float32-valued bounds in their shortest float32 form.
func (b Box) String() string {
	return "Box(low=" + formatVec(b.Low) + ", high=" + formatVec(b.High) + ")"
}

// formatFloat formats v in its shortest form, as float32 when v is exactly a float32 value
// (Gymnasium's bounds are float32), so 0.41887903 prints as such and not as its float64 expansion.
func formatFloat(v float64) string {
	if math.IsInf(v, 0) || math.IsNaN(v) || float64(float32(v)) != v {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 32)
}

func formatVec(x []float64) string {
	s := make([]string, len(x))
	for i, v := range x {
		s[i] = formatFloat(v)
	}
	return "[" + strings.Join(s, " ") + "]"
}

// sameSpace reports whether a and b are the same space, bound for bound.
func sameSpace(a, b Space) bool {
	switch a := a.(type) {
	case Discrete:
		b, ok := b.(Discrete)
		return ok && a == b
	case Box:
		b, ok := b.(Box)
		return ok && sameFloats(a.Low, b.Low) && sameFloats(a.High, b.High)
	case MultiDiscrete:
		b, ok := b.(MultiDiscrete)
		return ok && slices.Equal(a.Nvec, b.Nvec)
	case Tuple:
		b, ok := b.(Tuple)
		return ok && slices.EqualFunc(a.Spaces, b.Spaces, sameSpace)
	}
	return a == b
}

func sameFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return false
		}
	}
	return true
}

// checkAction validates an action against the action space of an environment:
// the length must match, a Discrete index must be valid, Box values must be finite.
func checkAction(s Space, a []float64) error {
	switch s := s.(type) {
	case Discrete:
		if len(a) != 1 {
			return fmt.Errorf("%w: got %d values for %v, want 1 (the index)", ErrInvalidAction, len(a), s)
		}
		if _, ok := s.index(a[0]); !ok {
			return fmt.Errorf("%w: %v is not an index of %v", ErrInvalidAction, a[0], s)
		}
	case MultiDiscrete:
		if len(a) != s.Dim() {
			return fmt.Errorf("%w: got %d values for %v, want %d (one index each)", ErrInvalidAction, len(a), s, s.Dim())
		}
		for i, v := range a {
			if _, ok := (Discrete{s.Nvec[i]}).index(v); !ok {
				return fmt.Errorf("%w: component %d: %v is not an index of Discrete(%d)", ErrInvalidAction, i, v, s.Nvec[i])
			}
		}
	case Box:
		if len(a) != s.Dim() {
			return fmt.Errorf("%w: got %d values for a Box of dimension %d", ErrInvalidAction, len(a), s.Dim())
		}
		for i, v := range a {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: value %d is %v", ErrInvalidAction, i, v)
			}
		}
	default:
		if len(a) != s.Dim() || !s.Contains(a) {
			return fmt.Errorf("%w: %v not in %v", ErrInvalidAction, a, s)
		}
	}
	return nil
}

// f32 rounds v to float32 and back: Gymnasium's observations are float32.
func f32(v float64) float64 { return float64(float32(v)) }
