//go:build !amd64.v3

package detmath

const stdlibFused = false
