//go:build unix

package shell

import (
	"syscall"
	"time"
)

type cpu struct{ user, sys time.Duration }

// cpuTimes returns the process's CPU time so far, for .timer.
func cpuTimes() cpu {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return cpu{}
	}
	return cpu{user: time.Duration(ru.Utime.Nano()), sys: time.Duration(ru.Stime.Nano())}
}
