package main

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// allowed lists, for every package of the module, the module packages its
// non-test files may import: data flows config → env + policy → agent →
// run directory → report, and imports follow it (README, Layout). The
// packages users import sit at the top; the machinery is under internal/.
var allowed = map[string][]string{
	"internal/detmath":          {},
	"kl":                        {"internal/detmath", "internal/graphop"},
	"configs":                   {"kl"},
	"env":                       {"internal/detmath"},
	"env/envtest":               {"internal/detmath", "env"},
	"env/external":              {"env"},
	"env/external/externaltest": {},
	"internal/checkpoint":       {},
	"internal/atomicfile":       {},
	"internal/optim":            {},
	"internal/normalize":        {},
	"internal/bench/rusage":     {},
	"internal/docs":             {"internal/atomicfile", "internal/bench", "configs", "env/external", "internal/report", "internal/sweep", "internal/tabular"},
	"internal/rundir/tfevents":  {},
	"internal/graphop":          {},
	"internal/gorgoniax":        {},
	"internal/memory":           {"configs", "policy"},
	"internal/fdcheck":          {},
	"dist":                      {"internal/detmath", "internal/graphop", "kl"},
	"policy":                    {"internal/detmath", "dist", "internal/graphop", "kl"},
	"agent":                     {"internal/checkpoint", "configs", "internal/detmath", "dist", "env", "env/external", "internal/gorgoniax", "internal/graphop", "kl", "internal/memory", "internal/normalize", "internal/optim", "policy"},
	"internal/rundir":           {"agent", "internal/atomicfile", "internal/checkpoint", "configs", "internal/rundir/tfevents"},
	"internal/bench":            {"agent", "internal/bench/rusage", "configs", "policy"},
	"internal/report":           {"agent", "internal/atomicfile", "configs", "kl", "internal/rundir"},
	"internal/sweep":            {"agent", "internal/atomicfile", "configs", "internal/report", "internal/rundir"},
	"cli":                       {"agent", "internal/bench", "configs", "internal/docs", "env", "env/external", "kl", "internal/report", "internal/rundir", "internal/sweep", "internal/tabular"},
	"internal/tabular":          {"internal/detmath", "dist", "env", "kl"},
	"cmd/ppo":                   {"cli"},
}

// TestLayout checks every package's imports against allowed, and that
// every package of the module is listed.
func TestLayout(t *testing.T) {
	root := filepath.Join("..", "..")
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() && rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || rel == "examples") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		pkg := filepath.ToSlash(filepath.Dir(rel))
		seen[pkg] = true
		ok, listed := allowed[pkg]
		if !listed {
			t.Errorf("package %s is not in the layout table", pkg)
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			if dep, in := strings.CutPrefix(p, "ppo/"); in && !slices.Contains(ok, dep) {
				t.Errorf("%s imports ppo/%s, which the layout does not allow", rel, dep)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for pkg := range allowed {
		if !seen[pkg] {
			t.Errorf("layout table lists %s, which has no Go files", pkg)
		}
	}
}
