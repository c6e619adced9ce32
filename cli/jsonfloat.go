package cli

import (
	"math"
	"strconv"
)

// jsonFloat marshals with full round-trip precision and writes the
// non-finite values JSON cannot hold as the strings "+Inf", "-Inf" and
// "NaN": a KL is +Inf where Q gives zero probability to what P can do, and
// Box bounds may be infinite.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte(`"NaN"`), nil
	case math.IsInf(v, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-Inf"`), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}
