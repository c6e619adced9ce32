package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"ppo/env"
)

func TestEnvsText(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main([]string{"envs"}, &out, &errb); code != 0 || errb.Len() != 0 {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	text := out.String()
	for _, id := range env.IDs() {
		if !strings.Contains(text, id+"\n") {
			t.Errorf("output lacks %s", id)
		}
	}
	for _, want := range []string{
		"action       Discrete(2)", "time limit   500 steps", "solved at    475", "force_mag", "masspole",
		"Box(low=[-4.8 -Inf -0.41887903 -Inf], high=[4.8 +Inf 0.41887903 +Inf])",
		"time limit   999 steps", "solved at    90", "time limit   none", "solved at    none",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func TestEnvsJSON(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main([]string{"envs", "Pendulum-v1", "--json", "CartPole-v1"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	var got []struct {
		ID               string `json:"id"`
		ObservationSpace struct {
			Type string `json:"type"`
			Dim  int    `json:"dim"`
			High []any  `json:"high"`
		} `json:"observation_space"`
		ActionSpace struct {
			Type string `json:"type"`
			N    int    `json:"n"`
		} `json:"action_space"`
		MaxEpisodeSteps *int     `json:"max_episode_steps"`
		RewardThreshold *float64 `json:"reward_threshold"`
		Params          []struct {
			Name    string  `json:"name"`
			Default float64 `json:"default"`
		} `json:"params"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v in %s", err, out.String())
	}
	if len(got) != 2 || got[0].ID != "Pendulum-v1" || got[1].ID != "CartPole-v1" {
		t.Fatalf("got %+v", got)
	}
	p, c := got[0], got[1]
	if p.RewardThreshold != nil || p.MaxEpisodeSteps == nil || *p.MaxEpisodeSteps != 200 || p.Params[0].Name != "g" || p.Params[0].Default != 10 {
		t.Errorf("Pendulum: %+v", p)
	}
	if c.RewardThreshold == nil || *c.RewardThreshold != 475 || c.ActionSpace.Type != "Discrete" || c.ActionSpace.N != 2 ||
		c.ObservationSpace.Dim != 4 || c.ObservationSpace.High[1] != "+Inf" || c.ObservationSpace.High[0] != float64(float32(4.8)) { // bounds are float32, printed exactly
		t.Errorf("CartPole: %+v", c)
	}
}

func TestEnvsBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"envs", "Nope-v0"}, {"envs", "--bogus"}, {"envs", "CartPole-v1", "--json=maybe"}, {"envs", "--external", " "},
	} {
		var out, errb bytes.Buffer
		code := Main(args, &out, &errb)
		lines := strings.Split(strings.TrimRight(errb.String(), "\n"), "\n")
		if code != 2 || len(lines) != 1 || !strings.HasPrefix(lines[0], "ppo envs: ") || out.Len() != 0 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and one line on stderr", args, code, out.String(), errb.String())
		}
	}
	var out, errb bytes.Buffer
	if code := Main([]string{"envs", "-h"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "usage: ppo envs") {
		t.Errorf("-h: exit %d, stdout %q", code, out.String())
	}
}
