package agent

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// Environment variables between watcher and worker.
const (
	envWorker     = "OSAUDIT_WORKER"
	envWatcherPID = "OSAUDIT_WATCHER_PID"
	envLastKill   = "OSAUDIT_WATCHDOG_REASON"
)

// IsWorker reports whether this process is a worker started by a watcher,
// and the watcher's pid.
func IsWorker() (bool, int64) {
	if os.Getenv(envWorker) == "" {
		return false, 0
	}
	pid, _ := strconv.ParseInt(os.Getenv(envWatcherPID), 10, 64)
	return true, pid
}

// WatchdogReason is why the watcher restarted this worker, if it did.
func WatchdogReason() string { return os.Getenv(envLastKill) }

// Limits are the watchdog's thresholds.
type Limits struct {
	MemoryMB   uint64        // above the worker's first reading
	CPUPercent uint64        // of all logical cores, per sampling interval
	Latency    time.Duration // how long CPU may stay above the limit
	Delay      time.Duration // before limits apply to a new worker
}

// LimitsFor returns osquery's limits for a watchdog level, with the
// overrides the flags give.
func LimitsFor(o *Options) Limits {
	l := Limits{MemoryMB: 200, CPUPercent: 10, Latency: 12 * time.Second}
	switch o.WatchdogLevel {
	case 1:
		l = Limits{MemoryMB: 100, CPUPercent: 5, Latency: 6 * time.Second}
	case -1:
		l = Limits{MemoryMB: 10000, CPUPercent: 100, Latency: 1000 * time.Second}
	}
	if o.WatchdogMemoryLimit > 0 {
		l.MemoryMB = o.WatchdogMemoryLimit
	}
	if o.WatchdogUtilizationLimit > 0 {
		l.CPUPercent = o.WatchdogUtilizationLimit
	}
	if o.WatchdogLatencyLimit > 0 {
		l.Latency = seconds(o.WatchdogLatencyLimit)
	}
	l.Delay = seconds(o.WatchdogDelay)
	return l
}

// sampleInterval is how often the watcher reads the worker's usage.
const sampleInterval = 3 * time.Second

// Watcher runs a worker (this program again, with the same arguments) and
// restarts it when it dies or goes over its limits, as osqueryd's watcher
// does.
type Watcher struct {
	Args   []string // the worker's arguments (os.Args[1:])
	Limits Limits
	Stdout io.Writer
	Stderr io.Writer
	// Sample reads a process's resident memory and CPU time; nil on
	// platforms where the watcher only restarts crashed workers.
	Sample func(pid int) (rss uint64, cpu time.Duration, err error)
	// Interval between samples; sampleInterval if 0 (tests shorten it).
	Interval time.Duration
	// RespawnDelay before a worker is started again; 5 s (osquery's) if 0.
	RespawnDelay time.Duration
}

// Run supervises workers until ctx ends (then it stops the worker and
// returns nil) or the worker exits cleanly by itself. reload is forwarded
// to the worker as SIGHUP.
func (w *Watcher) Run(ctx context.Context, reload <-chan struct{}) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("watchdog: %w", err)
	}
	interval := w.Interval
	if interval == 0 {
		interval = sampleInterval
	}
	reason := ""
	quickRestarts := 0
	for {
		started := time.Now()
		cmd := exec.Command(exe, w.Args...)
		cmd.Stdout, cmd.Stderr = w.Stdout, w.Stderr
		cmd.Env = append(os.Environ(), envWorker+"=1", envWatcherPID+"="+strconv.Itoa(os.Getpid()))
		if reason != "" {
			cmd.Env = append(cmd.Env, envLastKill+"="+reason)
		}
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("watchdog: start worker: %w", err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		var stop string
		stop, err = w.supervise(ctx, cmd.Process, exited, reload, interval, started)
		if ctx.Err() != nil {
			return nil
		}
		if stop == "" {
			// The worker exited by itself.
			if err == nil {
				return nil
			}
			reason = fmt.Sprintf("worker %d exited: %v", cmd.Process.Pid, err)
		} else {
			reason = stop
		}
		fmt.Fprintf(w.Stderr, "osaudit watcher: %s; restarting the worker\n", reason)
		if time.Since(started) < 4*time.Second { // osquery: a worker that dies within 4 s respawns too quickly
			quickRestarts++
		} else {
			quickRestarts = 0
		}
		if quickRestarts >= 4 {
			return fmt.Errorf("watchdog: too many worker restarts (last: %s)", reason)
		}
		delay := w.RespawnDelay
		if delay == 0 {
			delay = 5 * time.Second
		}
		if quickRestarts > 0 {
			delay += time.Duration(1<<quickRestarts) * delay / 5
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(min(delay, 600*time.Second)):
		}
	}
}

// supervise watches one worker. It returns why it stopped the worker, or
// "" if the worker exited by itself (with its exit error).
func (w *Watcher) supervise(ctx context.Context, p *os.Process, exited <-chan error, reload <-chan struct{}, interval time.Duration, started time.Time) (string, error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var baseline uint64
	var lastCPU time.Duration
	streak := 0
	for {
		select {
		case err := <-exited:
			return "", err
		case <-ctx.Done():
			stopWorker(p, exited, 15*time.Second)
			return "shutdown", nil
		case <-reload:
			signalReload(p)
		case <-t.C:
			if w.Sample == nil {
				continue
			}
			rss, cpu, err := w.Sample(p.Pid)
			if err != nil {
				continue
			}
			if baseline == 0 {
				baseline, lastCPU = rss, cpu
				continue
			}
			used := cpu - lastCPU
			lastCPU = cpu
			if time.Since(started) < w.Limits.Delay {
				continue
			}
			if rss > baseline && rss-baseline > w.Limits.MemoryMB<<20 {
				p.Kill()
				<-exited
				return fmt.Sprintf("Memory limits exceeded: %d bytes (limit is %dMB above %d)", rss, w.Limits.MemoryMB, baseline), nil
			}
			allowed := time.Duration(float64(interval) * float64(runtime.NumCPU()) * float64(w.Limits.CPUPercent) / 100)
			if used > allowed {
				streak++
			} else {
				streak = 0
			}
			if time.Duration(streak)*interval >= w.Limits.Latency {
				p.Kill()
				<-exited
				return fmt.Sprintf("Maximum sustainable CPU utilization limit %dms exceeded for %d seconds", allowed.Milliseconds(), int(time.Duration(streak)*interval/time.Second)), nil
			}
		}
	}
}

// stopWorker asks the worker to stop and kills it after grace.
func stopWorker(p *os.Process, exited <-chan error, grace time.Duration) {
	if err := p.Signal(syscall.SIGTERM); err != nil {
		p.Kill()
	}
	select {
	case <-exited:
	case <-time.After(grace):
		p.Kill()
		<-exited
	}
}
