package memory

import (
	"strings"
	"testing"

	"ppo/configs"
)

func TestMemoryLimitAuto(t *testing.T) {
	ram, ok := PhysicalMemory()
	limit, from, err := Limit(configs.Default().Resources)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case ok && limit != autoMemoryFraction*ram:
		t.Errorf("auto limit %v, want %v of RAM %v", limit, autoMemoryFraction, ram)
	case !ok && limit != fallbackMemoryLimit:
		t.Errorf("auto limit %v without /proc/meminfo, want %v", limit, fallbackMemoryLimit)
	}
	if !strings.Contains(from, "auto") {
		t.Errorf("limit described as %q", from)
	}
}

func TestFormatBytes(t *testing.T) {
	for _, tc := range []struct {
		b           float64
		text, above string
	}{
		{0, "0.00 B", "0B"},
		{999, "999 B", "999B"},
		{1000, "1.00 kB", "1kB"},
		{19.74e9, "19.7 GB", "20GB"},
		{1.6e12, "1.60 TB", "2TB"},
		{1.6e17, "160 PB", "160PB"},
		{3e19, "30000 PB", "30000PB"},
	} {
		if got := FormatBytes(tc.b); got != tc.text {
			t.Errorf("FormatBytes(%g) = %q, want %q", tc.b, got, tc.text)
		}
		if got := SizeAbove(tc.b); got != tc.above {
			t.Errorf("SizeAbove(%g) = %q, want %q", tc.b, got, tc.above)
		}
	}
}
