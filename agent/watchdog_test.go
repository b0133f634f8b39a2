package agent

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// watchdogChild is the worker the watchdog tests supervise: it hogs memory
// or CPU until the watcher stops it, and on its second start writes down
// why it was restarted and exits cleanly.
func watchdogChild(mode, report string) {
	if reason := WatchdogReason(); reason != "" {
		os.WriteFile(report, []byte(reason), 0o644)
		os.Exit(0)
	}
	switch mode {
	case "memory":
		hog := make([]byte, 256<<20)
		for i := range hog {
			hog[i] = byte(i)
		}
		time.Sleep(30 * time.Second)
		runtime.KeepAlive(hog)
	case "cpu":
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		}
	case "crash":
		os.Exit(7)
	}
	os.Exit(0)
}

func TestWatchdog(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the watcher samples workers through /proc")
	}
	if testing.Short() {
		t.Skip("starts processes")
	}
	tests := []struct {
		mode, want string
		limits     Limits
	}{
		{"memory", "Memory limits exceeded", Limits{MemoryMB: 64, CPUPercent: 100, Latency: time.Hour}},
		{"cpu", "Maximum sustainable CPU utilization limit", Limits{MemoryMB: 10000, CPUPercent: 10, Latency: 300 * time.Millisecond}},
		{"crash", "exited: exit status 7", Limits{MemoryMB: 10000, CPUPercent: 100, Latency: time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			report := filepath.Join(t.TempDir(), "reason")
			t.Setenv("OSAUDIT_WATCHDOG_CHILD", tt.mode+"|"+report)
			w := &Watcher{Args: []string{"-test.run=^$"}, Limits: tt.limits, Stdout: io.Discard, Stderr: io.Discard,
				Sample: SampleProcess, Interval: 100 * time.Millisecond, RespawnDelay: 10 * time.Millisecond}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if err := w.Run(ctx, nil); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(report)
			if err != nil || !strings.Contains(string(b), tt.want) {
				t.Errorf("restart reason %q (%v), want %q", b, err, tt.want)
			}
		})
	}
}
