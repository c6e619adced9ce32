package gorgoniax

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// TestPrivateShapes checks the gorgonia internals Run relies on, so that an
// upgrade that keeps their names but changes them fails here, by name,
// instead of misbehaving without a word: the module uses the pinned
// version (go list -m); the tape machine has a closureQueue of type []func() error; and
// its runall method, reached by go:linkname, still takes (chan error,
// chan struct{}) and returns nothing (read from gorgonia's source in the
// module cache, since reflection cannot see unexported methods).
func TestPrivateShapes(t *testing.T) {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goTool, "list", "-m", "-f", "{{.Version}} {{.Dir}}", "gorgonia.org/gorgonia").Output()
	if err != nil {
		t.Fatalf("go list -m gorgonia.org/gorgonia: %v", err)
	}
	version, dir, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	if version != Pinned {
		t.Fatalf("gorgoniax.Run was written against gorgonia %s; the module uses %q: check (*tapeMachine).runall and closureQueue in its vm_tape.go, then update Pinned", Pinned, version)
	}

	typ, queue := tapeMachine()
	if queue < 0 {
		t.Fatalf("gorgonia %s's tape machine has no closureQueue slice field: Run falls back to RunAll", Pinned)
	}
	if f := typ.Elem().Field(queue); f.Type != reflect.TypeOf([]func() error(nil)) {
		t.Fatalf("gorgonia %s's tapeMachine.closureQueue is %v, want []func() error", Pinned, f.Type)
	}

	src := filepath.Join(dir, "vm_tape.go")
	f, err := parser.ParseFile(token.NewFileSet(), src, nil, 0)
	if err != nil {
		t.Fatalf("gorgonia %s: %v", Pinned, err)
	}
	found := false
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "runall" || fn.Recv == nil {
			continue
		}
		if star, ok := fn.Recv.List[0].Type.(*ast.StarExpr); !ok || star.X.(*ast.Ident).Name != "tapeMachine" {
			continue
		}
		found = true
		var params []string
		for _, p := range fn.Type.Params.List {
			for range max(1, len(p.Names)) {
				params = append(params, types(p.Type))
			}
		}
		if got := strings.Join(params, ", "); got != "chan error, chan struct{}" || fn.Type.Results != nil {
			t.Fatalf("gorgonia %s's (*tapeMachine).runall takes (%s) and returns %v; Run's go:linkname declares (chan error, chan struct{}) and nothing", Pinned, got, fn.Type.Results)
		}
	}
	if !found {
		t.Fatalf("gorgonia %s's vm_tape.go has no (*tapeMachine).runall, which Run reaches by go:linkname", Pinned)
	}
}

// types writes the parameter types runall's check compares.
func types(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.ChanType:
		return "chan " + types(e.Value)
	case *ast.StructType:
		if len(e.Fields.List) == 0 {
			return "struct{}"
		}
	}
	return "?"
}
