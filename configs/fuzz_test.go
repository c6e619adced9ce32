package configs

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

// checkError asserts the invariants of every refusal: one line, the package prefix, a *Error.
func checkError(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	if !strings.HasPrefix(msg, "config: ") || strings.ContainsAny(msg, "\r\n") {
		t.Fatalf("malformed error %q", msg)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%T is not a *Error: %v", err, err)
	}
}

func FuzzParse(f *testing.F) {
	for _, p := range shippedConfigs(f) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"", "~", "---\n", "a: 1\n---\nb: 2\n", "[1, 2]", "ppo: {epochs: 2.5}", "ppo: {epochs: 1e5}",
		"env: {params: {length: 0.7}}", "policy: &p {hidden: *p}", "a: &x [*x]", "kl: &k {controller: *k}",
		"kl: {controller: {preset: custom, up_factor: 3}}", "seed: 18446744073709551616", "ppo: {gamma: .nan}",
		"policy: {hidden: [1, 2, 3]}", "<<: {name: x}", "name: !!binary aGVsbG8=", "env: {params: {? [a] : 1}}",
		"total_timesteps: 0x10", "log: {dir: \"\\n\"}", "eval: {every: -0}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			if c != nil {
				t.Fatal("config returned with an error")
			}
			checkError(t, err)
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted config does not validate: %v", err)
		}
		out, err := c.YAML()
		if err != nil {
			t.Fatalf("YAML: %v", err)
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(YAML()): %v\n%s", err, out)
		}
		if !reflect.DeepEqual(back, c) {
			t.Fatalf("round trip changed the config\n%s", out)
		}
	})
}

func FuzzSet(f *testing.F) {
	for _, s := range []string{
		"ppo.learning_rate=1e-3", "policy.hidden=[128,128]", "env.params.length=0.7", "ppo.epochs",
		"=1", "ppo..x=1", "kl={controller: {kind: fixed}}", "env.params.a.b=1", "name=#", "seed=-1", "env.params.\xff=0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, assignment string) {
		c := Default()
		if err := c.Set(assignment); err != nil {
			checkError(t, err)
			return
		}
		if err := c.Validate(); err != nil {
			checkError(t, err)
			return
		}
		out, err := c.YAML()
		if err != nil {
			t.Fatalf("YAML: %v", err)
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(YAML()): %v\n%s", err, out)
		}
		if !reflect.DeepEqual(back, c) {
			t.Fatalf("round trip changed the config\n%s", out)
		}
	})
}
