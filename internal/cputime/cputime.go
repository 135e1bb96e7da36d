// Package cputime reads the CPU time this process has used, for the
// benchmarks and the load tool that report CPU per pass: on a shared
// two-core machine, CPU rather than wall time is what a change saves.
package cputime

import (
	"syscall"
	"time"
)

// Process is the user plus system CPU time of every thread of this process
// so far, the kernel's work for its system calls included.
func Process() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}
