package ctl

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/osaudit/osaudit"
	ohttp "github.com/osaudit/osaudit/http"
	"github.com/osaudit/osaudit/manager"
	"github.com/osaudit/osaudit/sqlite"
)

// server is osaudit-server in-process: the SQLite store, the manager and
// the HTTP handler over TLS on loopback, with a provider token and a
// customer "acme" with an enroll secret.
type server struct {
	t        *testing.T
	store    *sqlite.Store
	srv      *httptest.Server
	token    string // provider_admin
	acmeTok  string // customer_admin of acme
	secret   string // acme's enroll secret
	caFile   string
	acmeID   int64
	globexID int64
}

func newServer(t *testing.T) *server {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "osaudit.db"), sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := &manager.Manager{Store: st, Logger: log, FlushInterval: 50 * time.Millisecond}
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.Run(runCtx)
	}()
	s := &server{t: t, store: st}
	s.srv = httptest.NewTLSServer((&ohttp.Server{Manager: m, Store: st, Logger: log}).Handler())
	t.Cleanup(func() {
		s.srv.Close()
		cancel()
		<-done
		st.Close()
	})
	s.caFile = filepath.Join(t.TempDir(), "ca.pem")
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw})
	if err := os.WriteFile(s.caFile, cert, 0o600); err != nil {
		t.Fatal(err)
	}
	s.token = "provider-token"
	if err := st.CreateToken(ctx, &osaudit.APIToken{Name: "test", Role: osaudit.RoleProviderAdmin, Hash: manager.HashKey(s.token)}); err != nil {
		t.Fatal(err)
	}
	acme := &osaudit.Customer{Name: "acme"}
	globex := &osaudit.Customer{Name: "globex"}
	for _, c := range []*osaudit.Customer{acme, globex} {
		if err := st.CreateCustomer(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	s.acmeID, s.globexID = acme.ID, globex.ID
	s.acmeTok = "acme-token"
	if err := st.CreateToken(ctx, &osaudit.APIToken{Name: "acme", Role: osaudit.RoleCustomerAdmin, CustomerID: acme.ID, Hash: manager.HashKey(s.acmeTok)}); err != nil {
		t.Fatal(err)
	}
	s.secret = "acme-enroll-secret"
	if err := st.CreateEnrollSecret(ctx, &osaudit.EnrollSecret{CustomerID: acme.ID, Name: "default", Hash: manager.HashKey(s.secret)}); err != nil {
		t.Fatal(err)
	}
	return s
}

// run runs osauditctl in-process with OSAUDIT_SERVER and OSAUDIT_TOKEN
// set (unless env overrides them) and returns its exit code and output.
func (s *server) run(env map[string]string, stdin string, args ...string) (int, string, string) {
	s.t.Helper()
	vars := map[string]string{"OSAUDIT_SERVER": s.srv.URL, "OSAUDIT_TOKEN": s.token}
	for k, v := range env {
		vars[k] = v
	}
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), args, Env{
		Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr,
		Getenv:    func(k string) string { return vars[k] },
		ConfigDir: filepath.Join(s.t.TempDir(), "conf"),
	})
	return code, stdout.String(), stderr.String()
}

// agent is a fake osqueryd on the agent API.
type agent struct {
	s       *server
	nodeKey string
}

func (s *server) post(path string, body, out any) {
	s.t.Helper()
	b, _ := json.Marshal(body)
	resp, err := s.srv.Client().Post(s.srv.URL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		s.t.Fatalf("POST %s: %d %s", path, resp.StatusCode, rb)
	}
	if err := json.Unmarshal(rb, out); err != nil {
		s.t.Fatalf("POST %s: %s: %v", path, rb, err)
	}
}

func (s *server) enroll(hostname string) *agent {
	s.t.Helper()
	var out struct {
		NodeKey string `json:"node_key"`
	}
	s.post("/api/v1/osquery/enroll", map[string]any{
		"enroll_secret": s.secret, "host_identifier": "id-" + hostname, "platform_type": "9",
		"host_details": map[string]map[string]string{
			"system_info": {"hostname": hostname},
			"os_version":  {"name": "Ubuntu", "version": "22.04", "platform": "ubuntu"},
		},
	}, &out)
	return &agent{s: s, nodeKey: out.NodeKey}
}

