package agent

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"encoding/pem"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/osaudit/osaudit/internal/fixture"

	"github.com/osaudit/osaudit/hostfs"
)

// fakeManager is a minimal osquery TLS server, strict about the shapes an
// osquery 5.x client sends.
type fakeManager struct {
	t  *testing.T
	mu sync.Mutex

	secret      string
	keys        map[string]bool
	enrolls     []map[string]any
	config      string
	refuseNext  bool // answer the next config request with node_invalid
	down        bool // answer every request with a 503 and no JSON
	results     []map[string]any
	statuses    []map[string]any
	liveQueries map[string]string
	written     []map[string]any
	authHeaders []string
}

func (m *fakeManager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
		return
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || !strings.HasPrefix(r.UserAgent(), "osquery/") {
		m.t.Errorf("%s %s: content type %q, user agent %q", r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.UserAgent())
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			m.t.Error(err)
			return
		}
		body = zr
	}
	var req map[string]any
	if err := json.NewDecoder(body).Decode(&req); err != nil {
		m.t.Errorf("%s: %v", r.URL.Path, err)
		return
	}
	reply := func(v any) { json.NewEncoder(w).Encode(v) }
	if r.URL.Path == "/api/v1/osquery/enroll" {
		m.enrolls = append(m.enrolls, req)
		if req["enroll_secret"] != m.secret {
			w.WriteHeader(http.StatusUnauthorized)
			reply(map[string]any{"error": "bad secret", "node_invalid": true})
			return
		}
		key := "node-key-" + string(rune('a'+len(m.keys)))
		m.keys[key] = true
		reply(map[string]any{"node_key": key})
		return
	}
	key, _ := req["node_key"].(string)
	m.authHeaders = append(m.authHeaders, r.Header.Get("Authorization"))
	if !m.keys[key] {
		reply(map[string]any{"node_invalid": true})
		return
	}
	switch r.URL.Path {
	case "/api/v1/osquery/config":
		if m.refuseNext {
			m.refuseNext = false
			delete(m.keys, key)
			reply(map[string]any{"node_invalid": true})
			return
		}
		w.Write([]byte(m.config))
	case "/api/v1/osquery/log":
		for _, line := range req["data"].([]any) {
			if req["log_type"] == "result" {
				m.results = append(m.results, line.(map[string]any))
			} else {
				m.statuses = append(m.statuses, line.(map[string]any))
			}
		}
		reply(map[string]any{})
	case "/api/v1/osquery/distributed/read":
		reply(map[string]any{"queries": m.liveQueries, "accelerate": 60})
		m.liveQueries = map[string]string{}
	case "/api/v1/osquery/distributed/write":
		m.written = append(m.written, req)
		reply(map[string]any{})
	default:
		w.WriteHeader(http.StatusNotFound)
		reply(map[string]any{"error": "not found"})
	}
}

func (m *fakeManager) snapshot() (results, statuses, written []map[string]any, enrolls int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]map[string]any(nil), m.results...), append([]map[string]any(nil), m.statuses...), append([]map[string]any(nil), m.written...), len(m.enrolls)
}

// newRemoteDaemon builds a daemon on the fixture host that talks to srv.
func newRemoteDaemon(t *testing.T, srv *httptest.Server, secret string) *testDaemon {
	t.Helper()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644)
	sec := filepath.Join(dir, "secret")
	os.WriteFile(sec, []byte(secret+"\n"), 0o600)
	td := &testDaemon{root: t.TempDir(), dir: dir, clock: &testClock{t: t0}, stderr: &strings.Builder{}}
	fixture.CopyHost(t, filepath.Join("..", "tables", "testdata", "hosts", "debian12"), td.root)
	td.logs = filepath.Join(dir, "logs")
	fs := flag.NewFlagSet("daemon", flag.ContinueOnError)
	opts := DaemonFlags(fs)
	err := fs.Parse([]string{
		"--tls_hostname=" + strings.TrimPrefix(srv.URL, "https://"), "--tls_server_certs=" + ca, "--enroll_secret_path=" + sec,
		"--enroll_tls_endpoint=/api/v1/osquery/enroll", "--config_plugin=tls", "--config_tls_endpoint=/api/v1/osquery/config",
		"--logger_plugin=filesystem,tls", "--logger_tls_endpoint=/api/v1/osquery/log", "--logger_tls_compress", "--logger_tls_max_lines=3",
		"--disable_distributed=false", "--distributed_tls_read_endpoint=/api/v1/osquery/distributed/read",
		"--distributed_tls_write_endpoint=/api/v1/osquery/distributed/write",
		"--logger_path=" + td.logs, "--database_path=" + filepath.Join(dir, "db"), "--schedule_splay_percent=0",
		"--disable_watchdog", "--logger_stderr=false", "--tls_enroll_max_attempts=1",
	})
	if err != nil {
		t.Fatal(err)
	}
	td.Daemon = NewDaemon(opts, fs, Deps{Root: hostfs.Dir(td.root), Now: td.clock.Now, Stderr: td.stderr, Stdout: io.Discard})
	return td
}

