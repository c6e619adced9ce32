// Package gorgoniax is every use of gorgonia's unexported internals, in one
// place: Run, the tape machine's loop without RunAll's thread hand-offs.
// TestPrivateShapes fails, naming the pinned gorgonia version, when the
// internals it relies on change; Run falls back to RunAll when it cannot
// find them.
package gorgoniax

import (
	"errors"
	"reflect"
	"sync"
	"unsafe"

	G "gorgonia.org/gorgonia"
)

// Pinned is the gorgonia version whose internals Run was written against
// (go.mod pins it; TestPrivateShapes checks the build uses it).
const Pinned = "v0.9.18"

// tapeRunall is gorgonia v0.9.18's tape-machine loop, the body of the
// goroutine RunAll starts: it executes the program from the machine's
// program counter and then sends on done, or on errc at the first error.
//
//go:linkname tapeRunall gorgonia.org/gorgonia.(*tapeMachine).runall
func tapeRunall(m unsafe.Pointer, errc chan error, done chan struct{})

// tapeMachine is gorgonia's tape machine type and the index of its
// closureQueue field, found once from a machine of a one-node graph.
var tapeMachine = sync.OnceValues(func() (reflect.Type, int) {
	g := G.NewGraph()
	G.NewScalar(g, G.Float64, G.WithName("x"), G.WithValue(0.0))
	t := reflect.TypeOf(G.NewTapeMachine(g))
	f, ok := t.Elem().FieldByName("closureQueue")
	if !ok || f.Type.Kind() != reflect.Slice {
		return t, -1
	}
	return t, f.Index[0]
})

// errClosures: the machine queued work Run does not do.
var errClosures = errors.New("gorgoniax: the tape machine queued closures, which Run does not run")

// Run runs the tape machine vm once on the calling goroutine and returns
// what vm.RunAll would.
//
// Why not RunAll: it locks the goroutine to its OS thread and runs the
// program on a new goroutine, which therefore runs on another thread, so
// every run costs two thread hand-offs (futex wake-ups; their cost is
// measured in experiments/perf/README.md, round three). Run calls the loop RunAll would
// have started, with channels that cannot block it, then does RunAll's
// remaining work: the extern engines' DoWork (nothing on the CPU) and the
// queued closures, which the machine only queues for identity ops
// writing a bound dual value; the module's graphs have none, and a
// machine that has some is refused rather than half run. Any other VM, or
// a gorgonia whose tape machine has no closure queue where this one has,
// is run with its RunAll.
func Run(vm G.VM) error {
	typ, queue := tapeMachine()
	v := reflect.ValueOf(vm)
	if v.Type() != typ || queue < 0 {
		return vm.RunAll()
	}
	closures := v.Elem().Field(queue)
	if closures.Len() > 0 {
		return errClosures
	}
	errc, done := make(chan error, 1), make(chan struct{}, 1)
	tapeRunall(v.UnsafePointer(), errc, done)
	select {
	case err := <-errc:
		return err
	default:
	}
	if closures.Len() > 0 {
		return errClosures
	}
	return vm.(interface{ DoWork() error }).DoWork()
}
