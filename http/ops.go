package http

// /healthz, /metrics, and the JSON 404 for unknown routes. Metrics are
// Prometheus text format written here by hand: a dozen series whose hot
// path is two atomic adds, with no dependency tree behind them.

import (
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/osaudit/osaudit"
)

// registerOps adds /healthz, /metrics, and a JSON 404 for every path no
// other route takes.
func (s *Server) registerOps(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /metrics", s.serveMetrics)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.Logger, osaudit.Errorf(osaudit.ENOTFOUND, "no route %s %s", r.Method, r.URL.Path))
	})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, []byte(`{"status":"ok"}`))
}

// latencyBounds are the histogram buckets' upper bounds, in seconds.
var latencyBounds = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// metrics counts requests by route and status, and their latencies.
type metrics struct {
	mu     sync.RWMutex
	routes map[string]*routeMetrics
}

type routeMetrics struct {
	codes   [600]atomic.Int64
	buckets [14]atomic.Int64 // len(latencyBounds) + the +Inf bucket
	sum     atomic.Int64     // nanoseconds
	count   atomic.Int64
}

func (m *metrics) route(name string) *routeMetrics {
	m.mu.RLock()
	rm := m.routes[name]
	m.mu.RUnlock()
	if rm != nil {
		return rm
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if rm = m.routes[name]; rm == nil {
		rm = &routeMetrics{}
		m.routes[name] = rm
	}
	return rm
}

func (rm *routeMetrics) observe(code int, d time.Duration) {
	if code < 100 || code >= 600 {
		code = 500
	}
	rm.codes[code].Add(1)
	sec := d.Seconds()
	i, _ := slices.BinarySearch(latencyBounds, sec)
	rm.buckets[i].Add(1)
	rm.sum.Add(int64(d))
	rm.count.Add(1)
}

// statusWriter records the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// instrument counts every request by the route pattern that served it.
func (s *Server) instrument(next http.Handler) http.Handler {
	if s.metrics == nil {
		s.metrics = &metrics{routes: map[string]*routeMetrics{}}
	}
	m := s.metrics
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		code := sw.code
		if code == 0 {
			code = http.StatusOK
		}
		route := r.Pattern
		if route == "" || route == "/" {
			route = "unmatched"
		}
		m.route(route).observe(code, time.Since(start))
	})
}

