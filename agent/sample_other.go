//go:build !linux

package agent

import (
	"errors"
	"os"
	"time"
)

// SampleProcess is not implemented here: the watcher only restarts workers
// that die.
func SampleProcess(int) (uint64, time.Duration, error) {
	return 0, 0, errors.New("watchdog sampling is not supported on this platform")
}

// signalReload has no portable signal here; the worker reloads on
// config_refresh instead.
func signalReload(*os.Process) {}
