//go:build unix

// Package proctime reads the CPU time this process has used.
package proctime

import (
	"syscall"
	"time"
)

// Self returns the user and system CPU time the process has used.
func Self() (user, sys time.Duration) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}
