package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/osaudit/osaudit/internal/fixture"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
	_ "github.com/osaudit/osaudit/tables"
)

var update = flag.Bool("update", false, "rewrite golden files")

// testClock is a settable clock. Event publishers read it from their own
// goroutines while a test moves it.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// add moves the clock by d and returns the new time.
func (c *testClock) add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// t0 is a second that every test interval divides.
var t0 = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

// testDaemon is a daemon over a copy of the debian12 fixture host.
type testDaemon struct {
	*Daemon
	root, dir, logs string
	clock           *testClock
	stderr          interface {
		io.Writer
		String() string
	}
}

func newTestDaemon(t *testing.T, config string, args ...string) *testDaemon {
	t.Helper()
	td := &testDaemon{root: t.TempDir(), dir: t.TempDir(), clock: &testClock{t: t0}, stderr: &bytes.Buffer{}}
	fixture.CopyHost(t, filepath.Join("..", "tables", "testdata", "hosts", "debian12"), td.root)
	td.logs = filepath.Join(td.dir, "logs")
	conf := filepath.Join(td.dir, "osquery.conf")
	if err := os.WriteFile(conf, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("daemon", flag.ContinueOnError)
	opts := DaemonFlags(fs)
	base := []string{"--config_path=" + conf, "--logger_path=" + td.logs, "--database_path=" + filepath.Join(td.dir, "db"),
		"--schedule_splay_percent=0", "--disable_watchdog", "--logger_stderr=false"}
	if err := fs.Parse(append(base, args...)); err != nil {
		t.Fatal(err)
	}
	td.Daemon = NewDaemon(opts, fs, Deps{Root: hostfs.Dir(td.root), Now: td.clock.Now, Stderr: td.stderr, Stdout: io.Discard})
	return td
}

func (td *testDaemon) tick(t *testing.T, d time.Duration) {
	t.Helper()
	td.Tick(context.Background(), td.clock.add(d))
}

func (td *testDaemon) lines(t *testing.T, file string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(td.logs, file))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%s: invalid line %q: %v", file, l, err)
		}
		out = append(out, m)
	}
	return out
}

const e2eConfig = `// the kind of config osqueryd takes
{
  "options": {"host_identifier": "hostname", "schedule_splay_percent": 0},
  "schedule": {
    "processes": {"query": "SELECT pid, name, on_disk FROM processes", "interval": 10},
    "people": {"query": "SELECT username, uid FROM users WHERE uid >= 1000 AND uid < 60000", "interval": "10", "snapshot": true}
  },
  "packs": {
    "audit": {
      "queries": {
        "users": {"query": "SELECT uid, username, shell FROM users", "interval": 10, "removed": true},
        "watched": {"query": "SELECT path, size FROM file WHERE directory = '/etc/watched'", "interval": 20},
        "fim": {"query": "SELECT DISTINCT target_path, category, action FROM file_events WHERE action = 'UPDATED'", "interval": 10}
      }
    }
  },
  "decorators": {"load": ["SELECT 'fixture' AS site"]},
  "file_paths": {"watched": ["/etc/watched/%%"]}
}`

