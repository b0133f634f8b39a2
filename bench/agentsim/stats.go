package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// stats collects request latencies by endpoint and errors by kind. Every
// latency is kept (4 bytes each) so that percentiles are exact.
type stats struct {
	mu        sync.Mutex
	endpoints map[string]*endpoint
	shared    bool
	lags      []uint32 // scheduling lag, µs
	// waits are the times requests queued behind another host's request
	// on a shared connection (--hosts_per_conn > 1), µs. osqueryd has a
	// connection of its own, so this wait is the simulation's, and it is
	// not in the endpoints' latencies.
	waits []uint32
	rows  atomic.Int64
	// all and failed count every request since the start, for progress
	// lines; reset leaves them.
	all, failed atomic.Int64
}

type endpoint struct {
	latencies []uint32 // µs
	recent    []uint32 // since the last progress line
	errors    map[string]int64
}

// newStats returns empty statistics; shared says whether hosts share
// connections.
func newStats(shared bool) *stats { return &stats{endpoints: map[string]*endpoint{}, shared: shared} }

func micros(d time.Duration) uint32 { return uint32(min(d.Microseconds(), 1<<32-1)) }

// record counts a request that took d, of which it waited waited for its
// shared connection.
func (s *stats) record(name string, d, waited time.Duration, errKind string) {
	s.all.Add(1)
	if errKind != "" {
		s.failed.Add(1)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.endpoints[name]
	if e == nil {
		e = &endpoint{errors: map[string]int64{}}
		s.endpoints[name] = e
	}
	if s.shared {
		s.waits = append(s.waits, micros(waited))
	}
	if errKind != "" {
		e.errors[errKind]++
		return
	}
	e.latencies = append(e.latencies, micros(d-waited))
	e.recent = append(e.recent, micros(d-waited))
}

func (s *stats) lag(d time.Duration) {
	s.mu.Lock()
	s.lags = append(s.lags, micros(max(d, 0)))
	s.mu.Unlock()
}

// reset starts a new measurement and returns the old one.
func (s *stats) reset() *stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := &stats{endpoints: s.endpoints, lags: s.lags, waits: s.waits, shared: s.shared}
	old.rows.Store(s.rows.Swap(0))
	s.endpoints, s.lags, s.waits = map[string]*endpoint{}, nil, nil
	return old
}

func (s *stats) errorCount() int64 {
	var n int64
	for _, e := range s.endpoints {
		for _, c := range e.errors {
			n += c
		}
	}
	return n
}

// totals returns the requests and errors since the start.
func (s *stats) totals() (requests, errors int64) { return s.all.Load(), s.failed.Load() }

// recentP99 is the p99 latency of an endpoint since the last call.
func (s *stats) recentP99(name string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.endpoints[name]
	if e == nil {
		return 0
	}
	p := percentile(slices.Clone(e.recent), 0.99, false)
	e.recent = e.recent[:0]
	return p
}

func (s *stats) lagP99() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return percentile(slices.Clone(s.lags), 0.99, false)
}

// percentile returns the q-quantile of µs values, sorting them unless
// sorted says they are.
func percentile(v []uint32, q float64, sorted bool) time.Duration {
	if len(v) == 0 {
		return 0
	}
	if !sorted {
		slices.Sort(v)
	}
	i := min(int(q*float64(len(v))), len(v)-1)
	return time.Duration(v[i]) * time.Microsecond
}

// report is what a run measured after the ramp.
type report struct {
	Hosts       int                     `json:"hosts"`
	Enrolled    int64                   `json:"enrolled"`
	Connections int                     `json:"connections"` // keep-alive connections the hosts share
	Ramp        string                  `json:"ramp"`
	Duration    string                  `json:"duration"`
	Requests    int64                   `json:"requests"`
	RPS         float64                 `json:"requests_per_second"`
	ResultLines float64                 `json:"result_lines_per_second"`
	Errors      int64                   `json:"errors"`
	RampErrors  int64                   `json:"ramp_errors"`
	P99Max      ms                      `json:"p99_max_ms"` // the worst endpoint's p99
	Endpoints   map[string]endpointStat `json:"endpoints"`
	LagP99      ms                      `json:"generator_lag_p99_ms"`
	// SharedWait is the time requests queued behind another host's request
	// on their shared connection (--hosts_per_conn > 1): the simulation's
	// wait, not in the endpoints' latencies.
	SharedWaitP99 ms    `json:"shared_connection_wait_p99_ms,omitempty"`
	SharedWaitMax ms    `json:"shared_connection_wait_max_ms,omitempty"`
	LiveQueries   int64 `json:"live_queries"`
	LiveErrors    int64 `json:"live_query_errors"`
	// ServerLatency is the latency the server itself measured, by route:
	// apart from the generator's own delays.
	ServerLatency map[string]serverLatency `json:"server_latency,omitempty"`
	Server        usage                    `json:"server"`
	Generator     usage                    `json:"generator"`
}

