//go:build !unix

// Package proctime reads the CPU time this process has used.
package proctime

import "time"

// Self is not measured on this platform.
func Self() (user, sys time.Duration) { return 0, 0 }