func TestRemotePlugins(t *testing.T) {
	m := &fakeManager{t: t, secret: "s3cret", keys: map[string]bool{}, liveQueries: map[string]string{"q1": "SELECT 42 AS answer", "bad": "SELECT * FROM nope"},
		config: `{"schedule": {"procs": {"query": "SELECT pid, name FROM processes WHERE pid IN (1, 412)", "interval": 1}}, "node_invalid": false}`}
	srv := httptest.NewTLSServer(m)
	defer srv.Close()
	td := newRemoteDaemon(t, srv, "s3cret")
	ctx := context.Background()
	if err := td.Start(ctx); err != nil {
		t.Fatal(err)
	}
	// Enrollment: all-string host details, platform_type "9".
	m.mu.Lock()
	enroll := m.enrolls[0]
	m.mu.Unlock()
	if enroll["platform_type"] != "9" || enroll["host_identifier"] != "fixture-debian" {
		t.Errorf("enroll body: %v", enroll)
	}
	details := enroll["host_details"].(map[string]any)
	for _, tb := range []string{"os_version", "osquery_info", "system_info", "platform_info"} {
		for k, v := range details[tb].(map[string]any) {
			if _, ok := v.(string); !ok {
				t.Errorf("host_details.%s.%s = %#v, want a string", tb, k, v)
			}
		}
	}
	td.Tick(ctx, t0)
	// The manager refuses the node key: the agent enrolls again.
	m.mu.Lock()
	m.refuseNext = true
	m.mu.Unlock()
	if err := td.Reload(ctx); err != nil {
		t.Fatalf("reload after node_invalid: %v", err)
	}
	if _, _, _, n := m.snapshot(); n != 2 {
		t.Errorf("%d enrollments, want a re-enrollment after node_invalid", n)
	}
	td.pollDistributed(ctx)
	for _, l := range td.loggers {
		if al, ok := l.(asyncLogger); ok {
			if !td.drainLogger(ctx, al) {
				t.Fatal("tls logger failed")
			}
		}
	}
	results, statuses, written, _ := m.snapshot()
	if len(results) != 2 || results[0]["name"] != "procs" || results[0]["action"] != "added" {
		t.Errorf("results at the manager: %v", results)
	}
	if len(statuses) == 0 || statuses[0]["severity"] == nil {
		t.Errorf("status lines at the manager: %v", statuses)
	}
	if len(written) != 1 {
		t.Fatalf("distributed writes: %v", written)
	}
	w := written[0]
	rows := w["queries"].(map[string]any)["q1"].([]any)
	if len(rows) != 1 || rows[0].(map[string]any)["answer"] != "42" || w["statuses"].(map[string]any)["q1"] != float64(0) {
		t.Errorf("live query answer: %v", w)
	}
	if w["statuses"].(map[string]any)["bad"] != float64(1) || !strings.Contains(w["messages"].(map[string]any)["bad"].(string), "no such table") {
		t.Errorf("failed live query: %v", w)
	}
	m.mu.Lock()
	for _, h := range m.authHeaders {
		if !strings.HasPrefix(h, "NodeKey node-key-") {
			t.Errorf("Authorization header %q", h)
		}
	}
	m.mu.Unlock()

	// The manager goes away: results keep reaching the files and stay
	// buffered for it; when it is back they arrive, in order.
	m.mu.Lock()
	m.down = true
	m.mu.Unlock()
	os.RemoveAll(filepath.Join(td.root, "proc", "412"))
	td.tick(t, time.Second)
	for _, l := range td.loggers {
		if al, ok := l.(asyncLogger); ok && td.drainLogger(ctx, al) {
			t.Error("delivery to a manager that is down succeeded")
		}
	}
	if lines := td.lines(t, resultsFile); len(lines) != 3 || lines[2]["action"] != "removed" {
		t.Errorf("filesystem lines while the manager is down: %v", lines)
	}
	m.mu.Lock()
	m.down = false
	m.mu.Unlock()
	for _, l := range td.loggers {
		if al, ok := l.(asyncLogger); ok && !td.drainLogger(ctx, al) {
			t.Error("delivery after the manager came back failed")
		}
	}
	results, _, _, _ = m.snapshot()
	if len(results) != 3 || results[2]["action"] != "removed" {
		t.Errorf("results after the outage: %v", results)
	}
	td.Close(ctx)
}

func TestRemoteWrongSecret(t *testing.T) {
	m := &fakeManager{t: t, secret: "right", keys: map[string]bool{}, config: `{}`}
	srv := httptest.NewTLSServer(m)
	defer srv.Close()
	td := newRemoteDaemon(t, srv, "wrong")
	ctx := context.Background()
	// Start falls back to an empty config and keeps running.
	if err := td.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer td.Close(ctx)
	if !td.refreshFail {
		t.Error("a failed first fetch should refresh at the accelerated rate")
	}
	if !strings.Contains(readStatus(t, td.logs), "enroll attempt 1 failed") {
		t.Errorf("no status about the failed enrollment:\n%s", readStatus(t, td.logs))
	}
}
