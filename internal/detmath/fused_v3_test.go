//go:build amd64.v3

package detmath

// With GOAMD64=v3 the compiler fuses a*b+c in the standard library's Go
// code (NormFloat64's tail, math.Tanh's polynomial), so it no longer
// rounds like the default build that Exp, Tanh and NormFloat64 reproduce.
const stdlibFused = true
