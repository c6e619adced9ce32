package cli

import (
	"bytes"
	"ppo/agent"
	"strings"
	"testing"
)

func TestBar(t *testing.T) {
	var out bytes.Buffer
	b := NewBar(&out, 100)
	r := 21.5
	b.Row(agent.Metrics{Update: 1, Timesteps: 256, KL: 0.0123, Beta: 0.5, EpisodeReturnMean: &r}, 4)
	if s := out.String(); !strings.HasPrefix(s, "\r[=======                       ] 256/1024 steps") ||
		!strings.Contains(s, "return 21.5  kl 0.0123  beta 0.5  eta") {
		t.Fatalf("bar: %q", s)
	}
	out.Reset()
	b.Warn("x")
	if s := out.String(); !strings.HasPrefix(s, "\r\033[Kwarning: x\n[=======") {
		t.Fatalf("a note does not go above the bar: %q", s)
	}
	out.Reset()
	b.Row(agent.Metrics{Update: 4, Timesteps: 1024}, 4)
	if s := out.String(); !strings.Contains(s, "[==============================] 1024/1024") || !strings.HasSuffix(s, "\n") {
		t.Fatalf("final bar: %q", s)
	}
}
