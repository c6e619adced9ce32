//go:build purego

package rundir

// pureGo skips the long training tests: the pure-Go kernels are an order
// of magnitude slower, and TestKernelPathsAgree already shows they compute
// the assembly's bits.
const pureGo = true
