//go:build !linux

package external

import (
	"os"
	"syscall"
)

// procAttr leaves the child in ppo's process group: only Linux has Pdeathsig.
func procAttr() *syscall.SysProcAttr { return nil }

// killGroup kills the child.
func killGroup(p *os.Process) { p.Kill() }
