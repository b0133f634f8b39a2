package agent

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"

	"github.com/osaudit/osaudit/hostfs"
)

// DaemonConfig is what `osaudit daemon` runs.
type DaemonConfig struct {
	Options *Options
	FlagSet *flag.FlagSet
	Args    []string // the command line, for the watcher to start workers with
	Stdout  io.Writer
	Stderr  io.Writer
}

// RunDaemon runs osqueryd's process model: a watcher that supervises a
// worker, or, with --disable_watchdog (or as the worker), the daemon
// itself. It returns when ctx ends or on SIGTERM/SIGINT, after the worker
// has flushed its loggers.
func RunDaemon(ctx context.Context, cfg DaemonConfig) error {
	o := cfg.Options
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	reload := make(chan struct{}, 1)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				select {
				case reload <- struct{}{}:
				default:
				}
			}
		}
	}()

	worker, watcherPID := IsWorker()
	if !worker && !o.Ephemeral {
		if err := writePidfile(o.Pidfile); err != nil {
			return err
		}
		defer os.Remove(o.Pidfile)
	}
	if !worker && !o.DisableWatchdog {
		w := &Watcher{Args: cfg.Args, Limits: LimitsFor(o), Stdout: cfg.Stdout, Stderr: cfg.Stderr}
		if _, _, err := SampleProcess(os.Getpid()); err == nil {
			w.Sample = SampleProcess
		}
		return w.Run(ctx, reload)
	}

	// The worker keeps its heap small: the agent runs on every host.
	debug.SetGCPercent(50)
	root := hostfs.Live()
	if o.Root != "" {
		root = hostfs.Dir(o.Root)
	}
	d := NewDaemon(o, cfg.FlagSet, Deps{Root: root, Stdout: cfg.Stdout, Stderr: cfg.Stderr, Watched: worker, WatcherPID: watcherPID})
	if err := d.Start(ctx); err != nil {
		d.Close(context.Background())
		return err
	}
	if reason := WatchdogReason(); reason != "" {
		d.status(ctx, 1, "the watchdog restarted the worker: "+reason)
	}
	err := d.Run(ctx, reload)
	// Flush with a fresh context: ctx is already done.
	if cerr := d.Close(context.Background()); err == nil {
		err = cerr
	}
	return err
}

// writePidfile records this process's pid, refusing to start if the file
// names a process that is still running.
func writePidfile(path string) error {
	if path == "" {
		return nil
	}
	if b, err := os.ReadFile(path); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid != os.Getpid() && processAlive(pid) {
			return fmt.Errorf("--pidfile %s: another daemon is running (pid %d)", path, pid)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("--pidfile: %w", err)
	}
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return fmt.Errorf("--pidfile: %w", err)
	}
	return nil
}
