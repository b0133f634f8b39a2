//go:build !unix

package shell

import "time"

type cpu struct{ user, sys time.Duration }

// cpuTimes is not measured on this platform; .timer shows real time only.
func cpuTimes() cpu { return cpu{} }