// TestDaemonEndToEnd runs the daemon on a fixture host while the host
// changes, and compares the lines that reach the filesystem logger with
// golden files.
func TestDaemonEndToEnd(t *testing.T) {
	td := newTestDaemon(t, e2eConfig, "--enable_file_events")
	os.MkdirAll(filepath.Join(td.root, "etc", "watched"), 0o755)
	os.WriteFile(filepath.Join(td.root, "etc", "watched", "sshd_config"), []byte("PermitRootLogin no\n"), 0o644)
	ctx := context.Background()
	if err := td.Start(ctx); err != nil {
		t.Fatal(err)
	}
	td.Tick(ctx, t0) // first run: every row added, counter 0

	// A new process appears.
	pid := filepath.Join(td.root, "proc", "4242")
	os.MkdirAll(pid, 0o755)
	os.WriteFile(filepath.Join(pid, "stat"), []byte("4242 (nc) S 1234 4242 4242 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 300000 1000000 100 0\n"), 0o644)
	os.WriteFile(filepath.Join(pid, "status"), []byte("Name:\tnc\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\n"), 0o644)
	os.Symlink("/usr/bin/nc", filepath.Join(pid, "exe"))
	td.tick(t, 10*time.Second)

	// A user is deleted and a watched file is edited.
	passwd := filepath.Join(td.root, "etc", "passwd")
	b, _ := os.ReadFile(passwd)
	var kept []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, "bob:") {
			kept = append(kept, l)
		}
	}
	os.WriteFile(passwd, []byte(strings.Join(kept, "\n")), 0o644)
	os.WriteFile(filepath.Join(td.root, "etc", "watched", "sshd_config"), []byte("PermitRootLogin yes\nPasswordAuthentication yes\n"), 0o644)
	waitForEvents(t, td, "file_events")
	td.tick(t, 10*time.Second)
	td.tick(t, 10*time.Second) // nothing changes: nothing logged, counters stay
	if err := td.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{resultsFile, snapshotsFile} {
		got, _ := os.ReadFile(filepath.Join(td.logs, f))
		golden := filepath.Join("testdata", "e2e."+f)
		if *update {
			os.MkdirAll("testdata", 0o755)
			os.WriteFile(golden, got, 0o644)
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (go test ./agent -run TestDaemonEndToEnd -update)", err)
		}
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("%s differs from %s (-want +got):\n%s", f, golden, diff)
		}
	}
}

// TestCounterAndEpoch checks osquery's counter and epoch semantics through
// the logged lines.
func TestCounterAndEpoch(t *testing.T) {
	td := newTestDaemon(t, `{"schedule": {"procs": {"query": "SELECT pid FROM processes WHERE pid IN (1, 412)", "interval": 1}}}`)
	ctx := context.Background()
	if err := td.Start(ctx); err != nil {
		t.Fatal(err)
	}
	td.Tick(ctx, t0)
	td.tick(t, time.Second)
	os.RemoveAll(filepath.Join(td.root, "proc", "412"))
	td.tick(t, time.Second)
	td.opts.Epoch = 3 // a new epoch: everything is added again, counter 0
	td.tick(t, time.Second)
	td.Close(ctx)
	var got []string
	for _, l := range td.lines(t, resultsFile) {
		got = append(got, l["action"].(string)+" "+l["columns"].(map[string]any)["pid"].(string)+" counter="+jsonNum(l["counter"])+" epoch="+jsonNum(l["epoch"]))
	}
	want := []string{"added 1 counter=0 epoch=0", "added 412 counter=0 epoch=0", "removed 412 counter=1 epoch=0", "added 1 counter=0 epoch=3"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}

// waitForEvents waits until inotify's events for the edit reached the
// store: the publisher runs on its own goroutine.
func waitForEvents(t *testing.T, td *testDaemon, name string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		n := 0
		td.events.Events(name, func(table.Event) bool { n++; return true })
		if n > 0 {
			time.Sleep(100 * time.Millisecond) // the rest of the burst
			return
		}
	}
	t.Fatalf("no %s arrived", name)
}

