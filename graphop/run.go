package graphop

import (
	"errors"
	"reflect"
	"unsafe"

	G "gorgonia.org/gorgonia"
)

// tapeRunall is gorgonia v0.9.18's tape-machine loop, the body of the
// goroutine RunAll starts: it executes the program from the machine's
// program counter and then sends on done, or on errc at the first error.
//
//go:linkname tapeRunall gorgonia.org/gorgonia.(*tapeMachine).runall
func tapeRunall(m unsafe.Pointer, errc chan error, done chan struct{})

// Run runs the tape machine vm once on the calling goroutine and returns
// what vm.RunAll would.
//
// Why not RunAll: it locks the goroutine to its OS thread and runs the
// program on a new goroutine, which therefore runs on another thread, so
// every run costs two thread hand-offs (futex wake-ups, a quarter of a
// CartPole minibatch step on two cores). Run calls the loop RunAll would
// have started, with channels that cannot block it, then does RunAll's
// remaining work: the extern engines' DoWork (nothing on the CPU) and the
// queued closures, which the machine only queues for identity ops
// writing a bound dual value; the module's graphs have none, and a
// machine that has some is refused rather than half run. Any other VM is
// run with its RunAll.
func Run(vm G.VM) error {
	v := reflect.ValueOf(vm)
	if t := v.Type(); t.Kind() != reflect.Pointer || t.Elem().PkgPath() != "gorgonia.org/gorgonia" || t.Elem().Name() != "tapeMachine" {
		return vm.RunAll()
	}
	if v.Elem().FieldByName("closureQueue").Len() > 0 {
		return errors.New("graphop: the tape machine queued closures, which Run does not run")
	}
	errc, done := make(chan error, 1), make(chan struct{}, 1)
	tapeRunall(v.UnsafePointer(), errc, done)
	select {
	case err := <-errc:
		return err
	default:
	}
	if v.Elem().FieldByName("closureQueue").Len() > 0 {
		return errors.New("graphop: the tape machine queued closures, which Run does not run")
	}
	return vm.(interface{ DoWork() error }).DoWork()
}
