package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTradeoff charts the committed reversed-controls study, and refuses in
// one line (exit 2) a file that is not a sweep summary (it used to panic),
// the same task as X and Y, and an output directory that does not exist.
func TestTradeoff(t *testing.T) {
	tmp := t.TempDir()
	sums, _ := filepath.Glob("../experiments/forgetting/reversed/*/summary.json")
	if len(sums) == 0 {
		t.Fatal("no committed study summaries")
	}
	out := filepath.Join(tmp, "t.png")
	code, stdout, errs := runCLI(append([]string{"tradeoff", "--x", "original", "--y", "reversed", "--out", out}, sums...)...)
	if code != 0 || !strings.Contains(stdout, "wrote "+out) {
		t.Fatalf("tradeoff: exit %d, %q %q", code, stdout, errs)
	}
	notSummary := filepath.Join(tmp, "eval.json")
	os.WriteFile(notSummary, []byte(`{"mean_return": 1}`), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--x", "original", "--y", "reversed", "--out", out, notSummary}, "hold no sweep combination with runs"},
		{[]string{"--x", "original", "--y", "original", "--out", out, sums[0]}, "name the same task"},
		{[]string{"--x", "original", "--y", "reversed", "--out", filepath.Join(tmp, "none", "t.png"), sums[0]}, "no directory"},
	} {
		args := append([]string{"tradeoff"}, tc.args...)
		code, _, errs := runCLI(args...)
		wantRefusal(t, args, code, errs, tc.want)
	}
}
