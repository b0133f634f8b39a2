package main

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"
)

// sampler reads the CPU time and resident memory of the server and of
// the generator from /proc every interval (Linux only; elsewhere the
// figures stay zero).
type sampler struct {
	serverPID int
	mu        sync.Mutex
	server    series
	generator series
}

// series is one process's samples since the last reset.
type series struct {
	cpu       []float64 // % of one core over each interval
	rss       []float64 // MB
	firstCPU  time.Duration
	firstAt   time.Time
	lastCPU   time.Duration
	lastAt    time.Time
	haveFirst bool
}

// usage summarises a series.
type usage struct {
	CPU       float64 `json:"cpu_percent"` // average over the measurement, % of one core
	CPUMedian float64 `json:"cpu_percent_median"`
	RSSMB     float64 `json:"rss_mb_median"`
	RSSMaxMB  float64 `json:"rss_mb_max"`
}

func newSampler(serverPID int) *sampler { return &sampler{serverPID: serverPID} }

func (s *sampler) run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s.sample()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *sampler) sample() {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.serverPID > 0 {
		if cpu, rss, ok := readProc(strconv.Itoa(s.serverPID)); ok {
			s.server.add(now, cpu, rss)
		}
	}
	if cpu, rss, ok := readProc("self"); ok {
		s.generator.add(now, cpu, rss)
	}
}

func (r *series) add(now time.Time, cpu time.Duration, rssMB float64) {
	if !r.haveFirst {
		r.firstCPU, r.firstAt, r.haveFirst = cpu, now, true
	} else if dt := now.Sub(r.lastAt); dt > 0 {
		r.cpu = append(r.cpu, 100*float64(cpu-r.lastCPU)/float64(dt))
	}
	r.lastCPU, r.lastAt = cpu, now
	r.rss = append(r.rss, rssMB)
}

// reset starts the measurement again from the latest sample.
func (s *sampler) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range []*series{&s.server, &s.generator} {
		*r = series{firstCPU: r.lastCPU, firstAt: r.lastAt, lastCPU: r.lastCPU, lastAt: r.lastAt, haveFirst: r.haveFirst}
	}
}

func (s *sampler) latest() (server, generator usage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	last := func(r *series) usage {
		var u usage
		if n := len(r.cpu); n > 0 {
			u.CPU = r.cpu[n-1]
		}
		if n := len(r.rss); n > 0 {
			u.RSSMB = r.rss[n-1]
		}
		return u
	}
	return last(&s.server), last(&s.generator)
}

func (s *sampler) summary() (server, generator usage) {
	s.sample()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.server.summary(), s.generator.summary()
}

func (r *series) summary() usage {
	var u usage
	if dt := r.lastAt.Sub(r.firstAt); dt > 0 {
		u.CPU = 100 * float64(r.lastCPU-r.firstCPU) / float64(dt)
	}
	u.CPUMedian = median(r.cpu)
	u.RSSMB = median(r.rss)
	if len(r.rss) > 0 {
		u.RSSMaxMB = slices.Max(r.rss)
	}
	return u
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	return v[len(v)/2]
}

// clockTick is USER_HZ, 100 on every Linux the project supports.
const clockTick = 100

// readProc returns a process's CPU time (user + system) and resident
// memory in MB from /proc/PID/stat and /proc/PID/statm.
func readProc(pid string) (cpu time.Duration, rssMB float64, ok bool) {
	stat, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, 0, false
	}
	// Fields after the command, which may hold spaces, in parentheses.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := bytes.Fields(stat[i+1:])
	if len(f) < 13 {
		return 0, 0, false
	}
	utime, _ := strconv.ParseInt(string(f[11]), 10, 64) // field 14
	stime, _ := strconv.ParseInt(string(f[12]), 10, 64) // field 15
	cpu = time.Duration(utime+stime) * time.Second / clockTick
	statm, err := os.ReadFile("/proc/" + pid + "/statm")
	if err != nil {
		return 0, 0, false
	}
	m := bytes.Fields(statm)
	if len(m) < 2 {
		return 0, 0, false
	}
	pages, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return cpu, float64(pages*int64(os.Getpagesize())) / (1 << 20), true
}
