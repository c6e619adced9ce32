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
// run directory → report, and imports follow it (README, Layout).
var allowed = map[string][]string{
	"detmath":                   {},
	"kl":                        {"detmath", "graphop"},
	"configs":                   {"kl"},
	"env":                       {"detmath"},
	"env/envtest":               {"detmath", "env"},
	"env/external":              {"env"},
	"env/external/externaltest": {},
	"checkpoint":                {},
	"atomicfile":                {},
	"optim":                     {},
	"normalize":                 {},
	"bench/rusage":              {},
	"docs":                      {"atomicfile", "bench", "env/external", "report", "sweep", "tabular"},
	"rundir/tfevents":           {},
	"graphop":                   {},
	"dist":                      {"detmath", "graphop", "kl"},
	"policy":                    {"detmath", "dist", "graphop", "kl"},
	"agent":                     {"checkpoint", "configs", "detmath", "dist", "env", "env/external", "graphop", "kl", "normalize", "optim", "policy"},
	"rundir":                    {"agent", "atomicfile", "checkpoint", "configs", "rundir/tfevents"},
	"bench":                     {"agent", "bench/rusage", "configs", "policy"},
	"report":                    {"agent", "atomicfile", "configs", "kl", "rundir"},
	"sweep":                     {"agent", "atomicfile", "configs", "report", "rundir"},
	"cli":                       {"agent", "bench", "configs", "docs", "env", "env/external", "kl", "report", "rundir", "sweep", "tabular"},
	"tabular":                   {"detmath", "dist", "env", "kl"},
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
