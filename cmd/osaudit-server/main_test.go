package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/osaudit/osaudit/osquery"
)

// started is a Serve running in the background.
type started struct {
	url    string
	cancel func()
	done   chan error
	out    *bytes.Buffer
	once   sync.Once
}

func startServe(t *testing.T, cfg ServeConfig) *started {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &started{cancel: cancel, done: make(chan error, 1), out: &bytes.Buffer{}}
	ready := make(chan string, 1)
	cfg.ready = func(url string) { ready <- url }
	cfg.Stdout = s.out
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	go func() { s.done <- Serve(ctx, cfg) }()
	select {
	case s.url = <-ready:
	case err := <-s.done:
		t.Fatalf("serve: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start in 30 s")
	}
	t.Cleanup(func() { s.stop(t) })
	return s
}

func (s *started) stop(t *testing.T) {
	s.once.Do(func() {
		s.cancel()
		if err := <-s.done; err != nil {
			t.Errorf("serve returned %v", err)
		}
	})
}

// client trusts only the PEM at caCert and verifies names, as an agent
// pinning the server's certificate does.
func client(t *testing.T, caCert string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(caCert)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("%s holds no certificate", caCert)
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func readCreds(t *testing.T, dir string) devCredentials {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, devCredentialsFile))
	if err != nil {
		t.Fatal(err)
	}
	var c devCredentials
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestServeDev(t *testing.T) {
	dir := t.TempDir()
	type agentCall struct{ url, ca, secret string }
	calls := make(chan agentCall, 2)
	devAgent := func(ctx context.Context, dir, url, ca, secret string) error {
		calls <- agentCall{url, ca, secret}
		<-ctx.Done()
		return nil
	}
	s := startServe(t, ServeConfig{DataDir: dir, Dev: true, DevAgent: devAgent})
	c := readCreds(t, dir)
	if c.ServerURL != s.url || c.APIToken == "" || c.EnrollSecret == "" || c.AdminPassword == "" || c.AdminEmail == "" {
		t.Fatalf("credentials %+v", c)
	}
	if c.CACert != filepath.Join(dir, certFile) {
		t.Errorf("ca_cert %s, want %s", c.CACert, filepath.Join(dir, certFile))
	}
	if fi, _ := os.Stat(filepath.Join(dir, devCredentialsFile)); fi.Mode().Perm() != 0o600 {
		t.Errorf("credentials mode %v, want 0600", fi.Mode())
	}
	if fi, _ := os.Stat(filepath.Join(dir, keyFile)); fi.Mode().Perm() != 0o600 {
		t.Errorf("key mode %v, want 0600", fi.Mode())
	}
	if !strings.Contains(s.out.String(), "SHA-256 fingerprint: ") || !strings.Contains(s.out.String(), c.EnrollSecret) {
		t.Errorf("output lacks the fingerprint or the enroll secret:\n%s", s.out)
	}
	select {
	case call := <-calls:
		if call != (agentCall{s.url, c.CACert, c.EnrollSecret}) {
			t.Errorf("dev agent called with %+v", call)
		}
	case <-time.After(10 * time.Second):
		t.Error("dev agent not started")
	}

	hc := client(t, c.CACert)
	resp, err := hc.Get(s.url + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz over verified TLS: %v %v", resp, err)
	}
	body, _ := json.Marshal(osquery.EnrollRequest{EnrollSecret: c.EnrollSecret, HostIdentifier: "h1", PlatformType: "9"})
	resp, err = hc.Post(s.url+"/api/v1/osquery/enroll", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var er osquery.EnrollResponse
	json.NewDecoder(resp.Body).Decode(&er)
	resp.Body.Close()
	if er.NodeKey == "" {
		t.Fatalf("enroll: %d %+v", resp.StatusCode, er)
	}
	// TLS 1.1 is refused.
	old := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS11}}}
	if _, err := old.Get(s.url + "/healthz"); err == nil {
		t.Error("a TLS 1.1 client was served")
	}
	fp := s.out.String()[strings.Index(s.out.String(), "SHA-256 fingerprint: "):][:120]
	s.stop(t)

	// A restart keeps the certificate, the credentials and the host.
	s2 := startServe(t, ServeConfig{DataDir: dir, Dev: true})
	if c2 := readCreds(t, dir); c2.APIToken != c.APIToken || c2.EnrollSecret != c.EnrollSecret || c2.ServerURL != s2.url {
		t.Errorf("credentials after restart %+v, want the same token and secret", c2)
	}
	if !strings.Contains(s2.out.String(), fp) {
		t.Errorf("the certificate changed on restart")
	}
	body, _ = json.Marshal(osquery.NodeKeyRequest{NodeKey: er.NodeKey})
	resp, err = client(t, c.CACert).Post(s2.url+"/api/osquery/config", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"packs"`) {
		t.Errorf("config with the node key after restart: %d %s", resp.StatusCode, b)
	}
}

// TestServeShutdown checks that a request in flight when the server is
// told to stop still gets its answer.
func TestServeShutdown(t *testing.T) {
	dir := t.TempDir()
	s := startServe(t, ServeConfig{DataDir: dir, Dev: true})
	c := readCreds(t, dir)
	hc := client(t, c.CACert)
	// A slow upload: the request is in flight while the server stops.
	pr, pw := io.Pipe()
	got := make(chan int, 1)
	go func() {
		resp, err := hc.Post(s.url+"/api/osquery/enroll", "application/json", pr)
		if err != nil {
			got <- 0
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	body, _ := json.Marshal(osquery.EnrollRequest{EnrollSecret: c.EnrollSecret, HostIdentifier: "slow"})
	pw.Write(body[:10])
	time.Sleep(200 * time.Millisecond)
	stopped := make(chan struct{})
	go func() { s.stop(t); close(stopped) }()
	time.Sleep(200 * time.Millisecond)
	pw.Write(body[10:])
	pw.Close()
	if code := <-got; code != 200 {
		t.Errorf("in-flight request answered %d, want 200", code)
	}
	<-stopped
}

func TestAdminCommands(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"migrate", "--data_dir", dir}, &out, &errb); code != 0 {
		t.Fatalf("migrate: %d %s", code, errb.String())
	}
	if code := run(ctx, []string{"user", "create", "--data_dir", dir, "--email", "a@example.com"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "password: ") {
		t.Errorf("user create: %d %s %s", code, out.String(), errb.String())
	}
	if code := run(ctx, []string{"user", "create", "--data_dir", dir, "--email", "b@example.com", "--role", "customer_admin"}, &out, &errb); code != 1 {
		t.Errorf("customer role without --customer: exit %d, want 1", code)
	}
	out.Reset()
	if code := run(ctx, []string{"token", "create", "--data_dir", dir, "--name", "ci"}, &out, &errb); code != 0 || len(strings.TrimSpace(out.String())) != 64 {
		t.Errorf("token create: %d %q %s", code, out.String(), errb.String())
	}
	for _, args := range [][]string{{}, {"nope"}, {"serve"}, {"serve", "--bogus"}, {"user"}} {
		if code := run(ctx, args, &out, &errb); code != 2 {
			t.Errorf("run %q: exit %d, want 2", args, code)
		}
	}
}

func TestSetGCPercent(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	setGCPercent("")
	if got := debug.SetGCPercent(100); got != serveGCPercent {
		t.Errorf("GOGC unset: GC percent %d, want %d", got, serveGCPercent)
	}
	setGCPercent("50") // the runtime read GOGC itself: left alone
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC set: GC percent changed to %d", got)
	}
}
