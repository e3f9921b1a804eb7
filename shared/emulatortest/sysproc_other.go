//go:build !linux

package emulatortest

import "syscall"

// sysProcAttr has nothing to add outside Linux: call Stop (or Main) to end the emulators.
func sysProcAttr() *syscall.SysProcAttr {
	return nil
}
