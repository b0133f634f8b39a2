//go:build unix

package sqlite

import (
	"syscall"
	"time"
)

// cpuTime returns the process's user and system CPU time so far. The
// benchmarks report CPU per row next to wall time: on a shared machine,
// CPU time varies less than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
