//go:build !purego

package rundir

const pureGo = false
