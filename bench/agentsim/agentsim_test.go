package main

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/osaudit/osaudit/osquery"
)

// fakeServer answers the osquery TLS API as a manager would: one detail
// query on each host's first distributed read, node_invalid once for one
// host's log, and it keeps what it received.
type fakeServer struct {
	mu       sync.Mutex
	enrolls  map[string]int // host identifier: enrolls
	asked    map[string]bool
	answered map[string]bool
	lines    int
	statuses int
	invalid  bool
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		body = zr
	}
	b, _ := io.ReadAll(body)
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.URL.Path {
	case "/api/v1/osquery/enroll":
		req, err := osquery.ParseEnroll(b)
		if err != nil || req.HostDetails["system_info"]["hostname"] != req.HostIdentifier {
			http.Error(w, `{"error":"bad enroll"}`, 400)
			return
		}
		f.enrolls[req.HostIdentifier]++
		io.WriteString(w, `{"node_key":"key-`+req.HostIdentifier+`"}`)
	case "/api/v1/osquery/config":
		io.WriteString(w, `{"schedule":{}}`)
	case "/api/v1/osquery/distributed/read":
		key, _ := osquery.ParseNodeKey(b)
		if !f.asked[key] {
			f.asked[key] = true
			io.WriteString(w, `{"queries":{"osaudit_detail_os_version":"SELECT * FROM os_version"}}`)
			return
		}
		io.WriteString(w, `{"queries":{}}`)
	case "/api/v1/osquery/distributed/write":
		dw, err := osquery.ParseDistributedWrite(b)
		if err != nil || len(dw.Queries["osaudit_detail_os_version"]) != 1 {
			http.Error(w, `{"error":"bad write"}`, 400)
			return
		}
		f.answered[dw.NodeKey] = true
		io.WriteString(w, `{}`)
	case "/api/v1/osquery/log":
		lb, err := osquery.ParseLog(b)
		if err != nil {
			http.Error(w, `{"error":"bad log"}`, 400)
			return
		}
		if !f.invalid && strings.Contains(string(b), "key-sim-000001") {
			f.invalid = true
			w.WriteHeader(401)
			io.WriteString(w, `{"node_invalid":true}`)
			return
		}
		f.lines += len(lb.Results)
		f.statuses += len(lb.Statuses)
		io.WriteString(w, `{}`)
	case "/metrics":
		io.WriteString(w, `osaudit_http_request_duration_seconds_bucket{route="POST /api/v1/osquery/log",le="0.001"} 0
osaudit_http_request_duration_seconds_bucket{route="POST /api/v1/osquery/log",le="+Inf"} 0
`)
	default:
		http.NotFound(w, r)
	}
}

func TestSimulatedFleet(t *testing.T) {
	f := &fakeServer{enrolls: map[string]int{}, asked: map[string]bool{}, answered: map[string]bool{}}
	srv := httptest.NewTLSServer(f)
	defer srv.Close()
	o := options{
		server: srv.URL, secret: "s", hosts: 4, hostsPerConn: 2, ramp: 100 * time.Millisecond, duration: time.Second,
		configEvery: 300 * time.Millisecond, readEvery: 100 * time.Millisecond, logEvery: 100 * time.Millisecond,
		rows: 3, maxLines: 1024, compress: true, prefix: "sim", timeout: 5 * time.Second,
	}
	tlsConf, err := clientTLS("", true)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := newSim(o, tlsConf).run(context.Background(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if rep.Enrolled != 4 || len(f.enrolls) != 4 || rep.Connections != 2 {
		t.Errorf("enrolled %d (server saw %v) over %d connections, want 4 hosts over 2", rep.Enrolled, f.enrolls, rep.Connections)
	}
	if f.enrolls["sim-000001"] != 2 {
		t.Errorf("sim-000001 enrolled %d times, want 2 (again after node_invalid)", f.enrolls["sim-000001"])
	}
	if len(f.answered) != 4 {
		t.Errorf("detail queries answered by %d hosts, want 4", len(f.answered))
	}
	if f.lines == 0 {
		t.Error("no result lines reached the server")
	}
	for _, ep := range []string{"config", "distributed_read", "log"} {
		if rep.Endpoints[ep].Requests == 0 || rep.Endpoints[ep].P99 <= 0 {
			t.Errorf("endpoint %s: %+v, want requests with latencies", ep, rep.Endpoints[ep])
		}
	}
	// The server answers node_invalid to the host's first log post, of
	// results or of status lines.
	if n := rep.Endpoints["log"].Errors["node_invalid"] + rep.Endpoints["log_status"].Errors["node_invalid"] + rep.RampErrors; n != 1 {
		t.Errorf("node_invalid counted %d times, want 1; endpoints %+v", n, rep.Endpoints)
	}
	if _, ok := rep.ServerLatency["POST /api/v1/osquery/log"]; ok {
		t.Errorf("server latency of a route with no requests in the window: %+v", rep.ServerLatency)
	}
	b, err := json.Marshal(rep)
	if err != nil || !strings.Contains(string(b), `"p99_max_ms"`) {
		t.Errorf("report JSON %s: %v", b, err)
	}
}

// A request queued behind another host's on a shared connection reports
// its wait apart, and its latency leaves the wait out.
func TestSharedConnectionWait(t *testing.T) {
	arrived, release := make(chan struct{}, 2), make(chan struct{})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		if r.URL.Path == "/slow" {
			<-release
		}
		io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	tlsConf, err := clientTLS("", true)
	if err != nil {
		t.Fatal(err)
	}
	s := newSim(options{hosts: 2, hostsPerConn: 2, timeout: 5 * time.Second}, tlsConf)
	addr, host, err := serverAddr(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := newConn(s, addr, host)
	first := make(chan error, 1)
	go func() {
		_, _, _, err := c.post(context.Background(), "/slow", []byte(`{}`), false)
		first <- err
	}()
	<-arrived // the slow request holds the connection
	second := make(chan time.Duration, 1)
	started := make(chan struct{})
	go func() {
		close(started)
		_, _, waited, err := c.post(context.Background(), "/fast", []byte(`{}`), false)
		if err != nil {
			t.Error(err)
		}
		second <- waited
	}()
	<-started
	time.Sleep(100 * time.Millisecond)
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	waited := <-second
	if waited < 10*time.Millisecond {
		t.Errorf("the second request waited %v for the shared connection, want about 100ms", waited)
	}

	s.stats.record("log", 150*time.Millisecond, 100*time.Millisecond, "")
	rep := s.stats.report(time.Second)
	if got := rep.Endpoints["log"].P99; got != 50 {
		t.Errorf("latency %v ms, want 50 (150 less the 100 of waiting)", got)
	}
	if rep.SharedWaitP99 != 100 {
		t.Errorf("shared connection wait p99 %v ms, want 100", rep.SharedWaitP99)
	}
}