// serveMetrics writes the metrics in Prometheus text format.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	b := make([]byte, 0, 16<<10)
	b = s.appendRouteMetrics(b)
	if s.Manager != nil {
		st := s.Manager.Stats()
		gauge := func(name, help string, v int64) {
			b = fmt.Appendf(b, "# HELP %s %s\n# TYPE %s gauge\n%s %d\n", name, help, name, name, v)
		}
		counter := func(name, help string, v int64) {
			b = fmt.Appendf(b, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
		}
		gauge("osaudit_hosts_enrolled", "Hosts with a valid node key.", st.HostsEnrolled)
		gauge("osaudit_hosts_online", "Hosts seen within the online window.", st.HostsOnline)
		gauge("osaudit_campaigns_active", "Live-query campaigns not yet expired.", st.ActiveCampaigns)
		b = fmt.Appendf(b, "# HELP osaudit_ingest_rows_total Rows written to the store.\n# TYPE osaudit_ingest_rows_total counter\n")
		b = fmt.Appendf(b, "osaudit_ingest_rows_total{kind=\"result\"} %d\nosaudit_ingest_rows_total{kind=\"status\"} %d\nosaudit_ingest_rows_total{kind=\"campaign\"} %d\n",
			st.ResultRows, st.StatusRows, st.CampaignRows)
		b = fmt.Appendf(b, "# HELP osaudit_ingest_queue_rows Rows waiting to be written.\n# TYPE osaudit_ingest_queue_rows gauge\n")
		b = fmt.Appendf(b, "osaudit_ingest_queue_rows{kind=\"result\"} %d\nosaudit_ingest_queue_rows{kind=\"status\"} %d\nosaudit_ingest_queue_rows{kind=\"campaign\"} %d\n",
			st.ResultQueue, st.StatusQueue, st.CampaignQueue)
		counter("osaudit_ingest_batches_total", "Group-commit writes.", st.IngestBatches)
		counter("osaudit_ingest_errors_total", "Group-commit writes that failed (agents resend).", st.IngestErrors)
		b = fmt.Appendf(b, "# HELP osaudit_enroll_total Enroll attempts by outcome.\n# TYPE osaudit_enroll_total counter\n")
		b = fmt.Appendf(b, "osaudit_enroll_total{result=\"ok\"} %d\nosaudit_enroll_total{result=\"bad_secret\"} %d\nosaudit_enroll_total{result=\"rate_limited\"} %d\n",
			st.EnrollOK, st.EnrollFailed, st.EnrollLimited)
		counter("osaudit_config_renders_total", "Agent configs rendered (cache misses).", st.ConfigRenders)
		counter("osaudit_config_reloads_total", "Loads of packs and labels from the store.", st.ConfigReloads)
		counter("osaudit_detail_updates_total", "Host inventories refreshed by detail queries.", st.DetailUpdates)
		counter("osaudit_label_changes_total", "Dynamic label membership changes.", st.LabelChanges)
		counter("osaudit_log_lines_skipped_total", "Log lines that were not JSON objects.", st.SkippedLines)
		counter("osaudit_last_seen_writes_total", "Batched last-seen writes.", st.TouchWrites)
		counter("osaudit_last_seen_errors_total", "Batched last-seen writes that failed.", st.TouchErrors)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b = fmt.Appendf(b, "# HELP go_goroutines Goroutines.\n# TYPE go_goroutines gauge\ngo_goroutines %d\n", runtime.NumGoroutine())
	b = fmt.Appendf(b, "# HELP go_memstats_heap_alloc_bytes Heap bytes in use.\n# TYPE go_memstats_heap_alloc_bytes gauge\ngo_memstats_heap_alloc_bytes %d\n", ms.HeapAlloc)
	b = fmt.Appendf(b, "# HELP go_memstats_sys_bytes Bytes obtained from the OS.\n# TYPE go_memstats_sys_bytes gauge\ngo_memstats_sys_bytes %d\n", ms.Sys)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Write(b)
}

func (s *Server) appendRouteMetrics(b []byte) []byte {
	if s.metrics == nil {
		return b
	}
	s.metrics.mu.RLock()
	names := make([]string, 0, len(s.metrics.routes))
	for n := range s.metrics.routes {
		names = append(names, n)
	}
	s.metrics.mu.RUnlock()
	slices.Sort(names)
	b = append(b, "# HELP osaudit_http_requests_total HTTP requests by route and status.\n# TYPE osaudit_http_requests_total counter\n"...)
	for _, n := range names {
		rm := s.metrics.route(n)
		for code := range rm.codes {
			if v := rm.codes[code].Load(); v > 0 {
				b = fmt.Appendf(b, "osaudit_http_requests_total{route=%s,code=\"%d\"} %d\n", strconv.Quote(n), code, v)
			}
		}
	}
	b = append(b, "# HELP osaudit_http_request_duration_seconds HTTP request latency by route.\n# TYPE osaudit_http_request_duration_seconds histogram\n"...)
	for _, n := range names {
		rm := s.metrics.route(n)
		q := strconv.Quote(n)
		cum := int64(0)
		for i, le := range latencyBounds {
			cum += rm.buckets[i].Load()
			b = fmt.Appendf(b, "osaudit_http_request_duration_seconds_bucket{route=%s,le=\"%g\"} %d\n", q, le, cum)
		}
		cum += rm.buckets[len(latencyBounds)].Load()
		b = fmt.Appendf(b, "osaudit_http_request_duration_seconds_bucket{route=%s,le=\"+Inf\"} %d\n", q, cum)
		b = fmt.Appendf(b, "osaudit_http_request_duration_seconds_sum{route=%s} %g\n", q, time.Duration(rm.sum.Load()).Seconds())
		b = fmt.Appendf(b, "osaudit_http_request_duration_seconds_count{route=%s} %d\n", q, rm.count.Load())
	}
	return b
}
