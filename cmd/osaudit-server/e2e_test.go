package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/osaudit/osaudit/internal/fixture"

	"github.com/osaudit/osaudit/agent"
	"github.com/osaudit/osaudit/hostfs"
)

// fixtureAgent runs osaudit's daemon on a fixture host against the server,
// with second-scale intervals.
func fixtureAgent(root string) func(ctx context.Context, dir, serverURL, ca, secret string) error {
	return func(ctx context.Context, dir, serverURL, ca, secret string) error {
		u, _ := url.Parse(serverURL)
		secretFile := filepath.Join(dir, "e2e-secret")
		os.WriteFile(secretFile, []byte(secret), 0o600)
		fs := flag.NewFlagSet("agent", flag.ContinueOnError)
		opts := agent.DaemonFlags(fs)
		err := fs.Parse([]string{
			"--tls_hostname=" + u.Host, "--tls_server_certs=" + ca, "--enroll_secret_path=" + secretFile,
			"--enroll_tls_endpoint=/api/v1/osquery/enroll", "--config_plugin=tls", "--config_tls_endpoint=/api/v1/osquery/config",
			"--config_refresh=1", "--logger_plugin=tls", "--logger_tls_endpoint=/api/v1/osquery/log", "--logger_tls_period=1",
			"--disable_distributed=false", "--distributed_tls_read_endpoint=/api/v1/osquery/distributed/read",
			"--distributed_tls_write_endpoint=/api/v1/osquery/distributed/write", "--distributed_interval=1",
			"--database_path=" + filepath.Join(dir, "e2e-agent-db"), "--schedule_splay_percent=0",
			"--disable_watchdog", "--logger_stderr=false", "--disable_events",
		})
		if err != nil {
			return err
		}
		d := agent.NewDaemon(opts, fs, agent.Deps{Root: hostfs.Dir(root), Stderr: io.Discard, Stdout: io.Discard})
		if err := d.Start(ctx); err != nil {
			return err
		}
		err = d.Run(ctx, nil)
		d.Close(context.Background())
		return err
	}
}

// TestServerAndAgent runs the server and osaudit's agent on loopback over
// TLS: a scheduled query's added and removed rows, and a live query's rows,
// reach the server.
func TestServerAndAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a server and an agent")
	}
	root := t.TempDir()
	fixture.CopyHost(t, filepath.Join("..", "..", "tables", "testdata", "hosts", "debian12"), root)
	dir := t.TempDir()
	s := startServe(t, ServeConfig{DataDir: dir, Dev: true, DevAgent: fixtureAgent(root)})
	creds := readCreds(t, dir)
	c := client(t, creds.CACert)
	api := func(method, path string, body any, out any) int {
		t.Helper()
		var r io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			r = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, s.url+path, r)
		req.Header.Set("Authorization", "Bearer "+creds.APIToken)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if out != nil {
			json.NewDecoder(resp.Body).Decode(out)
		}
		return resp.StatusCode
	}
	pack := map[string]any{"name": "e2e", "customer": "default",
		"queries": []map[string]any{{"name": "procs", "query": "SELECT pid, name FROM processes WHERE pid IN (1, 412)", "interval": 1}},
		"targets": map[string]any{}}
	if code := api("POST", "/api/v1/packs", pack, nil); code/100 != 2 {
		t.Fatalf("create pack: HTTP %d", code)
	}
	type row struct {
		Action  string            `json:"action"`
		Columns map[string]string `json:"columns"`
	}
	waitRows := func(action string, want int) []row {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			var page struct{ Items []row }
			api("GET", "/api/v1/results?name=pack/e2e/procs&action="+action, nil, &page)
			if len(page.Items) >= want {
				return page.Items
			}
		}
		t.Fatalf("fewer than %d %s rows of pack/e2e/procs reached the server", want, action)
		return nil
	}
	added := waitRows("added", 2)
	pids := map[string]bool{}
	for _, r := range added {
		pids[r.Columns["pid"]+" "+r.Columns["name"]] = true
	}
	if !pids["1 systemd"] || !pids["412 sshd"] {
		t.Errorf("added rows %v", added)
	}
	// sshd exits on the fixture host: the agent's next run removes it.
	os.RemoveAll(filepath.Join(root, "proc", "412"))
	removed := waitRows("removed", 1)
	if removed[0].Columns["pid"] != "412" {
		t.Errorf("removed rows %v", removed)
	}

	var camp struct {
		ID int64 `json:"id"`
	}
	if code := api("POST", "/api/v1/campaigns", map[string]any{"query": "SELECT name, cmdline FROM processes WHERE pid = 1300", "hosts": []string{"fixture-debian"}, "ttl": 60}, &camp); code/100 != 2 {
		t.Fatalf("start campaign: HTTP %d", code)
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		var page struct {
			Items []struct {
				Status string              `json:"status"`
				Rows   []map[string]string `json:"rows"`
			}
		}
		api("GET", fmt.Sprintf("/api/v1/campaigns/%d/results", camp.ID), nil, &page)
		done := false
		for _, r := range page.Items {
			if r.Status == "done" {
				done = true
				if len(r.Rows) != 1 || r.Rows[0]["name"] != "evil" || !strings.Contains(r.Rows[0]["cmdline"], "203.0.113.7") {
					t.Errorf("live query rows %v", r.Rows)
				}
			}
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the live query's rows did not arrive: %+v", page.Items)
		}
	}
}
