package cli

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPlotCLI draws one run, two runs and a three-seed sweep, as PNG and
// SVG, and checks that each file is a real image.
func TestPlotCLI(t *testing.T) {
	dirs := trainRuns(t, map[string][]string{
		"sweep-s1": {"--seed", "1"},
		"sweep-s2": {"--seed", "2"},
		"sweep-s3": {"--seed", "3"},
		"clip":     {"--set", "ppo.objective=clip"},
	})
	out := t.TempDir()
	cases := []struct {
		file string
		args []string
	}{
		{"one.png", []string{dirs["sweep-s1"]}},
		{"one.svg", []string{dirs["sweep-s1"], "--metrics", "entropy,value_loss,early_stopped"}},
		{"two.png", []string{dirs["sweep-s1"], dirs["clip"], "--metrics", "kl, beta"}},
		{"two.svg", []string{dirs["clip"], dirs["sweep-s2"]}},
		{"sweep.png", []string{dirs["sweep-s1"], dirs["sweep-s2"], dirs["sweep-s3"], dirs["clip"]}},
		{"sweep.svg", []string{dirs["sweep-s1"], dirs["sweep-s2"], dirs["sweep-s3"]}},
	}
	for _, tc := range cases {
		path := filepath.Join(out, tc.file)
		code, stdout, errs := runCLI(append([]string{"plot", "--out", path}, tc.args...)...)
		if code != 0 || errs != "" || !strings.Contains(stdout, path) {
			t.Fatalf("plot %s: exit %d, stdout %q, stderr %q", tc.file, code, stdout, errs)
		}
		b, err := os.ReadFile(path)
		if err != nil || len(b) < 1000 {
			t.Fatalf("%s: %d bytes (%v)", tc.file, len(b), err)
		}
		if strings.HasSuffix(tc.file, ".png") {
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil || img.Bounds().Dx() < 500 {
				t.Errorf("%s: not a chart-sized PNG (%v)", tc.file, err)
			}
			continue
		}
		s := string(b)
		if !strings.HasPrefix(s, "<?xml") || !strings.Contains(s, "<svg") || !strings.HasSuffix(strings.TrimSpace(s), "</svg>") {
			t.Errorf("%s: not an SVG document", tc.file)
		}
		if strings.HasPrefix(tc.file, "sweep") && !strings.Contains(s, "3 seeds") {
			t.Errorf("%s: the sweep is not drawn as one group", tc.file)
		}
		if tc.file == "two.svg" && (!strings.Contains(s, ">clip<") || !strings.Contains(s, ">sweep-s2<")) {
			t.Errorf("%s: legend lacks the run names", tc.file)
		}
	}
}

// TestPlotRefusals: each bad input gives exit 2, one line naming it, and
// no file.
func TestPlotRefusals(t *testing.T) {
	dirs := trainRuns(t, map[string][]string{"ok": nil})
	run := dirs["ok"]
	tmp := t.TempDir()
	png := filepath.Join(tmp, "x.png")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"plot", run}, "--out"},
		{[]string{"plot", run, "--out", filepath.Join(tmp, "x.gif")}, `unknown image format ".gif"`},
		{[]string{"plot", run, "--out", filepath.Join(tmp, "x")}, "no file extension"},
		{[]string{"plot", "--out", png}, "run directory"},
		{[]string{"plot", run, "--out", png, "--metrics", "kl,klx"}, `unknown metric "klx"`},
		{[]string{"plot", run, "--out", png, "--metrics", "kl_ref"}, `"kl_ref" has no values`},
		{[]string{"plot", run, "--out", png, "--metrics", " , "}, "--metrics"},
		{[]string{"plot", tmp, "--out", png}, "not a run directory"},
		{[]string{"plot", run, "--out"}, "out"},
		{[]string{"plot", run, "--out", png, "--bogus"}, "bogus"},
	}
	for _, tc := range cases {
		code, out, errs := runCLI(tc.args...)
		if code != 2 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", tc.args, code, out, errs, tc.want)
		}
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("refused plots left files: %v", entries)
	}
	// A missing output directory is bad input, named in one line without
	// any temporary file's name.
	code, _, errs := runCLI("plot", run, "--out", filepath.Join(tmp, "missing", "x.png"))
	if code != 2 || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "does not exist") || strings.Contains(errs, ".tmp") {
		t.Errorf("missing output directory: exit %d, stderr %q", code, errs)
	}
}
