package agent

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// SampleProcess reads a process's resident memory (bytes) and CPU time from
// /proc, for the watchdog.
func SampleProcess(pid int) (rss uint64, cpu time.Duration, err error) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, 0, fmt.Errorf("malformed stat")
	}
	f := bytes.Fields(stat[end+1:])
	// After ")": state(0) ... utime(11) stime(12) ... rss(21) in pages.
	if len(f) < 22 {
		return 0, 0, fmt.Errorf("malformed stat")
	}
	utime, _ := strconv.ParseUint(string(f[11]), 10, 64)
	stime, _ := strconv.ParseUint(string(f[12]), 10, 64)
	pages, _ := strconv.ParseUint(string(f[21]), 10, 64)
	const ticks = 100
	return pages * uint64(os.Getpagesize()), time.Duration(utime+stime) * time.Second / ticks, nil
}

// signalReload asks a worker to read its config again.
func signalReload(p *os.Process) { p.Signal(syscall.SIGHUP) }
