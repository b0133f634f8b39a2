package main

import (
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestSamplerAcrossReset(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	s := newSampler(os.Getpid())
	burn := func() {
		for end := time.Now().Add(30 * time.Millisecond); time.Now().Before(end); {
		}
	}
	s.sample()
	burn()
	s.sample()
	s.reset()
	burn()
	s.sample()
	srv, gen := s.latest()
	if srv.RSSMB <= 0 || gen.RSSMB <= 0 {
		t.Errorf("latest after reset: server %+v generator %+v, want resident memory", srv, gen)
	}
	if srv.CPU <= 0 {
		t.Errorf("latest after reset: server CPU %v, want > 0 after a busy loop", srv.CPU)
	}
	sum, _ := s.summary()
	if sum.CPU <= 0 || sum.RSSMaxMB <= 0 {
		t.Errorf("summary %+v, want CPU and memory", sum)
	}
}

func TestServerHistograms(t *testing.T) {
	before := parseHistograms(strings.NewReader(`# TYPE osaudit_http_request_duration_seconds histogram
osaudit_http_request_duration_seconds_bucket{route="POST /api/v1/osquery/log",le="0.001"} 10
osaudit_http_request_duration_seconds_bucket{route="POST /api/v1/osquery/log",le="0.05"} 10
osaudit_http_request_duration_seconds_bucket{route="POST /api/v1/osquery/log",le="+Inf"} 10
`))
	after := parseHistograms(strings.NewReader(`osaudit_http_request_duration_seconds_bucket{route="POST /api/v1/osquery/log",le="0.001"} 60
osaudit_http_request_duration_seconds_bucket{route="POST /api/v1/osquery/log",le="0.05"} 109
osaudit_http_request_duration_seconds_bucket{route="POST /api/v1/osquery/log",le="+Inf"} 110
osaudit_http_request_duration_seconds_bucket{route="GET /healthz",le="+Inf"} 0
`))
	got := after.since(before)
	want := serverLatency{Requests: 100, P50LE: 1, P99LE: 50}
	if got["POST /api/v1/osquery/log"] != want || len(got) != 1 {
		t.Errorf("since = %+v, want log route %+v only", got, want)
	}
}