// ms is a duration reported in milliseconds.
type ms float64

func toMS(d time.Duration) ms { return ms(float64(d.Microseconds()) / 1000) }

type endpointStat struct {
	Requests int64            `json:"requests"`
	RPS      float64          `json:"requests_per_second"`
	P50      ms               `json:"p50_ms"`
	P95      ms               `json:"p95_ms"`
	P99      ms               `json:"p99_ms"`
	Max      ms               `json:"max_ms"`
	Errors   map[string]int64 `json:"errors,omitempty"`
}

func (s *stats) report(elapsed time.Duration) *report {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := &report{Endpoints: map[string]endpointStat{}}
	sec := elapsed.Seconds()
	for name, e := range s.endpoints {
		slices.Sort(e.latencies)
		st := endpointStat{
			Requests: int64(len(e.latencies)),
			P50:      toMS(percentile(e.latencies, 0.50, true)),
			P95:      toMS(percentile(e.latencies, 0.95, true)),
			P99:      toMS(percentile(e.latencies, 0.99, true)),
			Max:      toMS(percentile(e.latencies, 1, true)),
		}
		for k, c := range e.errors {
			if st.Errors == nil {
				st.Errors = map[string]int64{}
			}
			st.Errors[k] = c
			st.Requests += c
			r.Errors += c
		}
		st.RPS = float64(st.Requests) / sec
		r.Requests += st.Requests
		r.P99Max = max(r.P99Max, st.P99)
		r.Endpoints[name] = st
	}
	r.RPS = float64(r.Requests) / sec
	r.ResultLines = float64(s.rows.Load()) / sec
	r.LagP99 = toMS(percentile(s.lags, 0.99, false))
	if s.shared {
		slices.Sort(s.waits)
		r.SharedWaitP99, r.SharedWaitMax = toMS(percentile(s.waits, 0.99, true)), toMS(percentile(s.waits, 1, true))
	}
	return r
}

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "hosts %d (enrolled %d, %d connections), ramp %s, measured %s: %.0f requests/s, %.0f result lines/s, %d errors (%d during the ramp), generator lag p99 %.1f ms\n",
		r.Hosts, r.Enrolled, r.Connections, r.Ramp, r.Duration, r.RPS, r.ResultLines, r.Errors, r.RampErrors, float64(r.LagP99))
	fmt.Fprintf(w, "%-18s %10s %9s %9s %9s %9s %9s  %s\n", "endpoint", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors")
	for _, n := range slices.Sorted(maps.Keys(r.Endpoints)) {
		e := r.Endpoints[n]
		fmt.Fprintf(w, "%-18s %10d %9.1f %9.2f %9.2f %9.2f %9.1f  %v\n", n, e.Requests, e.RPS, e.P50, e.P95, e.P99, e.Max, e.Errors)
	}
	if r.Connections < r.Hosts {
		fmt.Fprintf(w, "hosts share connections: latencies above leave out the wait for the other host's request, p99 %.1f ms, max %.1f ms\n", float64(r.SharedWaitP99), float64(r.SharedWaitMax))
	}
	if r.LiveQueries+r.LiveErrors > 0 {
		fmt.Fprintf(w, "live queries started %d, failed %d\n", r.LiveQueries, r.LiveErrors)
	}
	for _, n := range slices.Sorted(maps.Keys(r.ServerLatency)) {
		l := r.ServerLatency[n]
		fmt.Fprintf(w, "server-side %-40s %9d requests, p50 <= %g ms, p99 <= %g ms\n", n, l.Requests, l.P50LE, l.P99LE)
	}
	fmt.Fprintf(w, "server:    cpu %.0f%% of one core (median of 1 s samples %.0f%%), rss median %.0f MB, max %.0f MB\n", r.Server.CPU, r.Server.CPUMedian, r.Server.RSSMB, r.Server.RSSMaxMB)
	fmt.Fprintf(w, "generator: cpu %.0f%% of one core (median of 1 s samples %.0f%%), rss median %.0f MB, max %.0f MB\n", r.Generator.CPU, r.Generator.CPUMedian, r.Generator.RSSMB, r.Generator.RSSMaxMB)
}
