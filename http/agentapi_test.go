package http

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/osaudit/osaudit"
	"github.com/osaudit/osaudit/internal/memstore"
	"github.com/osaudit/osaudit/manager"
	"github.com/osaudit/osaudit/osquery"
)

const testSecret = "acme-enroll-secret"

// agentFixture is the agent API over TLS on loopback, with a manager on a
// memory store holding one customer.
type agentFixture struct {
	t        *testing.T
	st       *memstore.Store
	m        *manager.Manager
	srv      *Server
	ts       *httptest.Server
	customer *osaudit.Customer
}

func newAgentFixture(t *testing.T) *agentFixture {
	t.Helper()
	ctx := context.Background()
	st := memstore.New()
	c := &osaudit.Customer{Name: "acme"}
	if err := st.CreateCustomer(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateEnrollSecret(ctx, &osaudit.EnrollSecret{CustomerID: c.ID, Name: "default", Hash: manager.HashKey(testSecret)}); err != nil {
		t.Fatal(err)
	}
	m := &manager.Manager{Store: st, IngestLinger: 5 * time.Millisecond}
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { m.Run(runCtx); close(done) }()
	srv := &Server{Manager: m, Store: st}
	ts := httptest.NewUnstartedServer(srv.Handler())
	ts.StartTLS()
	t.Cleanup(func() {
		ts.Close()
		cancel()
		<-done
	})
	return &agentFixture{t: t, st: st, m: m, srv: srv, ts: ts, customer: c}
}

// post sends a body as osquery does and returns the status and the decoded
// JSON answer.
func (f *agentFixture) post(path string, body []byte, header ...string) (int, map[string]any) {
	f.t.Helper()
	req, _ := http.NewRequest("POST", f.ts.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "osquery/5.23.1")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		f.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		f.t.Fatalf("POST %s: %d, answer not JSON: %q", path, resp.StatusCode, raw)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		f.t.Errorf("POST %s: Content-Type %q", path, ct)
	}
	return resp.StatusCode, out
}