func jsonNum(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestResultFormats covers the batch format, snapshot events, numerics,
// removed:false and top-level decorations.
func TestResultFormats(t *testing.T) {
	cfg := `{"schedule": {
	  "b": {"query": "SELECT pid, name FROM processes WHERE pid = 1", "interval": 1},
	  "s": {"query": "SELECT 1 AS one", "interval": 1, "snapshot": true}},
	 "decorators": {"always": ["SELECT 'x' AS tag"]}}`
	td := newTestDaemon(t, cfg, "--logger_event_type=false", "--logger_snapshot_event_type", "--logger_numerics", "--decorations_top_level")
	ctx := context.Background()
	if err := td.Start(ctx); err != nil {
		t.Fatal(err)
	}
	td.Tick(ctx, t0)
	td.Close(ctx)
	res := td.lines(t, resultsFile)
	if len(res) != 1 || res[0]["diffResults"] == nil || res[0]["tag"] != "x" {
		t.Fatalf("batch line: %v", res)
	}
	added := res[0]["diffResults"].(map[string]any)["added"].([]any)
	if pid, ok := added[0].(map[string]any)["pid"].(float64); !ok || pid != 1 {
		t.Errorf("numerics: pid = %#v, want the number 1", added[0].(map[string]any)["pid"])
	}
	snaps := td.lines(t, snapshotsFile)
	if len(snaps) != 1 || snaps[0]["action"] != "snapshot" || snaps[0]["columns"] == nil {
		t.Errorf("snapshot event line: %v", snaps)
	}

	td = newTestDaemon(t, `{"schedule": {"r": {"query": "SELECT pid FROM processes WHERE pid = 412", "interval": 1, "removed": false}}}`)
	td.Start(ctx)
	td.Tick(ctx, t0)
	os.RemoveAll(filepath.Join(td.root, "proc", "412"))
	td.tick(t, time.Second)
	td.Close(ctx)
	if res := td.lines(t, resultsFile); len(res) != 1 || res[0]["action"] != "added" {
		t.Errorf("removed:false still logged removals: %v", res)
	}
}

// TestBadQueriesAndReload: a failing query and an unknown table are
// reported per query while the rest runs; a bad config on reload is
// rejected and the last good one keeps running.
func TestBadQueriesAndReload(t *testing.T) {
	cfg := `{"schedule": {
	  "good": {"query": "SELECT pid FROM processes WHERE pid = 1", "interval": 1},
	  "unknown": {"query": "SELECT * FROM no_such_table", "interval": 1},
	  "broken": {"query": "SELEC 1", "interval": 1},
	  "slow": {"query": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c", "interval": 1}}}`
	td := newTestDaemon(t, cfg, "--query_timeout=1")
	ctx := context.Background()
	if err := td.Start(ctx); err != nil {
		t.Fatal(err)
	}
	td.Tick(ctx, t0)
	conf := td.opts.ConfigPath
	os.WriteFile(conf, []byte(`{"schedule": {"good": {"query": "SELECT 1",}}}`), 0o644)
	if err := td.Reload(ctx); err == nil || !strings.Contains(err.Error(), "osquery.conf:1:") {
		t.Errorf("reload of a bad config: err = %v, want a positioned error", err)
	}
	os.RemoveAll(filepath.Join(td.root, "proc", "1")) // pid 1 is gone
	td.tick(t, time.Second)
	td.Close(ctx)
	status := readStatus(t, td.logs)
	for _, want := range []string{"scheduled query unknown: unknown table no_such_table", "scheduled query broken: near \"SELEC\": syntax error", "scheduled query slow: query timed out"} {
		if !strings.Contains(status, want) {
			t.Errorf("status log lacks %q:\n%s", want, status)
		}
	}
	var actions []string
	for _, l := range td.lines(t, resultsFile) {
		actions = append(actions, l["name"].(string)+" "+l["action"].(string))
	}
	if diff := cmp.Diff([]string{"good added", "good removed"}, actions); diff != "" {
		t.Errorf("the good query kept running under the last good config (-want +got):\n%s", diff)
	}
}

func readStatus(t *testing.T, logs string) string {
	b, err := os.ReadFile(filepath.Join(logs, "osqueryd.INFO"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestBufferBoundAndLoggerOutage: while the logger cannot write, lines stay
// buffered (nothing lost) and are delivered when it can again; past
// --buffered_log_max the oldest are dropped, with a status line.
func TestBufferBoundAndLoggerOutage(t *testing.T) {
	td := newTestDaemon(t, `{"schedule": {"n": {"query": "SELECT abs(random()) AS r", "interval": 1}}}`, "--buffered_log_max=6", "--logger_stderr=true")
	ctx := context.Background()
	if err := td.Start(ctx); err != nil {
		t.Fatal(err)
	}
	td.Tick(ctx, t0)
	// The logger's directory becomes a file: every write fails.
	td.loggers[0].Close()
	td.loggers[0].(*filesystemLogger).files = map[string]*os.File{}
	os.RemoveAll(td.logs)
	os.WriteFile(td.logs, []byte("in the way"), 0o644)
	for range 2 {
		td.tick(t, time.Second) // two lines each: the old row removed, a new one added
	}
	if depth, _ := td.db.BufferDepth(ctx); depth != 4 {
		t.Errorf("buffer holds %d lines during the outage, want the 4 not delivered", depth)
	}
	if !strings.Contains(td.stderr.String(), "lines stay buffered") {
		t.Errorf("no logger failure on stderr: %s", td.stderr.String())
	}
	for range 3 {
		td.tick(t, time.Second)
	}
	if depth, _ := td.db.BufferDepth(ctx); depth > 6 {
		t.Errorf("buffer holds %d lines, want at most 6", depth)
	}
	if !strings.Contains(td.stderr.String(), "buffered_log_max reached") {
		t.Errorf("no warning about dropped lines: %s", td.stderr.String())
	}
	// The directory is back: the buffered lines are delivered, in order.
	os.Remove(td.logs)
	os.MkdirAll(td.logs, 0o755)
	td.tick(t, time.Second)
	td.Close(ctx)
	lines := td.lines(t, resultsFile)
	if len(lines) < 4 {
		t.Fatalf("%d result lines after the outage, want the buffered ones", len(lines))
	}
	last := lines[len(lines)-1]
	if last["unixTime"].(float64) != float64(td.clock.Now().Unix()) || last["counter"].(float64) != 6 {
		t.Errorf("last line %v: want the latest run, counter 6", last)
	}
}

// TestDenylistAfterWatchdog: a query that was running when a watched
// worker died is denylisted with a status line, unless denylist is false.
func TestDenylistAfterWatchdog(t *testing.T) {
	cfg := `{"schedule": {"heavy": {"query": "SELECT 1", "interval": 1}, "kept": {"query": "SELECT 2", "interval": 1, "denylist": false}}}`
	for _, name := range []string{"heavy", "kept"} {
		td := newTestDaemon(t, cfg)
		td.deps.Watched = true
		ctx := context.Background()
		// What the worker left behind when it was killed mid-query.
		pre := NewDaemon(td.opts, td.fs, td.deps)
		if err := pre.Start(ctx); err != nil {
			t.Fatal(err)
		}
		pre.db.Put(ctx, "executing_query", []byte(name))
		pre.Close(ctx)
		if err := td.Start(ctx); err != nil {
			t.Fatal(err)
		}
		td.Tick(ctx, t0)
		td.Close(ctx)
		denied := true
		for _, l := range td.lines(t, resultsFile) {
			if l["name"] == name {
				denied = false
			}
		}
		status := readStatus(t, td.logs)
		if name == "heavy" && (!strings.Contains(status, "Scheduled query may have failed: heavy; denylisted") || !denied) {
			t.Errorf("heavy was not denylisted:\n%s", status)
		}
		if name == "kept" && !strings.Contains(status, "its denylist option is false") {
			t.Errorf("kept: %s", status)
		}
	}
}

// TestHostIdentifier covers --host_identifier's modes.
func TestHostIdentifier(t *testing.T) {
	ctx := context.Background()
	for mode, check := range map[string]func(string) bool{
		"hostname":  func(s string) bool { return s == "fixture-debian" },
		"uuid":      func(s string) bool { return len(s) == 36 },
		"instance":  func(s string) bool { return len(s) == 36 },
		"ephemeral": func(s string) bool { return len(s) == 36 },
		"specified": func(s string) bool { return s == "web01" },
		"bogus":     func(s string) bool { return s == "fixture-debian" },
	} {
		td := newTestDaemon(t, `{}`, "--host_identifier="+mode, "--specified_identifier=web01")
		if err := td.Start(ctx); err != nil {
			t.Fatal(err)
		}
		id := td.hostIdentifier(ctx)
		if !check(id) || td.hostIdentifier(ctx) != id {
			t.Errorf("%s: %q (or unstable)", mode, id)
		}
		td.Close(ctx)
	}
}

// crashPoints are where the crash test kills the worker.
var crashPoints = []string{"before-commit", "after-commit", "after-write"}

// TestCrashLosesAndDuplicatesNothing kills a daemon process at each point
// between running a query and saving its delivery, restarts it, and checks
// that every diff reaches the results log exactly once.
func TestCrashLosesAndDuplicatesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	for _, point := range crashPoints {
		t.Run(point, func(t *testing.T) {
			td := newTestDaemon(t, `{"schedule": {"procs": {"query": "SELECT pid, name FROM processes WHERE pid IN (1, 412, 520)", "interval": 1}}}`)
			run := func(crash string, at time.Time) error {
				cmd := exec.Command(os.Args[0], "-test.run=^$")
				cmd.Env = append(os.Environ(), "OSAUDIT_CRASH_CHILD="+strings.Join([]string{td.root, td.opts.ConfigPath, td.logs, filepath.Join(td.dir, "db"), crash, at.Format(time.RFC3339)}, "|"))
				out, err := cmd.CombinedOutput()
				if err != nil && !strings.Contains(err.Error(), "exit status 3") {
					t.Fatalf("child: %v\n%s", err, out)
				}
				return err
			}
			if err := run(point, t0); err == nil {
				t.Fatalf("the child did not crash at %s", point)
			}
			run("", t0.Add(time.Second))
			os.RemoveAll(filepath.Join(td.root, "proc", "520"))
			run("", t0.Add(2*time.Second))
			var got []string
			for _, l := range td.lines(t, resultsFile) {
				got = append(got, l["action"].(string)+" "+l["columns"].(map[string]any)["pid"].(string))
			}
			sort.Strings(got[:min(3, len(got))])
			want := []string{"added 1", "added 412", "added 520", "removed 520"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("after a crash at %s (-want +got):\n%s", point, diff)
			}
		})
	}
}

// crashChild runs one tick of a daemon and ends the process at a fault
// point; the crash test starts it as a separate process.
func crashChild(spec string) {
	p := strings.Split(spec, "|")
	root, conf, logs, db, crash := p[0], p[1], p[2], p[3], p[4]
	at, _ := time.Parse(time.RFC3339, p[5])
	fs := flag.NewFlagSet("daemon", flag.ContinueOnError)
	opts := DaemonFlags(fs)
	fs.Parse([]string{"--config_path=" + conf, "--logger_path=" + logs, "--database_path=" + db, "--schedule_splay_percent=0", "--disable_watchdog", "--logger_stderr=false"})
	d := NewDaemon(opts, fs, Deps{Root: hostfs.Dir(root), Now: func() time.Time { return at }, Stderr: os.Stderr})
	ctx := context.Background()
	if err := d.Start(ctx); err != nil {
		os.Stderr.WriteString(err.Error())
		os.Exit(1)
	}
	d.deps.Fault = func(point string) {
		if point == crash {
			os.Exit(3) // no deferred work, no flush: as a kill
		}
	}
	d.Tick(ctx, at)
	d.Close(ctx)
	os.Exit(0)
}

func TestMain(m *testing.M) {
	if spec := os.Getenv("OSAUDIT_CRASH_CHILD"); spec != "" {
		crashChild(spec)
	}
	if spec := os.Getenv("OSAUDIT_WATCHDOG_CHILD"); spec != "" && os.Getenv(envWorker) != "" {
		mode, report, _ := strings.Cut(spec, "|")
		watchdogChild(mode, report)
	}
	os.Exit(m.Run())
}

func newFlagSet() *flag.FlagSet { return flag.NewFlagSet("daemon", flag.ContinueOnError) }
