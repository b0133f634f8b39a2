//go:build unix

package http

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/osaudit/osaudit"
	"github.com/osaudit/osaudit/internal/memstore"
	"github.com/osaudit/osaudit/manager"
	"github.com/osaudit/osaudit/osquery"
)

// The hot handlers, called through the whole handler chain (routing,
// metrics, body reading, the manager) without the network. Run with
//
//	go test ./http -run '^$' -bench Agent -benchmem
//
// The store is in memory: the figures are the server's own cost.

// discardWriter is a ResponseWriter that keeps nothing.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }

// benchServer has hosts hosts enrolled and a config of two packs.
func benchServer(b *testing.B, hosts int, linger time.Duration) (http.Handler, []string) {
	b.Helper()
	ctx := context.Background()
	st := memstore.New()
	c := &osaudit.Customer{Name: "acme"}
	st.CreateCustomer(ctx, c)
	st.CreateEnrollSecret(ctx, &osaudit.EnrollSecret{CustomerID: c.ID, Hash: manager.HashKey(testSecret)})
	for i := range 2 {
		st.SavePack(ctx, &osaudit.Pack{Name: fmt.Sprintf("pack%d", i), Queries: []osaudit.PackQuery{
			{Name: "processes", SQL: "SELECT * FROM processes", Interval: 300},
			{Name: "listening", SQL: "SELECT * FROM listening_ports", Interval: 600},
			{Name: "users", SQL: "SELECT * FROM users", Interval: 3600, Snapshot: true},
		}})
	}
	m := &manager.Manager{Store: st, IngestLinger: linger}
	if err := m.Open(ctx); err != nil {
		b.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { m.Run(runCtx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	var keys []string
	for i := range hosts {
		req, _ := osquery.ParseEnroll(enrollBody(testSecret, fmt.Sprintf("host-%d", i), "9"))
		k, err := m.Enroll(ctx, "127.0.0.1", req)
		if err != nil {
			b.Fatal(err)
		}
		keys = append(keys, k)
	}
	srv := &Server{Manager: m, Store: st}
	h := srv.Handler()
	// First reads get the detail and label queries out of the way.
	for _, k := range keys {
		call(b, h, "/api/v1/osquery/distributed/read", []byte(`{"node_key":"`+k+`"}`))
	}
	return h, keys
}

func call(b *testing.B, h http.Handler, path string, body []byte) {
	r, _ := http.NewRequest("POST", path, bytes.NewReader(body))
	w := &discardWriter{h: http.Header{}}
	h.ServeHTTP(w, r)
	if w.code != 0 && w.code != 200 {
		b.Fatalf("%s: status %d", path, w.code)
	}
}

// request reuses one request and body reader per call.
type request struct {
	r    *http.Request
	body *bytes.Reader
	raw  []byte
	w    discardWriter
}

func newRequest(path string, body []byte) *request {
	q := &request{body: bytes.NewReader(body), raw: body, w: discardWriter{h: http.Header{}}}
	q.r, _ = http.NewRequest("POST", path, q.body)
	return q
}

func (q *request) serve(b *testing.B, h http.Handler) {
	q.body.Reset(q.raw)
	q.r.Body = io.NopCloser(q.body)
	q.r.ContentLength = int64(len(q.raw))
	clear(q.w.h)
	q.w.code = 0
	h.ServeHTTP(&q.w, q.r)
	if q.w.code != 0 && q.w.code != 200 {
		b.Fatalf("status %d", q.w.code)
	}
}

func benchNodeKeyRoute(b *testing.B, path string) {
	h, keys := benchServer(b, 1000, 0)
	reqs := make([]*request, len(keys))
	for i, k := range keys {
		reqs[i] = newRequest(path, []byte(`{"node_key":"`+k+`"}`))
	}
	b.ReportAllocs()
	cpu := cpuTime()
	i := 0
	for b.Loop() {
		reqs[i%len(reqs)].serve(b, h)
		i++
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the CPU time the process used, user and system: what a
// request costs the machine, whether it waits or not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkAgentDistributedRead(b *testing.B) {
	benchNodeKeyRoute(b, "/api/v1/osquery/distributed/read")
}

func BenchmarkAgentConfig(b *testing.B) {
	benchNodeKeyRoute(b, "/api/v1/osquery/config")
}

// BenchmarkAgentLog posts 10 event lines, a typical 10-second batch, and
// waits for the group commit, 128 requests in parallel. ns/op is bound by
// the linger time; cpu-ns/op is what a request costs.
func BenchmarkAgentLog(b *testing.B) {
	h, keys := benchServer(b, 1000, 5*time.Millisecond)
	hdr := osquery.ResultHeader{Name: "pack/pack0/processes", HostIdentifier: "h", Time: time.Unix(1700000000, 0), Decorations: map[string]string{"host_uuid": "U", "hostname": "h"}}
	var rows []osquery.Row
	for i := range 10 {
		rows = append(rows, osquery.Row{"pid": fmt.Sprint(i), "name": "bash", "path": "/usr/bin/bash", "cmdline": "bash -l", "uid": "1000", "parent": "1"})
	}
	lines := hdr.EventLines(rows, nil)
	data := make([]json.RawMessage, len(lines))
	for i, l := range lines {
		data[i] = l
	}
	b.ReportAllocs()
	b.SetParallelism(64)
	next := make(chan string, len(keys))
	for _, k := range keys {
		next <- k
	}
	cpu := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		k := <-next
		body, _ := json.Marshal(osquery.LogRequest{NodeKey: k, LogType: "result", Data: data})
		q := newRequest("/api/v1/osquery/log", body)
		for pb.Next() {
			q.serve(b, h)
		}
	})
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}