func (f *agentFixture) postJSON(path string, v any, header ...string) (int, map[string]any) {
	f.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.post(path, b, header...)
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// enrollBody is an enroll request as osquery 5.x sends it: every
// host_details value a string.
func enrollBody(secret, id, platformType string) []byte {
	return []byte(fmt.Sprintf(`{"enroll_secret":%q,"host_identifier":%q,"platform_type":%q,"host_details":{
	"os_version":{"name":"Ubuntu","version":"22.04.4 LTS (Jammy Jellyfish)","major":"22","minor":"4","patch":"0","platform":"ubuntu","platform_like":"debian","codename":"jammy","arch":"x86_64"},
	"osquery_info":{"version":"5.23.1","build_platform":"ubuntu","build_distro":"centos7","pid":"4321","uuid":"1B2A6F2C","extensions":"active","config_valid":"1","watcher":"4320","platform_mask":"9"},
	"system_info":{"hostname":%q,"uuid":"1B2A6F2C","cpu_brand":"Intel","cpu_physical_cores":"2","physical_memory":"8589934592","hardware_vendor":"QEMU","hardware_model":"Standard PC"},
	"platform_info":{"vendor":"SeaBIOS","version":"1.16","date":"04/01/2014"}}}`, secret, id, platformType, id))
}

func (f *agentFixture) enroll(id, platformType string) string {
	f.t.Helper()
	code, out := f.post("/api/v1/osquery/enroll", enrollBody(testSecret, id, platformType))
	key, _ := out["node_key"].(string)
	if code != 200 || key == "" {
		f.t.Fatalf("enroll %s: %d %v", id, code, out)
	}
	return key
}

// TestAgentEndToEnd runs an osquery-shaped agent against the API over TLS:
// enroll, config, logs, distributed read and write, a live query.
func TestAgentEndToEnd(t *testing.T) {
	f := newAgentFixture(t)
	ctx := context.Background()
	pack := &osaudit.Pack{Name: "bar", Queries: []osaudit.PackQuery{{Name: "processes", SQL: "SELECT pid, name FROM processes", Interval: 60}}}
	f.st.SavePack(ctx, pack)
	f.m.ConfigChanged()

	// Enroll on both path prefixes, every platform type.
	keys := map[string]string{}
	for i, pt := range []string{"9", "2", "21"} {
		prefix := agentPrefixes[i%2]
		code, out := f.post(prefix+"/enroll", enrollBody(testSecret, "host-"+pt, pt))
		if code != 200 || out["node_key"] == nil {
			t.Fatalf("enroll platform_type %s at %s: %d %v", pt, prefix, code, out)
		}
		keys[pt] = out["node_key"].(string)
	}
	key := keys["9"]

	// Config: the pack, with Fleet's options; by body or Authorization header.
	var cfg map[string]any
	for _, eventually := 0, time.Now().Add(5*time.Second); time.Now().Before(eventually); time.Sleep(10 * time.Millisecond) {
		_, cfg = f.postJSON("/api/osquery/config", osquery.NodeKeyRequest{NodeKey: key})
		if packs, _ := cfg["packs"].(map[string]any); packs["bar"] != nil {
			break
		}
	}
	if packs, _ := cfg["packs"].(map[string]any); packs["bar"] == nil {
		t.Fatalf("config %v: want pack bar", cfg)
	}
	if opts, _ := cfg["options"].(map[string]any); opts["pack_delimiter"] != "/" || opts["distributed_interval"] != 10.0 {
		t.Errorf("options %v", cfg["options"])
	}
	code, cfg2 := f.post("/api/v1/osquery/config", nil, "Authorization", "NodeKey "+key)
	if code != 200 || cmp.Diff(cfg2, cfg) != "" {
		t.Errorf("config by Authorization header: %d %v", code, cfg2)
	}

	// A gzip result log of 1024 event lines, as --logger_tls_compress sends it.
	h := osquery.ResultHeader{Name: "pack/bar/processes", HostIdentifier: "host-9", Time: time.Unix(1700000000, 0), Decorations: map[string]string{"host_uuid": "1B2A6F2C"}}
	var rows []osquery.Row
	for i := range 1024 {
		rows = append(rows, osquery.Row{"pid": fmt.Sprint(1000 + i), "name": "evil", "path": "/tmp/x", "on_disk": "0"})
	}
	lines := h.EventLines(rows, nil)
	data := make([]json.RawMessage, len(lines))
	for i, l := range lines {
		data[i] = l
	}
	body, _ := json.Marshal(osquery.LogRequest{NodeKey: key, LogType: "result", Data: data})
	if code, out := f.post("/api/v1/osquery/log", gz(body), "Content-Encoding", "gzip"); code != 200 || len(out) != 0 {
		t.Fatalf("gzip result log: %d %v, want 200 {}", code, out)
	}
	stored, _ := f.st.Results(ctx, osaudit.ResultFilter{})
	if len(stored) != 1024 || stored[1023].Columns["pid"] != "2023" || stored[0].Name != "pack/bar/processes" || stored[0].UnixTime != 1700000000 {
		t.Fatalf("stored %d rows; last %+v", len(stored), stored[len(stored)-1])
	}

	// Status logs: osquery before 5.10 sent strings, after numbers.
	status := `{"node_key":%q,"log_type":"status","data":[
	 {"hostIdentifier":"host-9","calendarTime":"x","unixTime":"1700000000","severity":"0","filename":"scheduler.cpp","line":"83","message":"Executing scheduled query","version":"4.9.0"},
	 {"hostIdentifier":"host-9","calendarTime":"x","unixTime":1700000001,"severity":1,"filename":"scheduler.cpp","line":83,"message":"Executing","version":"5.23.1"}]}`
	if code, out := f.post("/api/osquery/log", []byte(fmt.Sprintf(status, key))); code != 200 || len(out) != 0 {
		t.Fatalf("status log: %d %v", code, out)
	}
	sts, _ := f.st.Statuses(ctx, osaudit.ResultFilter{})
	if len(sts) != 2 || sts[0].Line != 83 || sts[1].Severity != 1 || sts[1].Time.Unix() != 1700000001 {
		t.Errorf("statuses %+v %+v", sts[0], sts[len(sts)-1])
	}

	// Distributed read: detail queries first; answer them.
	code, read := f.postJSON("/api/v1/osquery/distributed/read", osquery.NodeKeyRequest{NodeKey: key})
	queries, _ := read["queries"].(map[string]any)
	if code != 200 || len(queries) == 0 || read["discovery"] == nil {
		t.Fatalf("read: %d %v", code, read)
	}
	answer := osquery.DistributedWrite{NodeKey: key, Queries: map[string][]map[string]string{}, Statuses: map[string]int{}}
	for id := range queries {
		answer.Queries[id] = []map[string]string{}
		answer.Statuses[id] = 0
	}
	answer.Queries["osaudit_detail_interface_addresses"] = []map[string]string{{"interface": "eth0", "address": "192.0.2.10", "mac": "52:54:00:aa:bb:cc"}}
	if code, out := f.postJSON("/api/v1/osquery/distributed/write", answer); code != 200 || len(out) != 0 {
		t.Fatalf("write: %d %v", code, out)
	}
	hosts, _ := f.st.Hosts(ctx, osaudit.HostFilter{Identifier: "host-9"})
	if len(hosts) != 1 || hosts[0].PrimaryIP != "192.0.2.10" || hosts[0].Hostname != "host-9" {
		t.Fatalf("host after details: %+v", hosts)
	}

	// A live query reaches the host on its next read; its rows come back
	// to a subscriber.
	camp, err := f.m.StartCampaign(ctx, osaudit.Scope{Role: osaudit.RoleProviderAdmin}, "SELECT 42 AS answer", []int64{hosts[0].ID}, nil, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := f.m.Subscribe(ctx, camp.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, read = f.postJSON("/api/osquery/distributed/read", osquery.NodeKeyRequest{NodeKey: key})
	qid := fmt.Sprintf("osaudit_live_%d", camp.ID)
	if q, _ := read["queries"].(map[string]any); q[qid] != "SELECT 42 AS answer" {
		t.Fatalf("read: %v, want %s", read, qid)
	}
	write := fmt.Sprintf(`{"node_key":%q,"queries":{%q:[{"answer":"42"}]},"statuses":{%q:"0"},"messages":{%q:""},"stats":{%q:{"wall_time_ms":1,"user_time":0,"system_time":0,"memory":0}}}`, key, qid, qid, qid, qid)
	if code, _ := f.post("/api/osquery/distributed/write", []byte(write)); code != 200 {
		t.Fatalf("write: %d", code)
	}
	for r := range sub {
		if r.Status == osaudit.CampaignDone {
			if r.Rows[0]["answer"] != "42" {
				t.Errorf("result %+v", r)
			}
			break
		}
	}

	// GET /version answers 200, as osquery-perf requires.
	resp, err := f.ts.Client().Get(f.ts.URL + "/version")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("GET /version: %v %v", resp, err)
	}
}

// TestAgentBadInput sends what the Bad input section lists.
func TestAgentBadInput(t *testing.T) {
	f := newAgentFixture(t)
	key := f.enroll("h", "9")
	// 64 MiB of spaces as 64 gzip members of 1 MiB (gzip readers read
	// multi-member streams): compressing it whole is slow under -race.
	bomb := gz([]byte("["))
	mib := gz(bytes.Repeat([]byte(" "), 1<<20))
	for range 64 {
		bomb = append(bomb, mib...)
	}
	big := bytes.Repeat([]byte(" "), MaxBodySize+1)
	tests := []struct {
		name        string
		path        string
		body        []byte
		header      []string
		code        int
		nodeInvalid bool
	}{
		{"malformed JSON", "/api/v1/osquery/log", []byte("{not json"), nil, 400, false},
		{"malformed enroll", "/api/v1/osquery/enroll", []byte(`{"enroll_secret":`), nil, 400, false},
		{"malformed write", "/api/osquery/distributed/write", []byte(`[`), nil, 400, false},
		{"malformed config", "/api/osquery/config", []byte(`{"node_key":`), nil, 400, false},
		{"unknown log type", "/api/osquery/log", []byte(`{"node_key":"k","log_type":"x","data":[]}`), nil, 400, false},
		{"gzip bomb", "/api/v1/osquery/log", bomb, []string{"Content-Encoding", "gzip"}, 413, false},
		{"body over 10 MiB", "/api/v1/osquery/log", big, nil, 413, false},
		{"not gzip", "/api/v1/osquery/log", []byte("{}"), []string{"Content-Encoding", "gzip"}, 400, false},
		{"unknown encoding", "/api/v1/osquery/log", []byte("{}"), []string{"Content-Encoding", "br"}, 400, false},
		{"too many objects", "/api/v1/osquery/log", []byte(`{"log_type":"result","data":[` + strings.Repeat("{},", osquery.MaxObjects) + `{}]}`), nil, 413, false},
		{"wrong secret", "/api/v1/osquery/enroll", enrollBody("wrong", "x", "9"), nil, 401, true},
		{"unknown node key: config", "/api/v1/osquery/config", []byte(`{"node_key":"not-a-key"}`), nil, 401, true},
		{"unknown node key: read", "/api/osquery/distributed/read", []byte(`{"node_key":"not-a-key"}`), nil, 401, true},
		{"unknown node key: log", "/api/osquery/log", []byte(`{"node_key":"nope","log_type":"status","data":[]}`), nil, 401, true},
		{"no node key", "/api/osquery/config", nil, nil, 401, true},
		{"wrong header key", "/api/osquery/config", nil, []string{"Authorization", "NodeKey zzz"}, 401, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := f.post(tt.path, tt.body, tt.header...)
			if code != tt.code {
				t.Errorf("status %d, want %d: %v", code, tt.code, out)
			}
			msg, _ := out["error"].(string)
			if msg == "" {
				t.Errorf("no error message: %v", out)
			}
			if got := out["node_invalid"] == true; got != tt.nodeInvalid {
				t.Errorf("node_invalid %v, want %v", out["node_invalid"], tt.nodeInvalid)
			}
		})
	}
	// The agent still works.
	if code, _ := f.postJSON("/api/osquery/config", osquery.NodeKeyRequest{NodeKey: key}); code != 200 {
		t.Errorf("config after the bad input: %d", code)
	}
}

func TestUnknownRoute(t *testing.T) {
	f := newAgentFixture(t)
	for _, path := range []string{"/api/v1/osquery/carve/begin", "/nope", "/api/osquery/enroll/extra"} {
		code, out := f.post(path, []byte("{}"))
		e, _ := out["error"].(map[string]any)
		if code != 404 || e["code"] != osaudit.ENOTFOUND {
			t.Errorf("POST %s: %d %v, want 404 JSON", path, code, out)
		}
	}
}

func TestEnrollFlood(t *testing.T) {
	f := newAgentFixture(t)
	key := f.enroll("good", "9")
	codes := map[int]int{}
	for i := range 50 {
		code, _ := f.post("/api/v1/osquery/enroll", enrollBody(fmt.Sprintf("guess-%d", i), "x", "9"))
		codes[code]++
	}
	if codes[401] != manager.DefaultEnrollFailures || codes[429] != 50-manager.DefaultEnrollFailures {
		t.Errorf("answers to 50 wrong secrets: %v; want %d x 401, then 429", codes, manager.DefaultEnrollFailures)
	}
	start := time.Now()
	for range 20 {
		if code, _ := f.postJSON("/api/osquery/distributed/read", osquery.NodeKeyRequest{NodeKey: key}); code != 200 {
			t.Fatalf("an enrolled agent during the flood: %d", code)
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Logf("20 reads took %s", d) // not an assertion: timing is the benchmarks' job
	}
	hosts, _ := f.st.Hosts(context.Background(), osaudit.HostFilter{})
	if len(hosts) != 1 {
		t.Errorf("%d hosts after the flood, want 1", len(hosts))
	}
}

// TestHostileStrings sends SQL-injection and invalid UTF-8 strings through
// identifiers, query names and columns: they are stored as text and come
// back as valid JSON.
func TestHostileStrings(t *testing.T) {
	f := newAgentFixture(t)
	ctx := context.Background()
	evil := `x'); DROP TABLE hosts; --`
	key := f.enroll(evil, "9")
	body := "{\"node_key\":\"" + key + "\",\"log_type\":\"result\",\"data\":[{\"name\":\"q'; DELETE FROM results; --\",\"unixTime\":1,\"columns\":{\"c\\\"ol'\":\"v\xff\xfe\u2028\",\"\xc3\x28\":\"1 OR 1=1\"},\"action\":\"added\"}]}"
	if code, out := f.post("/api/osquery/log", []byte(body)); code != 200 {
		t.Fatalf("log: %d %v", code, out)
	}
	hosts, _ := f.st.Hosts(ctx, osaudit.HostFilter{})
	if len(hosts) != 1 || hosts[0].Identifier != evil {
		t.Fatalf("hosts %+v", hosts)
	}
	rows, _ := f.st.Results(ctx, osaudit.ResultFilter{})
	if len(rows) != 1 {
		t.Fatalf("rows %+v", rows)
	}
	want := map[string]string{"c\"ol'": "v\uFFFD\uFFFD\u2028", "\uFFFD(": "1 OR 1=1"}
	if diff := cmp.Diff(rows[0].Columns, want); diff != "" {
		t.Errorf("columns (-got +want):\n%s", diff)
	}
	if rows[0].Name != "q'; DELETE FROM results; --" {
		t.Errorf("name %q", rows[0].Name)
	}
}

func TestOps(t *testing.T) {
	f := newAgentFixture(t)
	key := f.enroll("h", "9")
	f.postJSON("/api/osquery/config", osquery.NodeKeyRequest{NodeKey: key})
	f.post("/nope", nil)
	get := func(path string) string {
		resp, err := f.ts.Client().Get(f.ts.URL + path)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %v %v", path, resp, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if got := get("/healthz"); !strings.Contains(got, "ok") {
		t.Errorf("healthz: %s", got)
	}
	metrics := get("/metrics")
	for _, want := range []string{
		`osaudit_http_requests_total{route="POST /api/osquery/config",code="200"} 1`,
		`osaudit_http_requests_total{route="POST /api/v1/osquery/enroll",code="200"} 1`,
		`osaudit_http_requests_total{route="unmatched",code="404"} 1`,
		`osaudit_http_request_duration_seconds_bucket{route="POST /api/osquery/config",le="+Inf"} 1`,
		`osaudit_http_request_duration_seconds_count{route="POST /api/osquery/config"} 1`,
		"osaudit_hosts_online 1\n",
		"osaudit_hosts_enrolled 1\n",
		`osaudit_ingest_rows_total{kind="result"} 0`,
		`osaudit_ingest_queue_rows{kind="result"} 0`,
		"# TYPE osaudit_http_request_duration_seconds histogram",
		"go_goroutines ",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
