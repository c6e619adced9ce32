package cli

import (
	"fmt"
	"strconv"
)

// seedFlag is an optional --seed: a non-negative integer, or unset, in
// which case the command's documented default applies. Every command's
// --seed has this type.
type seedFlag struct {
	v   uint64
	set bool
}

func (s *seedFlag) String() string {
	if s == nil || !s.set {
		return ""
	}
	return strconv.FormatUint(s.v, 10)
}

func (s *seedFlag) Set(v string) error {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return fmt.Errorf("want a non-negative integer, got %q", v)
	}
	s.v, s.set = n, true
	return nil
}

// or is the seed, or def when --seed was not given.
func (s *seedFlag) or(def uint64) uint64 {
	if s.set {
		return s.v
	}
	return def
}
