package configs

import (
	"math"
	"strconv"
	"strings"
)

// sizeUnits are the byte multiples a size may use, in lower case: SI
// (powers of 1000) and IEC (powers of 1024).
var sizeUnits = map[string]float64{
	"b":  1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "pb": 1e15,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40, "pib": 1 << 50,
}

// parseSize reads a byte count written as a plain decimal number and a
// unit, such as "512MiB", "16 GiB", "1.5TB" or "100000B" (units are
// case-insensitive; KB is 1000 bytes, KiB 1024). A bare number is refused:
// whether 16 means bytes or gigabytes is not obvious to a reader.
func parseSize(s string) (float64, bool) {
	t := strings.TrimSpace(s)
	i := strings.LastIndexFunc(t, func(r rune) bool { return r >= '0' && r <= '9' || r == '.' })
	num, unit := strings.TrimSpace(t[:i+1]), strings.ToLower(strings.TrimSpace(t[i+1:]))
	mult, ok := sizeUnits[unit]
	if !ok || num == "" || strings.Trim(num, "0123456789.") != "" {
		return 0, false
	}
	x, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, false
	}
	b := x * mult
	return b, b >= 1 && !math.IsInf(b, 0)
}

// MaxMemoryBytes is resources.max_memory in bytes; ok is false for auto,
// which the caller resolves against the machine's RAM.
func (r ResourcesConfig) MaxMemoryBytes() (bytes float64, ok bool, err error) {
	if r.MaxMemory == MemoryAuto {
		return 0, false, nil
	}
	b, ok := parseSize(r.MaxMemory)
	if !ok {
		return 0, false, errorf("resources.max_memory",
			"must be auto or a size of at least 1 byte with a unit (B, KB, MB, GB, TB, PB, KiB, MiB, GiB, TiB, PiB), such as 16GiB, got %q", r.MaxMemory)
	}
	return b, true, nil
}
