package cli

import (
	"bytes"
	"strings"
	"testing"
)

// TestHelp walks every command's -h: exit 0, usage on stdout naming the
// command and its positional arguments, nothing on stderr; and the top
// level usage lists every command.
func TestHelp(t *testing.T) {
	var top, e bytes.Buffer
	if code := Main([]string{"help"}, &top, &e); code != 0 {
		t.Fatalf("ppo help: exit %d", code)
	}
	for _, c := range commands {
		if !strings.Contains(top.String(), "\n  "+c.name+" ") {
			t.Errorf("ppo help does not list %s", c.name)
		}
		for _, args := range [][]string{{c.name, "-h"}, {c.name, "--help"}, {"help", c.name}} {
			var out, errb bytes.Buffer
			code := Main(args, &out, &errb)
			first, _, _ := strings.Cut(out.String(), "\n")
			if code != 0 || errb.Len() != 0 || !strings.HasPrefix(first, "usage: ppo "+c.name) || !strings.Contains(first, c.args) {
				t.Errorf("ppo %v: exit %d, first line %q, stderr %q", args, code, first, errb.String())
			}
		}
	}
}

// TestVersion: ppo version names the version and the Go toolchain.
func TestVersion(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main([]string{"version"}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "ppo "+version+"\ngo go1.") {
		t.Fatalf("exit %d, %q %q", code, out.String(), errb.String())
	}
}