// serve answers live queries until ctx ends, as an agent polling every
// 50 ms would.
func (a *agent) serve(ctx context.Context, rows []map[string]string) {
	for ctx.Err() == nil {
		var read struct {
			Queries map[string]string `json:"queries"`
		}
		a.s.post("/api/v1/osquery/distributed/read", map[string]string{"node_key": a.nodeKey}, &read)
		queries, statuses := map[string]any{}, map[string]int{}
		for name := range read.Queries {
			if strings.HasPrefix(name, "osaudit_live_") {
				queries[name], statuses[name] = rows, 0
			}
		}
		if len(queries) > 0 {
			var out map[string]any
			a.s.post("/api/v1/osquery/distributed/write", map[string]any{"node_key": a.nodeKey, "queries": queries, "statuses": statuses}, &out)
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func TestGlobalFlags(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		want     globals
		wantRest []string
	}{
		{[]string{"--insecure", "get", "hosts", "-o", "json"}, globals{insecure: true, output: "json"}, []string{"get", "hosts"}},
		{[]string{"get", "--server=https://x:1", "hosts", "--token", "t", "--customer", "acme"}, globals{server: "https://x:1", token: "t", output: "table"}, []string{"get", "hosts", "--customer", "acme"}},
		{[]string{"query", "--hosts", "h1", "-o=json", "--ca", "ca.pem", "SELECT 1"}, globals{ca: "ca.pem", output: "json"}, []string{"query", "--hosts", "h1", "SELECT 1"}},
		{[]string{"query", "--", "-o"}, globals{output: "table"}, []string{"query", "--", "-o"}},
	} {
		g, rest, err := splitGlobals(tc.args)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if diff := cmp.Diff(g, tc.want, cmp.AllowUnexported(globals{})); diff != "" {
			t.Errorf("%v: globals (-got +want):\n%s", tc.args, diff)
		}
		if !cmp.Equal(rest, tc.wantRest) {
			t.Errorf("%v: rest %v, want %v", tc.args, rest, tc.wantRest)
		}
	}
	if _, _, err := splitGlobals([]string{"get", "-o", "yaml"}); err == nil {
		t.Error("-o yaml accepted")
	}
	if _, _, err := splitGlobals([]string{"get", "--server"}); err == nil {
		t.Error("--server without a value accepted")
	}
}

func TestGetHosts(t *testing.T) {
	s := newServer(t)
	s.enroll("bar-host-1")
	s.enroll("web-2")
	code, out, errOut := s.run(nil, "", "--insecure", "get", "hosts", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var hosts []map[string]any
	if err := json.Unmarshal([]byte(out), &hosts); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(hosts) != 2 || hosts[0]["hostname"] != "bar-host-1" || hosts[0]["online"] != true {
		t.Errorf("hosts %v", hosts)
	}
	code, out, errOut = s.run(nil, "", "get", "hosts", "--ca", s.caFile, "--search", "web")
	if code != 0 || !strings.Contains(out, "HOSTNAME") || !strings.Contains(out, "web-2") || strings.Contains(out, "bar-host-1") || !strings.Contains(out, "acme") {
		t.Errorf("table: exit %d\n%s%s", code, out, errOut)
	}
	// Without trust in the server's certificate, nothing is sent.
	if code, _, errOut = s.run(nil, "", "get", "hosts"); code != 1 || !strings.Contains(errOut, "certificate") {
		t.Errorf("untrusted certificate: exit %d: %s", code, errOut)
	}
	if code, _, errOut = s.run(map[string]string{"OSAUDIT_TOKEN": "wrong"}, "", "--insecure", "get", "hosts"); code != 1 || !strings.Contains(errOut, "unauthorized") {
		t.Errorf("wrong token: exit %d: %s", code, errOut)
	}
	code, out, _ = s.run(map[string]string{"OSAUDIT_TOKEN": s.acmeTok}, "", "--insecure", "get", "customers")
	if code != 0 || !strings.Contains(out, "acme") || strings.Contains(out, "globex") {
		t.Errorf("acme's customers: %s", out)
	}
}

const applyYAML = `apiVersion: v1
kind: query
spec:
  name: processes
  query: SELECT pid, name FROM processes
  description: running processes
  attack_techniques: [T1057]
---
apiVersion: v1
kind: label
spec:
  name: ubuntu
  query: SELECT 1 FROM os_version WHERE platform = 'ubuntu'
---
apiVersion: v1
kind: pack
spec:
  name: ir
  description: incident response
  queries:
    - name: procs
      query: processes
      interval: 300
    - name: ports
      query: SELECT * FROM listening_ports
      removed: false
  targets:
    labels: [ubuntu]
    platforms: [linux]
`

// An osquery pack file as osquery ships them: comment lines, string
// intervals.
const osqueryPack = `{
  // Rootkit checks.
  "platform": "linux",
  "queries": {
    "bash_door": {
      "query": "SELECT * FROM file WHERE path IN ('/tmp/mcliZokhb', '/tmp/mclzaKmfa');",
      "interval": "3600",
      "description": "Bash door"
    },
    "crontab": {"query": "SELECT * FROM crontab;", "interval": 60, "attack_techniques": ["T1053.003"]}
  }
}`

func TestApply(t *testing.T) {
	s := newServer(t)
	dir := t.TempDir()
	docs := filepath.Join(dir, "docs.yaml")
	pack := filepath.Join(dir, "ossec-rootkit.conf")
	if err := os.WriteFile(docs, []byte(applyYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pack, []byte(osqueryPack), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := s.run(nil, "", "--insecure", "apply", "-f", docs, "-f", pack, "--customer", "acme")
	if code != 0 {
		t.Fatalf("apply: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"query  processes      acme      created", "pack   ossec-rootkit  acme      created"} {
		if !strings.Contains(out, want) {
			t.Errorf("apply output lacks %q:\n%s", want, out)
		}
	}
	gen, _ := s.store.ConfigGeneration(context.Background())

	// Twice: nothing changes.
	code, out, errOut = s.run(nil, "", "--insecure", "apply", "-f", docs, "-f", pack, "--customer", "acme", "-o", "json")
	if code != 0 {
		t.Fatalf("second apply: exit %d: %s", code, errOut)
	}
	var results []applied
	if err := json.Unmarshal([]byte(out), &results); err != nil {
		t.Fatal(err)
	}
	if len(results) != 4 {
		t.Errorf("second apply: %d results", len(results))
	}
	for _, r := range results {
		if r.Action != "unchanged" {
			t.Errorf("second apply: %s %s %s", r.Kind, r.Name, r.Action)
		}
	}
	if gen2, _ := s.store.ConfigGeneration(context.Background()); gen2 != gen {
		t.Errorf("config generation %d -> %d on a second apply", gen, gen2)
	}

	p, err := s.store.PackByName(context.Background(), s.acmeID, "ossec-rootkit")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Queries) != 2 || p.Platform != "linux" || p.Queries[0].Name != "bash_door" || p.Queries[0].Interval != 3600 ||
		p.Queries[0].Description != "Bash door" || !cmp.Equal(p.Queries[1].Techniques, []string{"T1053.003"}) {
		t.Errorf("imported pack %+v", p)
	}
	ir, err := s.store.PackByName(context.Background(), s.acmeID, "ir")
	if err != nil {
		t.Fatal(err)
	}
	if ir.Queries[0].SQL != "SELECT pid, name FROM processes" || ir.Queries[1].Interval != 3600 || len(ir.Targets.LabelIDs) != 1 {
		t.Errorf("pack ir %+v", ir)
	}

	code, out, _ = s.run(nil, "", "--insecure", "get", "packs", "--customer", "acme")
	if code != 0 || !strings.Contains(out, "ossec-rootkit") || !strings.Contains(out, "label:ubuntu,platform:linux") {
		t.Errorf("get packs: %s", out)
	}
	code, out, _ = s.run(nil, "", "--insecure", "get", "queries", "processes", "-o", "json")
	if code != 0 || !strings.Contains(out, `"attack_techniques": [`) {
		t.Errorf("get queries processes: %s", out)
	}

	// Bad documents fail with the server's message and change nothing.
	code, _, errOut = s.run(nil, "kind: pack\nspec:\n  name: bad\n  queries: [{name: q, query: SELECT 1, interval: 700000}]\n", "--insecure", "apply", "-f", "-")
	if code != 1 || !strings.Contains(errOut, "outside 1..604800") {
		t.Errorf("bad interval: exit %d: %s", code, errOut)
	}
	code, _, errOut = s.run(nil, "just: text\n", "--insecure", "apply", "-f", "-")
	if code != 1 || !strings.Contains(errOut, "has no kind") {
		t.Errorf("no kind: exit %d: %s", code, errOut)
	}
	// A JSON array of documents works too; a customer token applies to
	// its own customer.
	code, out, errOut = s.run(map[string]string{"OSAUDIT_TOKEN": s.acmeTok}, `[{"kind": "label", "spec": {"name": "vip", "hosts": []}}]`, "--insecure", "apply", "-f", "-")
	if code != 0 || !strings.Contains(out, "vip") || !strings.Contains(out, "acme") {
		t.Errorf("JSON array: exit %d: %s%s", code, out, errOut)
	}
}

func TestQuery(t *testing.T) {
	s := newServer(t)
	a := s.enroll("bar-host-1")
	b := s.enroll("web-2")
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { a.serve(ctx, []map[string]string{{"answer": "42"}}) })
	wg.Go(func() { b.serve(ctx, []map[string]string{{"answer": "42", "host": "column"}}) })
	defer wg.Wait()
	defer cancel()

	start := time.Now()
	code, out, errOut := s.run(nil, "", "--insecure", "query", "--hosts", "bar-host-1,web-2", "-o", "json", "SELECT 42 AS answer")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rows []map[string]string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r map[string]string
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		rows = append(rows, r)
	}
	if len(rows) != 2 {
		t.Fatalf("rows %v", rows)
	}
	byHost := map[string]map[string]string{}
	for _, r := range rows {
		if h := r["_host"]; h != "" {
			byHost[h] = r
		} else {
			byHost[r["host"]] = r
		}
	}
	if byHost["bar-host-1"]["answer"] != "42" || byHost["web-2"]["host"] != "column" {
		t.Errorf("rows %v", rows)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("query took %v: it must end once every host answered", d)
	}

	code, out, errOut = s.run(nil, "", "query", "--insecure", "SELECT 42 AS answer", "--hosts", "bar-host-1")
	if code != 0 || !strings.Contains(out, "HOST") || !strings.Contains(out, "bar-host-1  42") {
		t.Errorf("table: exit %d\n%s%s", code, out, errOut)
	}
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"query", "--hosts", "nope", "SELECT 1"}, 1, `unknown host "nope"`},
		{[]string{"query", "SELECT 1"}, 2, "give --hosts or --labels"},
		{[]string{"query", "--hosts", "web-2"}, 2, "give the SQL"},
		{[]string{"query", "--hosts", "web-2", "--timeout", "0s", "SELECT 1"}, 2, "at least 1s"},
	} {
		code, _, errOut := s.run(nil, "", append([]string{"--insecure"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%v: exit %d %q, want %d containing %q", tc.args, code, errOut, tc.code, tc.msg)
		}
	}
}

func TestQueryTimeout(t *testing.T) {
	s := newServer(t)
	s.enroll("silent") // never polls
	start := time.Now()
	code, out, errOut := s.run(nil, "", "--insecure", "query", "--hosts", "silent", "--timeout", "1s", "-o", "json", "SELECT 1")
	if code != 0 || out != "" || !strings.Contains(errOut, "0 of 1 host(s) answered") {
		t.Errorf("exit %d, out %q, err %q", code, out, errOut)
	}
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("a 1s query took %v", d)
	}
}

func TestLoginAndSecrets(t *testing.T) {
	s := newServer(t)
	conf := filepath.Join(t.TempDir(), "osaudit", "config.json")
	code, out, errOut := s.run(map[string]string{"OSAUDIT_SERVER": "", "OSAUDIT_TOKEN": ""}, "", "login", "--server", s.srv.URL, "--token", s.acmeTok, "--ca", s.caFile, "--config", conf)
	if code != 0 || !strings.Contains(out, "customer acme") {
		t.Fatalf("login: exit %d: %s%s", code, out, errOut)
	}
	st, err := os.Stat(conf)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("config file: %v %v", st, err)
	}
	c, _ := loadConfig(conf)
	if c.Server != s.srv.URL || c.Token != s.acmeTok || !filepath.IsAbs(c.CA) {
		t.Errorf("config %+v", c)
	}
	// From now on the config file is enough.
	noEnv := map[string]string{"OSAUDIT_SERVER": "", "OSAUDIT_TOKEN": ""}
	code, out, errOut = s.run(noEnv, "", "secrets", "create", "--name", "laptops", "--config", conf)
	secret := strings.TrimSpace(out)
	if code != 0 || len(secret) < 40 || !strings.Contains(errOut, "shown only now") {
		t.Fatalf("secrets create: exit %d: %s%s", code, out, errOut)
	}
	code, out, _ = s.run(noEnv, "", "secrets", "list", "--config", conf, "-o", "json")
	var secrets []osaudit.EnrollSecret
	json.Unmarshal([]byte(out), &secrets)
	if code != 0 || len(secrets) != 2 || strings.Contains(out, secret) {
		t.Fatalf("secrets list: %s", out)
	}
	id := secrets[1].ID
	code, out, errOut = s.run(noEnv, "", "secrets", "rotate", idString(id), "--config", conf)
	if code != 0 || strings.TrimSpace(out) == secret || !strings.Contains(errOut, "revoked enroll secret") {
		t.Errorf("rotate: exit %d: %s%s", code, out, errOut)
	}
	code, _, errOut = s.run(noEnv, "", "secrets", "revoke", idString(id), "--config", conf)
	if code != 1 || !strings.Contains(errOut, "revoked") {
		t.Errorf("revoking a revoked secret: exit %d: %s", code, errOut)
	}
	// The provider token must name the customer when there are several.
	code, _, errOut = s.run(nil, "", "--insecure", "secrets", "create")
	if code != 1 || !strings.Contains(errOut, "--customer") {
		t.Errorf("provider without --customer: exit %d: %s", code, errOut)
	}
	code, out, _ = s.run(nil, "", "--insecure", "tokens", "create", "--name", "ci", "--customer", "globex")
	if code != 0 || !strings.HasPrefix(strings.TrimSpace(out), "oat_") {
		t.Errorf("tokens create: exit %d: %s", code, out)
	}
	code, out, _ = s.run(nil, "", "--insecure", "get", "tokens")
	if code != 0 || !strings.Contains(out, "customer_viewer") || !strings.Contains(out, "globex") {
		t.Errorf("get tokens: %s", out)
	}
	if code, _, errOut := s.run(nil, "", "--insecure", "login", "--server", s.srv.URL, "--token", "bad", "--config", conf); code != 1 || !strings.Contains(errOut, "check the token") {
		t.Errorf("login with a bad token: exit %d: %s", code, errOut)
	}
	// Email and password buy a token with the user's role.
	hash, err := manager.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.store.CreateUser(context.Background(), &osaudit.User{Email: "admin@example.com", Role: osaudit.RoleProviderAdmin, PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = s.run(noEnv, "correct horse\n", "login", "--insecure", "--server", s.srv.URL, "--email", "admin@example.com", "--password-stdin", "--config", conf)
	if code != 0 || !strings.Contains(out, "as the provider") {
		t.Errorf("login with a password: exit %d: %s%s", code, out, errOut)
	}
	if c, _ := loadConfig(conf); !strings.HasPrefix(c.Token, "oat_") || !c.Insecure {
		t.Errorf("config after a password login: %+v", c)
	}
	if code, _, errOut := s.run(noEnv, "wrong\n", "login", "--insecure", "--server", s.srv.URL, "--email", "admin@example.com", "--password-stdin", "--config", conf); code != 1 || !strings.Contains(errOut, "wrong email or password") {
		t.Errorf("wrong password: exit %d: %s", code, errOut)
	}
}

func idString(n int64) string { return id(n) }
