package manager

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/osaudit/osaudit"
	"github.com/osaudit/osaudit/internal/memstore"
	"github.com/osaudit/osaudit/osquery"
)

// clock is a settable time source.
type clock struct{ t atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.t.Store(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *clock) Now() time.Time          { return time.Unix(0, c.t.Load()).UTC() }
func (c *clock) Add(d time.Duration)     { c.t.Add(int64(d)) }
func (c *clock) Set(t time.Time)         { c.t.Store(t.UnixNano()) }
func (c *clock) Since(t time.Time) int64 { return c.t.Load() - t.UnixNano() }

// fixture is a manager over a memory store with two customers.
type fixture struct {
	t        *testing.T
	m        *Manager
	st       *memstore.Store
	clk      *clock
	acme     *osaudit.Customer
	globex   *osaudit.Customer
	secretA  string // acme's enroll secret
	secretG  string // globex's
	cancel   func()
	stopped  chan struct{}
	started  bool
	runError error
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, st: memstore.New(), clk: newClock(), stopped: make(chan struct{})}
	f.st.Now = f.clk.Now
	f.acme = &osaudit.Customer{Name: "acme"}
	f.globex = &osaudit.Customer{Name: "globex"}
	for _, c := range []*osaudit.Customer{f.acme, f.globex} {
		if err := f.st.CreateCustomer(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	f.secretA, f.secretG = "acme-secret", "globex-secret"
	for c, s := range map[int64]string{f.acme.ID: f.secretA, f.globex.ID: f.secretG} {
		if err := f.st.CreateEnrollSecret(ctx, &osaudit.EnrollSecret{CustomerID: c, Name: "default", Hash: HashKey(s)}); err != nil {
			t.Fatal(err)
		}
	}
	f.m = &Manager{Store: f.st, Now: f.clk.Now, IngestLinger: time.Millisecond}
	return f
}

// start opens the manager and runs it until the test ends.
func (f *fixture) start() {
	f.t.Helper()
	if err := f.m.Open(context.Background()); err != nil {
		f.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	go func() {
		f.runError = f.m.Run(ctx)
		close(f.stopped)
	}()
	f.t.Cleanup(f.stop)
}

func (f *fixture) stop() {
	if f.cancel != nil {
		f.cancel()
		<-f.stopped
		f.cancel = nil
	}
}

func details(hostname, platform string) map[string]map[string]string {
	return map[string]map[string]string{
		"os_version":   {"name": "Ubuntu", "version": "22.04.4 LTS (Jammy Jellyfish)", "major": "22", "minor": "4", "patch": "0", "platform": platform, "platform_like": "debian", "arch": "x86_64"},
		"osquery_info": {"version": "5.23.1", "uuid": "U-" + hostname},
		"system_info":  {"hostname": hostname, "uuid": "U-" + hostname, "cpu_brand": "Intel", "physical_memory": "8589934592", "cpu_logical_cores": "4"},
	}
}

func (f *fixture) enroll(secret, id, platformType string) string {
	f.t.Helper()
	platform := "ubuntu"
	if platformType == osquery.PlatformTypeWindows {
		platform = "windows"
	}
	key, err := f.m.Enroll(context.Background(), "127.0.0.1", &osquery.EnrollRequest{EnrollSecret: secret, HostIdentifier: id, PlatformType: platformType, HostDetails: details(id, platform)})
	if err != nil {
		f.t.Fatalf("enroll %s: %v", id, err)
	}
	return key
}

func code(err error) string {
	if err == nil {
		return ""
	}
	return osaudit.ErrorCode(err)
}

func TestEnroll(t *testing.T) {
	f := newFixture(t)
	f.start()
	ctx := context.Background()
	key := f.enroll(f.secretA, "host-1", "9")
	if len(key) != 64 {
		t.Errorf("node key %q: want 64 hex digits (32 bytes)", key)
	}
	hosts, _ := f.st.Hosts(ctx, osaudit.HostFilter{})
	if len(hosts) != 1 {
		t.Fatalf("%d hosts, want 1", len(hosts))
	}
	h := hosts[0]
	if diff := cmp.Diff([]any{h.CustomerID, h.Identifier, h.Hostname, h.Platform, h.PlatformType, h.OSName, h.OSVersion, h.AgentVersion, h.MemoryBytes, h.CPULogical},
		[]any{f.acme.ID, "host-1", "host-1", "ubuntu", "9", "Ubuntu", "22.04.4 LTS (Jammy Jellyfish)", "5.23.1", int64(8589934592), int64(4)}); diff != "" {
		t.Errorf("enrolled host (-got +want):\n%s", diff)
	}
	if slices.Equal(h.NodeKeyHash, []byte(key)) || !slices.Equal(h.NodeKeyHash, HashKey(key)) {
		t.Errorf("the store must keep the node key's hash, not the key")
	}
	if _, err := f.m.Config(ctx, key); err != nil {
		t.Errorf("config with the new key: %v", err)
	}

	// Re-enrolling keeps the host; the old key stops working.
	key2 := f.enroll(f.secretA, "host-1", "9")
	hosts, _ = f.st.Hosts(ctx, osaudit.HostFilter{})
	if len(hosts) != 1 || hosts[0].ID != h.ID {
		t.Errorf("re-enroll: hosts %v, want the one host %d", hosts, h.ID)
	}
	if _, err := f.m.Config(ctx, key); code(err) != osaudit.EUNAUTHORIZED {
		t.Errorf("config with the replaced key: %v, want unauthorized", err)
	}
	if _, err := f.m.Config(ctx, key2); err != nil {
		t.Errorf("config with the new key: %v", err)
	}
	// The same identifier in another customer is another host.
	f.enroll(f.secretG, "host-1", "9")
	if hosts, _ = f.st.Hosts(ctx, osaudit.HostFilter{}); len(hosts) != 2 {
		t.Errorf("%d hosts, want 2", len(hosts))
	}

	for _, tt := range []struct{ name, secret, id, want string }{
		{"wrong secret", "nope", "host-9", osaudit.EUNAUTHORIZED},
		{"empty secret", "", "host-9", osaudit.EUNAUTHORIZED},
		{"no identifier", f.secretA, "", osaudit.EINVALID},
		{"identifier too long", f.secretA, strings.Repeat("x", MaxIdentifierLen+1), osaudit.EINVALID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.m.Enroll(ctx, "10.0.0."+fmt.Sprint(len(tt.name)), &osquery.EnrollRequest{EnrollSecret: tt.secret, HostIdentifier: tt.id})
			if got := code(err); got != tt.want {
				t.Errorf("got %v, want %s", err, tt.want)
			}
		})
	}
	if hosts, _ = f.st.Hosts(ctx, osaudit.HostFilter{}); len(hosts) != 2 {
		t.Errorf("failed enrolls created hosts: %d hosts, want 2", len(hosts))
	}
	// A revoked secret no longer enrolls.
	secs, _ := f.st.EnrollSecrets(ctx, f.globex.ID)
	f.st.RevokeEnrollSecret(ctx, secs[0].ID, f.clk.Now())
	if _, err := f.m.Enroll(ctx, "10.1.1.1", &osquery.EnrollRequest{EnrollSecret: f.secretG, HostIdentifier: "g2"}); code(err) != osaudit.EUNAUTHORIZED {
		t.Errorf("enroll with a revoked secret: %v, want unauthorized", err)
	}
}

func TestEnrollRateLimit(t *testing.T) {
	f := newFixture(t)
	f.start()
	ctx := context.Background()
	key := f.enroll(f.secretA, "good", "9")
	bad := &osquery.EnrollRequest{EnrollSecret: "guess", HostIdentifier: "x"}
	for i := range DefaultEnrollFailures {
		if _, err := f.m.Enroll(ctx, "198.51.100.7", bad); code(err) != osaudit.EUNAUTHORIZED {
			t.Fatalf("attempt %d: %v, want unauthorized", i, err)
		}
	}
	if _, err := f.m.Enroll(ctx, "198.51.100.7", bad); code(err) != osaudit.ERATELIMIT {
		t.Errorf("attempt past the limit: %v, want rate_limited", err)
	}
	good := &osquery.EnrollRequest{EnrollSecret: f.secretA, HostIdentifier: "y"}
	if _, err := f.m.Enroll(ctx, "198.51.100.7", good); code(err) != osaudit.ERATELIMIT {
		t.Errorf("the limited source with a good secret: %v, want rate_limited", err)
	}
	if _, err := f.m.Enroll(ctx, "198.51.100.8", good); err != nil {
		t.Errorf("another source: %v", err)
	}
	for range 100 {
		if _, err := f.m.Config(ctx, key); err != nil {
			t.Fatalf("an enrolled agent is slowed by the limit: %v", err)
		}
	}
	f.clk.Add(DefaultEnrollFailureEvery)
	if _, err := f.m.Enroll(ctx, "198.51.100.7", good); err != nil {
		t.Errorf("after the limit refilled: %v", err)
	}
	st := f.m.Stats()
	if st.EnrollFailed != DefaultEnrollFailures || st.EnrollLimited != 2 || st.EnrollOK != 3 {
		t.Errorf("stats: %+v", st)
	}
}

func TestUnknownNodeKey(t *testing.T) {
	f := newFixture(t)
	f.start()
	ctx := context.Background()
	key := f.enroll(f.secretA, "h", "9")
	calls := map[string]func(string) error{
		"config": func(k string) error { _, err := f.m.Config(ctx, k); return err },
		"read":   func(k string) error { _, err := f.m.DistributedRead(ctx, k); return err },
		"write":  func(k string) error { return f.m.DistributedWrite(ctx, k, &osquery.DistributedWrite{}) },
		"log":    func(k string) error { return f.m.IngestLog(ctx, k, &osquery.LogBatch{}) },
	}
	for name, call := range calls {
		for _, k := range []string{"", "not-a-key", strings.Repeat("k", 10000)} {
			if err := call(k); code(err) != osaudit.EUNAUTHORIZED {
				t.Errorf("%s with key %.10q: %v, want unauthorized", name, k, err)
			}
		}
	}
	hosts, _ := f.st.Hosts(ctx, osaudit.HostFilter{})
	if err := f.m.RevokeHost(ctx, hosts[0].ID); err != nil {
		t.Fatal(err)
	}
	for name, call := range calls {
		if err := call(key); code(err) != osaudit.EUNAUTHORIZED {
			t.Errorf("%s with a revoked key: %v, want unauthorized", name, err)
		}
	}
	// Revocation survives a restart: the store forgot the key too.
	m2 := &Manager{Store: f.st, Now: f.clk.Now}
	if err := m2.Open(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m2.Config(ctx, key); code(err) != osaudit.EUNAUTHORIZED {
		t.Errorf("revoked key after a restart: %v", err)
	}
}

// configPacks returns the pack names and their query names of a config.
func configPacks(t *testing.T, b []byte) map[string][]string {
	t.Helper()
	var c struct {
		Options map[string]any `json:"options"`
		Packs   map[string]struct {
			Queries map[string]struct {
				Query    string `json:"query"`
				Interval int    `json:"interval"`
			} `json:"queries"`
		} `json:"packs"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("config %s: %v", b, err)
	}
	if c.Options["pack_delimiter"] != "/" {
		t.Errorf("options %v: want pack_delimiter /", c.Options)
	}
	out := map[string][]string{}
	for name, p := range c.Packs {
		out[name] = []string{}
		for q, qq := range p.Queries {
			if qq.Interval <= 0 || qq.Query == "" {
				t.Errorf("pack %s query %s: %+v", name, q, qq)
			}
			out[name] = append(out[name], q)
		}
		sort.Strings(out[name])
	}
	return out
}

func TestConfig(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	linuxLabel := &osaudit.Label{Name: "servers", SQL: "SELECT 1 FROM os_version WHERE platform = 'ubuntu'"}
	f.st.SaveLabel(ctx, linuxLabel)
	q := func(name string) []osaudit.PackQuery {
		return []osaudit.PackQuery{{Name: name, SQL: "SELECT * FROM " + name, Interval: 60}}
	}
	packs := []*osaudit.Pack{
		{Name: "baseline", Queries: q("processes")},
		{Name: "acme-only", Queries: q("users"), Targets: osaudit.PackTargets{CustomerIDs: []int64{f.acme.ID}}},
		{Name: "windows", Queries: q("services"), Targets: osaudit.PackTargets{Platforms: []string{"windows"}}},
		{Name: "servers", Queries: q("listening_ports"), Targets: osaudit.PackTargets{LabelIDs: []int64{linuxLabel.ID}}},
		{Name: "off", Queries: q("x"), Disabled: true},
		{Name: "globex-own", CustomerID: f.globex.ID, Queries: q("crontab")},
		{Name: "baseline", CustomerID: f.globex.ID, Queries: q("mounts")},
		{Name: "darwin-pack", Platform: "darwin", Queries: q("apps")},
	}
	for _, p := range packs {
		if err := f.st.SavePack(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	f.start()
	acmeLinux := f.enroll(f.secretA, "a-linux", "9")
	acmeWin := f.enroll(f.secretA, "a-win", osquery.PlatformTypeWindows)
	globexLinux := f.enroll(f.secretG, "g-linux", "9")
	get := func(key string) map[string][]string {
		b, err := f.m.Config(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return configPacks(t, b)
	}
	tests := []struct {
		name string
		key  string
		want map[string][]string
	}{
		{"acme linux", acmeLinux, map[string][]string{"baseline": {"processes"}, "acme-only": {"users"}}},
		{"acme windows", acmeWin, map[string][]string{"baseline": {"processes"}, "acme-only": {"users"}, "windows": {"services"}}},
		{"globex linux", globexLinux, map[string][]string{"baseline": {"processes"}, "globex-own": {"crontab"},
			fmt.Sprintf("baseline-%d", f.globex.ID): {"mounts"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(get(tt.key), tt.want); diff != "" {
				t.Errorf("packs (-got +want):\n%s", diff)
			}
		})
	}

	// A config poll with nothing changed costs no store work.
	before := f.st.TotalCalls()
	first, _ := f.m.Config(ctx, acmeLinux)
	for range 1000 {
		b, err := f.m.Config(ctx, acmeLinux)
		if err != nil || &b[0] != &first[0] {
			t.Fatalf("config not served from the cache: %v", err)
		}
	}
	if got := f.st.TotalCalls() - before; got != 0 {
		t.Errorf("1000 config polls made %d store calls, want 0", got)
	}
	renders := f.m.Stats().ConfigRenders

	// The label's query runs on the next distributed read; its answer
	// brings the label's pack.
	read := func(key string) map[string]string {
		b, err := f.m.DistributedRead(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		var r osquery.DistributedReadResponse
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("read %s: %v", b, err)
		}
		return r.Queries
	}
	lid := fmt.Sprintf("%s%d", labelPrefix, linuxLabel.ID)
	if qs := read(acmeLinux); qs[lid] != linuxLabel.SQL {
		t.Fatalf("read: %v, want the label query %s", qs, lid)
	}
	err := f.m.DistributedWrite(ctx, acmeLinux, &osquery.DistributedWrite{Queries: map[string][]map[string]string{lid: {{"1": "1"}}}, Statuses: map[string]int{lid: 0}})
	if err != nil {
		t.Fatal(err)
	}
	if got := get(acmeLinux); got["servers"] == nil {
		t.Errorf("after joining the label: packs %v, want servers", got)
	}
	f.m.flush(ctx, false)
	if ms, _ := f.st.LabelMembership(ctx); !slices.Equal(ms[hostID(t, f, "a-linux")], []int64{linuxLabel.ID}) {
		t.Errorf("stored membership %v", ms)
	}

	// A change reaches agents after ConfigChanged.
	packs[0].Queries = q("process_open_sockets")
	f.st.SavePack(ctx, packs[0])
	if err := f.m.reloadConfig(ctx); err != nil {
		t.Fatal(err)
	}
	if got := get(acmeWin); !slices.Equal(got["baseline"], []string{"process_open_sockets"}) {
		t.Errorf("after the change: %v", got)
	}
	if got := get(acmeLinux); got["servers"] == nil {
		t.Errorf("label membership lost on reload: %v", got)
	}
	if f.m.Stats().ConfigRenders <= renders {
		t.Errorf("no render after the change")
	}
}

func hostID(t *testing.T, f *fixture, identifier string) int64 {
	t.Helper()
	hs, err := f.st.Hosts(context.Background(), osaudit.HostFilter{Identifier: identifier})
	if err != nil || len(hs) != 1 {
		t.Fatalf("host %s: %v %v", identifier, hs, err)
	}
	return hs[0].ID
}

func TestIngestLog(t *testing.T) {
	f := newFixture(t)
	f.m.IngestLinger = 20 * time.Millisecond
	f.start()
	ctx := context.Background()
	key := f.enroll(f.secretA, "h", "9")
	id := hostID(t, f, "h")
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			b := &osquery.LogBatch{LogType: "result", Results: []*osaudit.ResultRow{
				{Name: "pack/p/q", Action: "added", UnixTime: int64(1000 + i), Columns: map[string]string{"i": fmt.Sprint(i)}},
				{Name: "pack/p/q", Action: "removed", Columns: map[string]string{"i": fmt.Sprint(i)}},
			}}
			if err := f.m.IngestLog(ctx, key, b); err != nil {
				t.Errorf("ingest: %v", err)
			}
		})
	}
	wg.Wait()
	rows, _ := f.st.Results(ctx, osaudit.ResultFilter{})
	if len(rows) != 80 {
		t.Fatalf("%d rows stored when every request was acknowledged, want 80", len(rows))
	}
	for _, r := range rows {
		if r.HostID != id || r.CustomerID != f.acme.ID || r.UnixTime == 0 {
			t.Fatalf("row %+v: want host %d, customer %d, a time", r, id, f.acme.ID)
		}
	}
	if n := f.st.CallCount("InsertResults"); n >= 40 {
		t.Errorf("%d InsertResults calls for 40 concurrent requests: no group commit", n)
	}
	err := f.m.IngestLog(ctx, key, &osquery.LogBatch{LogType: "status", Statuses: []*osaudit.StatusRow{{Severity: 1, Message: "m"}}})
	if err != nil {
		t.Fatal(err)
	}
	sts, _ := f.st.Statuses(ctx, osaudit.ResultFilter{})
	if len(sts) != 1 || sts[0].HostID != id || sts[0].Time.IsZero() {
		t.Errorf("statuses %+v", sts)
	}
	// A failed write is reported, so the agent keeps its lines.
	f.st.FailWrites.Store(true)
	err = f.m.IngestLog(ctx, key, &osquery.LogBatch{LogType: "result", Results: []*osaudit.ResultRow{{Name: "x", Columns: map[string]string{}}}})
	if code(err) != osaudit.EUNAVAILABLE {
		t.Errorf("ingest while the store fails: %v, want unavailable", err)
	}
	f.st.FailWrites.Store(false)
	st := f.m.Stats()
	if st.ResultRows != 80 || st.StatusRows != 1 || st.IngestErrors != 1 || st.ResultQueue != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestBatcherBackpressure(t *testing.T) {
	m := &Manager{IngestLinger: time.Millisecond, IngestBatchRows: 10, IngestQueueRows: 25}
	m.init()
	gate := make(chan struct{})
	var written atomic.Int64
	b := newBatcher(m, "test", func(ctx context.Context, rows []int) error {
		<-gate
		written.Add(int64(len(rows)))
		return nil
	}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.run(ctx); close(done) }()
	errs := make(chan error, 10)
	for range 2 {
		go func() { errs <- b.submit(context.Background(), make([]int, 10), true) }()
	}
	for b.stats().queued != 20 {
		time.Sleep(time.Millisecond)
	}
	if err := b.submit(context.Background(), make([]int, 10), true); err != errQueueFull {
		t.Errorf("submit past the queue limit: %v, want queue full", err)
	}
	close(gate)
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("submit: %v", err)
		}
	}
	// Stopping writes what is queued, then refuses more.
	if err := b.submit(context.Background(), make([]int, 5), false); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	if written.Load() != 25 {
		t.Errorf("%d rows written, want 25", written.Load())
	}
	if err := b.submit(context.Background(), make([]int, 1), true); code(err) != osaudit.EUNAVAILABLE {
		t.Errorf("submit after stop: %v, want unavailable", err)
	}
}

// TestBatcherCatchesUp: requests that queued while the writer was busy go
// out together in the next write, even though their linger has passed. A
// writer that wrote them in small groups would fall further behind.
func TestBatcherCatchesUp(t *testing.T) {
	m := &Manager{IngestLinger: time.Millisecond, IngestBatchRows: 1000, IngestQueueRows: 10_000}
	m.init()
	gate := make(chan struct{})
	var groups []int
	var mu sync.Mutex
	b := newBatcher(m, "test", func(ctx context.Context, rows []int) error {
		if len(rows) == 1 && rows[0] == -1 {
			<-gate // the slow write the others queue behind
		}
		mu.Lock()
		groups = append(groups, len(rows))
		mu.Unlock()
		return nil
	}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.run(ctx)
	first := make(chan error, 1)
	go func() { first <- b.submit(context.Background(), []int{-1}, true) }()
	for b.stats().queued != 1 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(5 * time.Millisecond) // the slow write has begun
	const waiting = 200
	errs := make(chan error, waiting)
	for range waiting {
		go func() { errs <- b.submit(context.Background(), []int{1, 2}, true) }()
	}
	for b.stats().queued != 1+2*waiting {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(5 * time.Millisecond) // every linger has passed
	close(gate)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for range waiting {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(groups) != 2 || groups[1] != 2*waiting {
		t.Errorf("writes of %v rows, want [1 %d]: the queued requests in one write", groups, 2*waiting)
	}
}

func TestDetails(t *testing.T) {
	f := newFixture(t)
	f.start()
	ctx := context.Background()
	key := f.enroll(f.secretA, "h", "9")
	b, err := f.m.DistributedRead(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	var r osquery.DistributedReadResponse
	json.Unmarshal(b, &r)
	for tbl := range detailQueries {
		if r.Queries[detailPrefix+tbl] == "" {
			t.Errorf("first read after enroll lacks detail query %s: %s", tbl, b)
		}
	}
	if b, _ := f.m.DistributedRead(ctx, key); string(b) != string(emptyRead) {
		t.Errorf("second read: %s, want nothing", b)
	}
	w := &osquery.DistributedWrite{
		Queries: map[string][]map[string]string{
			detailPrefix + "system_info": {{"hostname": "renamed", "hardware_serial": "SN1", "hardware_vendor": "QEMU "}},
			detailPrefix + "uptime":      {{"total_seconds": "3600"}},
			detailPrefix + "interface_addresses": {
				{"interface": "lo", "address": "127.0.0.1", "mac": "00:00:00:00:00:00"},
				{"interface": "eth0", "address": "fe80::1%eth0", "mac": "52:54:00:12:34:56"},
				{"interface": "eth0", "address": "10.0.2.15", "mac": "52:54:00:12:34:56"},
			},
			detailPrefix + "os_version": {},
			"unknown_query":             {{"a": "b"}},
		},
		Statuses: map[string]int{detailPrefix + "os_version": 1},
	}
	if err := f.m.DistributedWrite(ctx, key, w); err != nil {
		t.Fatal(err)
	}
	h, _ := f.st.Host(ctx, hostID(t, f, "h"))
	if diff := cmp.Diff([]any{h.Hostname, h.HardwareSerial, h.HardwareVendor, h.UptimeSeconds, h.PrimaryIP, h.PrimaryMAC, h.OSName, h.DetailUpdatedAt},
		[]any{"renamed", "SN1", "QEMU", int64(3600), "10.0.2.15", "52:54:00:12:34:56", "Ubuntu", f.clk.Now()}); diff != "" {
		t.Errorf("inventory (-got +want):\n%s", diff)
	}
	if len(h.Details["interface_addresses"]) != 3 {
		t.Errorf("raw detail rows not kept: %v", h.Details)
	}
	f.clk.Add(DefaultDetailInterval)
	if b, _ := f.m.DistributedRead(ctx, key); !strings.Contains(string(b), detailPrefix) {
		t.Errorf("read an hour later: %s, want detail queries", b)
	}
}

func TestPrimaryAddress(t *testing.T) {
	tests := []struct {
		rows    []map[string]string
		ip, mac string
	}{
		{nil, "", ""},
		{[]map[string]string{{"interface": "lo", "address": "::1"}}, "", ""},
		{[]map[string]string{{"interface": "wlan0", "address": "2001:db8::5", "mac": "b"}, {"interface": "eth0", "address": "fe80::1", "mac": "a"}}, "2001:db8::5", "b"},
		{[]map[string]string{{"interface": "eth1", "address": "192.168.1.2", "mac": "b"}, {"interface": "eth0", "address": "10.1.1.1", "mac": "a"}}, "10.1.1.1", "a"},
		{[]map[string]string{{"interface": "x", "address": "not an ip"}}, "", ""},
	}
	for _, tt := range tests {
		ip, mac := primaryAddress(tt.rows)
		if ip != tt.ip || mac != tt.mac {
			t.Errorf("primaryAddress(%v) = %s %s, want %s %s", tt.rows, ip, mac, tt.ip, tt.mac)
		}
	}
}

func TestPlatform(t *testing.T) {
	tests := []struct {
		h    osaudit.Host
		want string
	}{
		{osaudit.Host{PlatformType: "9", Platform: "ubuntu", PlatformLike: "debian"}, "debian,linux,posix,ubuntu"},
		{osaudit.Host{PlatformType: "2", Platform: "windows"}, "windows"},
		{osaudit.Host{PlatformType: "21", Platform: "darwin"}, "darwin,posix"},
		{osaudit.Host{Platform: "rhel", PlatformLike: "centos fedora"}, "centos,fedora,linux,posix,rhel"},
		{osaudit.Host{}, ""},
	}
	for _, tt := range tests {
		if got := platformOf(&tt.h).key; got != tt.want {
			t.Errorf("platformOf(%+v) = %q, want %q", tt.h, got, tt.want)
		}
	}
	p := platformOf(&osaudit.Host{PlatformType: "9", Platform: "ubuntu"})
	for list, want := range map[string]bool{"": true, "linux": true, "darwin,linux": true, "windows": false, "any": true, "ubuntu": true, "posix": true, " windows , darwin ": false} {
		if got := p.matches(list); got != want {
			t.Errorf("matches(%q) = %v, want %v", list, got, want)
		}
	}
}

func TestCampaign(t *testing.T) {
	f := newFixture(t)
	f.start()
	ctx := context.Background()
	k1 := f.enroll(f.secretA, "a1", "9")
	k2 := f.enroll(f.secretA, "a2", "9")
	kg := f.enroll(f.secretG, "g1", "9")
	a1, a2, g1 := hostID(t, f, "a1"), hostID(t, f, "a2"), hostID(t, f, "g1")
	for _, k := range []string{k1, k2, kg} {
		f.m.DistributedRead(ctx, k) // detail queries out of the way
	}
	acmeAdmin := osaudit.Scope{Role: osaudit.RoleCustomerAdmin, CustomerID: f.acme.ID}
	for _, tt := range []struct {
		name  string
		scope osaudit.Scope
		sql   string
		hosts []int64
		want  string
	}{
		{"viewer", osaudit.Scope{Role: osaudit.RoleCustomerViewer, CustomerID: f.acme.ID}, "SELECT 1", []int64{a1}, osaudit.EFORBIDDEN},
		{"another customer's host", acmeAdmin, "SELECT 1", []int64{g1}, osaudit.ENOTFOUND},
		{"no such host", acmeAdmin, "SELECT 1", []int64{999}, osaudit.ENOTFOUND},
		{"no SQL", acmeAdmin, " ", []int64{a1}, osaudit.EINVALID},
		{"no targets", acmeAdmin, "SELECT 1", nil, osaudit.EINVALID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := f.m.StartCampaign(ctx, tt.scope, tt.sql, tt.hosts, nil, 0); code(err) != tt.want {
				t.Errorf("got %v, want %s", err, tt.want)
			}
		})
	}
	c, err := f.m.StartCampaign(ctx, acmeAdmin, "SELECT 42 AS answer", []int64{a1, a2}, nil, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if c.CustomerID != f.acme.ID {
		t.Errorf("campaign customer %d, want %d", c.CustomerID, f.acme.ID)
	}
	subCtx, cancelSub := context.WithCancel(ctx)
	defer cancelSub()
	sub, err := f.m.Subscribe(subCtx, c.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	next := func() *osaudit.CampaignResult {
		t.Helper()
		select {
		case r, ok := <-sub:
			if !ok {
				t.Fatal("subscription closed")
			}
			return r
		case <-time.After(5 * time.Second):
			t.Fatal("no result in 5 s")
		}
		return nil
	}
	for _, want := range []int64{a1, a2} {
		if r := next(); r.Status != osaudit.CampaignPending || r.HostID != want {
			t.Errorf("got %+v, want pending for host %d", r, want)
		}
	}
	qid := fmt.Sprintf("%s%d", campaignPrefix, c.ID)
	if b, _ := f.m.DistributedRead(ctx, kg); strings.Contains(string(b), qid) {
		t.Errorf("another customer's host got the campaign: %s", b)
	}
	b, err := f.m.DistributedRead(ctx, k1)
	if err != nil || !strings.Contains(string(b), `"`+qid+`":"SELECT 42 AS answer"`) {
		t.Fatalf("read: %s %v, want the campaign", b, err)
	}
	if b, _ := f.m.DistributedRead(ctx, k1); strings.Contains(string(b), qid) {
		t.Errorf("campaign sent twice: %s", b)
	}
	if r := next(); r.Status != osaudit.CampaignSent || r.HostID != a1 {
		t.Errorf("got %+v, want sent to %d", r, a1)
	}
	err = f.m.DistributedWrite(ctx, k1, &osquery.DistributedWrite{
		Queries:  map[string][]map[string]string{qid: {{"answer": "42"}}},
		Statuses: map[string]int{qid: 0},
		Stats:    map[string]osquery.QueryStats{qid: {WallTimeMs: 3}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := next()
	if diff := cmp.Diff([]any{r.HostID, r.Status, r.Rows, r.Stats["wall_time_ms"]}, []any{a1, osaudit.CampaignDone, []map[string]string{{"answer": "42"}}, int64(3)}); diff != "" {
		t.Errorf("result (-got +want):\n%s", diff)
	}
	// A failure carries its message.
	f.m.DistributedRead(ctx, k2)
	next()
	f.m.DistributedWrite(ctx, k2, &osquery.DistributedWrite{Queries: map[string][]map[string]string{qid: {}}, Statuses: map[string]int{qid: 1}, Messages: map[string]string{qid: "no such table: foo"}})
	if r := next(); r.Status != osaudit.CampaignFailed || r.Error != "no such table: foo" {
		t.Errorf("got %+v, want failed with the message", r)
	}

	// A second campaign by label, then expiry.
	lab := &osaudit.Label{Name: "all-acme", CustomerID: f.acme.ID, Manual: true}
	f.st.SaveLabel(ctx, lab)
	f.st.SetLabelMembership(ctx, lab.ID, map[int64]bool{a2: true, g1: true})
	f.m.ConfigChanged()
	if err := f.m.reloadConfig(ctx); err != nil {
		t.Fatal(err)
	}
	c2, err := f.m.StartCampaign(ctx, osaudit.Scope{Role: osaudit.RoleProviderAdmin}, "SELECT 2", nil, []int64{lab.ID}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	sub2, _ := f.m.Subscribe(subCtx, c2.ID, 0)
	var got []string
	f.clk.Add(2 * time.Minute)
	f.m.expireCampaigns(ctx, f.clk.Now())
	for r := range sub2 {
		got = append(got, fmt.Sprintf("%d:%s", r.HostID, r.Status))
	}
	want := []string{fmt.Sprintf("%d:pending", a2), fmt.Sprintf("%d:pending", g1), fmt.Sprintf("%d:expired", a2), fmt.Sprintf("%d:expired", g1)}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("label campaign stream (-got +want):\n%s", diff)
	}
	if b, _ := f.m.DistributedRead(ctx, k2); strings.Contains(string(b), campaignPrefix) {
		t.Errorf("expired campaign still sent: %s", b)
	}
	// The first campaign expired too: its stream ends after its results.
	for range sub {
	}
	if _, err := f.m.Subscribe(ctx, 12345, 0); code(err) != osaudit.ENOTFOUND {
		t.Errorf("subscribe to no campaign: %v", err)
	}
}

func TestLastSeen(t *testing.T) {
	f := newFixture(t)
	f.start()
	ctx := context.Background()
	k1 := f.enroll(f.secretA, "a1", "9")
	f.enroll(f.secretA, "a2", "9")
	f.m.flush(ctx, false)
	calls := f.st.CallCount("TouchHosts")
	f.clk.Add(DefaultOnlineWindow + time.Second)
	for range 10 {
		f.m.Config(ctx, k1)
	}
	f.m.flush(ctx, false)
	f.m.flush(ctx, false) // nothing new: no write
	if got := f.st.CallCount("TouchHosts") - calls; got != 1 {
		t.Errorf("%d TouchHosts calls, want 1", got)
	}
	// Seen again within SeenResolution: not written until a final flush.
	f.clk.Add(DefaultSeenResolution / 2)
	f.m.Config(ctx, k1)
	f.m.flush(ctx, false)
	if got := f.st.CallCount("TouchHosts") - calls; got != 1 {
		t.Errorf("%d TouchHosts calls after a check-in within the resolution, want 1", got)
	}
	f.m.flush(ctx, true)
	if got := f.st.CallCount("TouchHosts") - calls; got != 2 {
		t.Errorf("%d TouchHosts calls after the final flush, want 2", got)
	}
	h1, _ := f.st.Host(ctx, hostID(t, f, "a1"))
	h2, _ := f.st.Host(ctx, hostID(t, f, "a2"))
	if !h1.LastSeen.Equal(f.clk.Now()) || h2.LastSeen.Equal(f.clk.Now()) {
		t.Errorf("last seen %v and %v; want only the first at %v", h1.LastSeen, h2.LastSeen, f.clk.Now())
	}
	st := f.m.Stats()
	if st.HostsEnrolled != 2 || st.HostsOnline != 1 {
		t.Errorf("stats: %+v", st)
	}
}

func TestRunStops(t *testing.T) {
	f := newFixture(t)
	f.start()
	key := f.enroll(f.secretA, "a", "9")
	f.m.Config(context.Background(), key)
	f.stop()
	if f.runError != nil {
		t.Errorf("Run: %v", f.runError)
	}
	if n := f.st.CallCount("TouchHosts"); n == 0 {
		t.Errorf("last seen not flushed on stop")
	}
	err := f.m.IngestLog(context.Background(), key, &osquery.LogBatch{LogType: "result", Results: []*osaudit.ResultRow{{Name: "x"}}})
	if code(err) != osaudit.EUNAVAILABLE {
		t.Errorf("ingest after stop: %v, want unavailable", err)
	}
}

func TestPassword(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !CheckPassword(h, "correct horse") || CheckPassword(h, "wrong horse") || CheckPassword(nil, "") {
		t.Error("CheckPassword")
	}
	if _, err := HashPassword("short"); code(err) != osaudit.EINVALID {
		t.Errorf("short password: %v", err)
	}
}
